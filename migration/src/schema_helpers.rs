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
