//! Column, key and index builders shared by the migrations, so each table reads like its DDL.
//!
//! These helpers are part of the frozen schema history: changing one changes what every
//! migration that uses it would create, so add new helpers instead of editing old ones.

use sea_orm_migration::prelude::extension::postgres::Type;
use sea_orm_migration::{prelude::*, schema::*};

/// Writes an identifier as the bare string PostgreSQL stores, for building constraint names.
fn name_of<T: Iden>(iden: &T) -> String {
    Iden::to_string(iden)
}

/// `UUID NOT NULL DEFAULT gen_random_uuid()`, the key column of every table.
///
/// The key constraint itself is declared with [`pkey`] so that it carries the seed's name.
pub(crate) fn uuid_id<T: IntoIden>(col: T) -> ColumnDef {
    uuid(col).default(Expr::cust("gen_random_uuid()")).take()
}

/// The `<table>_pkey` primary key on `col`, for `TableCreateStatement::primary_key`.
pub(crate) fn pkey<T: Iden, C: IntoIden>(table: &T, col: C) -> IndexCreateStatement {
    Index::create()
        .name(format!("{}_pkey", name_of(table)))
        .col(col)
        .take()
}

/// The column type `TIMESTAMP(3)`.
///
/// sea-query's timestamp types carry no precision, and the seed keeps milliseconds, so the
/// type is written out as a custom type.
fn timestamp3_type() -> ColumnType {
    ColumnType::custom("timestamp(3)")
}

/// `TIMESTAMP(3) NOT NULL`.
pub(crate) fn timestamp3<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new_with_type(col, timestamp3_type())
        .not_null()
        .take()
}

/// `TIMESTAMP(3)`, nullable.
pub(crate) fn timestamp3_null<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new_with_type(col, timestamp3_type())
        .null()
        .take()
}

/// `TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP`.
///
/// Also used for `"updatedAt"`: the seed gives it no default, but the seeder inserts rows
/// without it and the update trigger only runs on UPDATE, so the default is the one allowed
/// difference from the seed.
pub(crate) fn timestamp3_now<T: IntoIden>(col: T) -> ColumnDef {
    timestamp3(col).default(Expr::current_timestamp()).take()
}

/// `"<EnumType>" NOT NULL`, a column of one of the seed's PostgreSQL enum types.
///
/// sea-query writes a column's enum or custom type name verbatim, unquoted, and PostgreSQL
/// would fold `UserRole` to `userrole`; the seed's types have quoted PascalCase names, so the
/// name is quoted here.
pub(crate) fn pg_enum<T: IntoIden, E: Iden>(col: T, enum_type: &E) -> ColumnDef {
    ColumnDef::new_with_type(
        col,
        ColumnType::custom(format!("\"{}\"", name_of(enum_type))),
    )
    .not_null()
    .take()
}

/// A foreign key from `table.col` to `ref_table.ref_col`, named `<table>_<col>_fkey`, with
/// the seed's default rules `ON DELETE CASCADE ON UPDATE CASCADE`.
///
/// Override the delete rule with `.on_delete(ForeignKeyAction::SetNull)` where the seed says so.
pub(crate) fn fk<T, C, R, RC>(
    table: T,
    col: C,
    ref_table: R,
    ref_col: RC,
) -> ForeignKeyCreateStatement
where
    T: Iden + IntoTableRef,
    C: Iden + IntoIden,
    R: IntoTableRef,
    RC: IntoIden,
{
    ForeignKey::create()
        .name(format!("{}_{}_fkey", name_of(&table), name_of(&col)))
        .from(table, col)
        .to(ref_table, ref_col)
        .on_delete(ForeignKeyAction::Cascade)
        .on_update(ForeignKeyAction::Cascade)
        .take()
}

/// A plain (non-unique) index named `name` on `table`; add its columns with `.col(...)`.
///
/// Index names are spelled out rather than derived because the seed is not uniform
/// (`users_subscription_tier_idx` next to `accounts_userId_idx`).
pub(crate) fn index<T: IntoIden>(name: &str, table: T) -> IndexCreateStatement {
    Index::create().name(name).table(table).take()
}

/// A unique index named `name` on `table`; add its columns with `.col(...)`.
///
/// The seed creates unique indexes, not unique constraints, and the two differ in the
/// catalog, so this is never expressed as `ColumnDef::unique_key`.
pub(crate) fn unique_index<T: IntoIden>(name: &str, table: T) -> IndexCreateStatement {
    Index::create().name(name).table(table).unique().take()
}

/// Adds the `BEFORE UPDATE` trigger that keeps `"updatedAt"` current to each table, named
/// `<table>_set_updated_at`. `tables` are `(schema, table)` pairs; the function
/// `public.set_updated_at()` comes from phase 1.
pub(crate) async fn add_updated_at_triggers(
    manager: &SchemaManager<'_>,
    tables: &[(&str, &str)],
) -> Result<(), DbErr> {
    for (schema, table) in tables {
        let sql = format!(
            r#"CREATE TRIGGER "{table}_set_updated_at" BEFORE UPDATE ON "{schema}"."{table}"
               FOR EACH ROW EXECUTE FUNCTION public.set_updated_at()"#
        );
        manager.get_connection().execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// Drops what [`add_updated_at_triggers`] added.
pub(crate) async fn drop_updated_at_triggers(
    manager: &SchemaManager<'_>,
    tables: &[(&str, &str)],
) -> Result<(), DbErr> {
    for (schema, table) in tables {
        let sql =
            format!(r#"DROP TRIGGER IF EXISTS "{table}_set_updated_at" ON "{schema}"."{table}""#);
        manager.get_connection().execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// PostgreSQL enum types: each one's name and its labels in declaration order (the order is
/// part of the type: it defines how values compare).
pub(crate) type EnumTypes = [(&'static str, &'static [&'static str])];

/// `"<schema>"."<name>"`, or `"<name>"` unqualified when `schema` is `None`.
fn enum_type_ref(schema: Option<&str>, name: &str) -> TypeRef {
    TypeRef(
        schema.map(|schema| SchemaName(None, Alias::new(schema).into_iden())),
        Alias::new(name).into_iden(),
    )
}

/// Creates each of `enums` in order, inside `schema` (`None`: unqualified, where the
/// migrating connection's `search_path` puts it).
pub(crate) async fn create_enum_types(
    manager: &SchemaManager<'_>,
    schema: Option<&str>,
    enums: &EnumTypes,
) -> Result<(), DbErr> {
    for (name, labels) in enums {
        manager
            .create_type(
                Type::create()
                    .as_enum(enum_type_ref(schema, name))
                    .values(labels.iter().copied())
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

/// Drops what [`create_enum_types`] created, in reverse order, `IF EXISTS`.
pub(crate) async fn drop_enum_types(
    manager: &SchemaManager<'_>,
    schema: Option<&str>,
    enums: &EnumTypes,
) -> Result<(), DbErr> {
    for (name, _) in enums.iter().rev() {
        manager
            .drop_type(
                Type::drop()
                    .name(enum_type_ref(schema, name))
                    .if_exists()
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Phase 3: tables, keys and enum types inside a schema other than `public`.
// ---------------------------------------------------------------------------

/// `<schema>."<EnumType>" NOT NULL`, a column of an enum type that lives in `schema`.
///
/// Like [`pg_enum`], but qualified, so the column resolves to the schema's type whatever
/// the `search_path` of the migrating connection is.
pub(crate) fn pg_enum_in<T: IntoIden, E: Iden>(col: T, schema: &str, enum_type: &E) -> ColumnDef {
    ColumnDef::new_with_type(
        col,
        ColumnType::custom(format!("\"{schema}\".\"{}\"", name_of(enum_type))),
    )
    .not_null()
    .take()
}

/// Like [`fk`], for a table inside `schema`: named `<table>_<col>_fkey`, `ON DELETE CASCADE
/// ON UPDATE CASCADE`. `ref_table` may be schema-qualified, `(Alias::new("public"), Users::Table)`.
pub(crate) fn fk_in<T, C, R, RC>(
    schema: &str,
    table: T,
    col: C,
    ref_table: R,
    ref_col: RC,
) -> ForeignKeyCreateStatement
where
    T: Iden + IntoIden,
    C: Iden + IntoIden,
    R: IntoTableRef,
    RC: IntoIden,
{
    ForeignKey::create()
        .name(format!("{}_{}_fkey", name_of(&table), name_of(&col)))
        .from((Alias::new(schema), table), col)
        .to(ref_table, ref_col)
        .on_delete(ForeignKeyAction::Cascade)
        .on_update(ForeignKeyAction::Cascade)
        .take()
}

/// Like [`index`], for a table inside `schema`.
pub(crate) fn index_in<T: IntoIden>(name: &str, schema: &str, table: T) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table((Alias::new(schema), table))
        .take()
}

/// Like [`unique_index`], for a table inside `schema`.
pub(crate) fn unique_index_in<T: IntoIden>(
    name: &str,
    schema: &str,
    table: T,
) -> IndexCreateStatement {
    index_in(name, schema, table).unique().take()
}

// ---------------------------------------------------------------------------
// Strong locks on several live tables, taken up front in one order.
// ---------------------------------------------------------------------------

/// A table lock mode of `LOCK TABLE`, strongest last.
#[allow(dead_code)] // Until the first migration that locks several live tables uses them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LockMode {
    /// What `CREATE TRIGGER` and `ADD FOREIGN KEY` take: writers wait, readers go on.
    ShareRowExclusive,
    /// Writers wait, readers go on (`REFRESH MATERIALIZED VIEW CONCURRENTLY`).
    Exclusive,
    /// What most `ALTER TABLE`, `ENABLE ROW LEVEL SECURITY`, `CREATE POLICY` and `DROP` take:
    /// everyone waits.
    AccessExclusive,
}

impl LockMode {
    fn sql(self) -> &'static str {
        match self {
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Exclusive => "EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }
}

/// `LOCK TABLE` of every one of `tables` (`(schema, table)` pairs) in `mode`, in the order
/// given, in one statement.
fn lock_tables_sql(tables: &[(&str, &str)], mode: LockMode) -> String {
    let names: Vec<String> = tables
        .iter()
        .map(|(schema, table)| format!(r#""{schema}"."{table}""#))
        .collect();
    format!("LOCK TABLE {} IN {} MODE", names.join(", "), mode.sql())
}

/// Takes the strong locks a migration needs on several live tables, all at once, as its first
/// statement, so that it never waits for one table while holding another and a writer is
/// never the victim of a deadlock with it (docs/online-changes.md).
///
/// `tables` are `(schema, table)` pairs **in the order writers take them: a table before the
/// tables it references**, as a message insert locks `messages`, then its trigger updates its
/// conversation: `[("public", "messages"), ("public", "conversations")]`. `mode` is the
/// strongest lock any later statement of the migration takes on any of them, so that no
/// statement has to strengthen a lock while holding the others. The locks last until the
/// migration's transaction ends, so the migration must run in one (the default: `LOCK TABLE`
/// refuses outside a transaction block). Its wait for each table is bounded by the
/// deployer's `lock_timeout`, after which the migration is rolled back and retried.
#[allow(dead_code)] // Until the first migration that locks several live tables uses it.
pub(crate) async fn lock_tables(
    manager: &SchemaManager<'_>,
    tables: &[(&str, &str)],
    mode: LockMode,
) -> Result<(), DbErr> {
    debug_assert!(
        tables
            .iter()
            .enumerate()
            .all(|(i, t)| !tables[..i].contains(t)),
        "a table listed twice: {tables:?}"
    );
    manager
        .get_connection()
        .execute_unprepared(&lock_tables_sql(tables, mode))
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_tables_takes_every_lock_in_one_statement_in_the_order_given() {
        let tables = [("public", "messages"), ("public", "conversations")];
        assert_eq!(
            lock_tables_sql(&tables, LockMode::AccessExclusive),
            r#"LOCK TABLE "public"."messages", "public"."conversations" IN ACCESS EXCLUSIVE MODE"#
        );
    }

    #[test]
    fn lock_tables_quotes_schemas_and_camel_case_names() {
        assert_eq!(
            lock_tables_sql(
                &[("health", "medicalRecords"), ("public", "users")],
                LockMode::ShareRowExclusive
            ),
            r#"LOCK TABLE "health"."medicalRecords", "public"."users" IN SHARE ROW EXCLUSIVE MODE"#
        );
        assert_eq!(
            lock_tables_sql(&[("public", "users")], LockMode::Exclusive),
            r#"LOCK TABLE "public"."users" IN EXCLUSIVE MODE"#
        );
    }
}
