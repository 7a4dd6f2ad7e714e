//! A snapshot of the live catalog of the owned schemas: tables, columns, indexes, foreign keys
//! and enum types, read from `pg_catalog`.

use anyhow::Context;
use sea_orm::{ConnectionTrait, QueryResult, Statement};

/// A table of an owned schema ([`MIGRATOR_TABLES`] excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub schema: String,
    pub name: String,
    pub row_security: bool,
    pub force_row_security: bool,
}

/// A column, with its type as `format_type` writes it (`character varying(100)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub sql_type: String,
    pub not_null: bool,
    pub default: Option<String>,
}

/// An index; `columns` are the key columns in order (expression keys are left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub unique: bool,
    pub primary: bool,
    pub valid: bool,
    pub columns: Vec<String>,
    pub definition: String,
}

/// A foreign-key constraint; actions are `pg_constraint`'s codes (`a` no action, `r`
/// restrict, `c` cascade, `n` set null, `d` set default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub columns: Vec<String>,
    pub ref_schema: String,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_delete: String,
    pub on_update: String,
    pub validated: bool,
}

/// An enum type with its labels in their sort order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enum {
    pub schema: String,
    pub name: String,
    pub labels: Vec<String>,
}

/// Everything the checks read, each list sorted by schema, table and name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub tables: Vec<Table>,
    pub columns: Vec<Column>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    pub enums: Vec<Enum>,
}

const OWNED: &str = "n.nspname IN ('public', 'health', 'finance')";

/// The migrator's bookkeeping tables (`migration::deploy::{VERSIONS, CHECKSUMS}`): they belong
/// to the migrator, not to the schema, so no check or diagram includes them.
pub const MIGRATOR_TABLES: &[&str] = &["seaql_migrations", "seaql_migrations_checksums"];

/// `NOT IN (...)` over [`MIGRATOR_TABLES`], for `relname` conditions.
fn not_migrator() -> String {
    let names: Vec<String> = MIGRATOR_TABLES.iter().map(|t| format!("'{t}'")).collect();
    format!("NOT IN ({})", names.join(", "))
}

/// Key columns of an index or constraint, by `attnum` array, joined with `,`.
fn key_columns(keys: &str, rel: &str) -> String {
    format!(
        "(SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest({keys}) WITH ORDINALITY \
         k(attnum, ord) JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.attnum)"
    )
}

impl Catalog {
    /// Reads the catalog of the owned schemas.
    pub async fn load(db: &impl ConnectionTrait) -> anyhow::Result<Catalog> {
        let skip = not_migrator();
        let tables = rows(
            db,
            &format!(
                "SELECT n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE {OWNED} AND c.relkind IN ('r', 'p') AND c.relname {skip}
                 ORDER BY 1, 2"
            ),
        )
        .await
        .context("read tables")?
        .iter()
        .map(|r| {
            Ok(Table {
                schema: r.try_get_by_index(0)?,
                name: r.try_get_by_index(1)?,
                row_security: r.try_get_by_index(2)?,
                force_row_security: r.try_get_by_index(3)?,
            })
        })
        .collect::<anyhow::Result<_>>()?;
        let columns = rows(
            db,
            &format!(
                "SELECT n.nspname, c.relname, a.attname::text, format_type(a.atttypid, a.atttypmod),
                        a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
                 FROM pg_attribute a
                 JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                 WHERE {OWNED} AND c.relkind IN ('r', 'p') AND c.relname {skip}
                   AND a.attnum > 0 AND NOT a.attisdropped
                 ORDER BY 1, 2, a.attnum"
            ),
        )
        .await
        .context("read columns")?
        .iter()
        .map(|r| {
            Ok(Column {
                schema: r.try_get_by_index(0)?,
                table: r.try_get_by_index(1)?,
                name: r.try_get_by_index(2)?,
                sql_type: r.try_get_by_index(3)?,
                not_null: r.try_get_by_index(4)?,
                default: r.try_get_by_index(5)?,
            })
        })
        .collect::<anyhow::Result<_>>()?;
        let indexes = rows(
            db,
            &format!(
                "SELECT n.nspname, t.relname, i.relname, x.indisunique, x.indisprimary,
                        x.indisvalid, coalesce({}, ''), pg_get_indexdef(x.indexrelid)
                 FROM pg_index x
                 JOIN pg_class i ON i.oid = x.indexrelid
                 JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
                 WHERE {OWNED} AND t.relname {skip}
                 ORDER BY 1, 2, 3",
                key_columns("x.indkey[0:x.indnkeyatts - 1]", "x.indrelid")
            ),
        )
        .await
        .context("read indexes")?
        .iter()
        .map(|r| {
            Ok(Index {
                schema: r.try_get_by_index(0)?,
                table: r.try_get_by_index(1)?,
                name: r.try_get_by_index(2)?,
                unique: r.try_get_by_index(3)?,
                primary: r.try_get_by_index(4)?,
                valid: r.try_get_by_index(5)?,
                columns: split(&r.try_get_by_index::<String>(6)?),
                definition: r.try_get_by_index(7)?,
            })
        })
        .collect::<anyhow::Result<_>>()?;
        let foreign_keys = rows(
            db,
            &format!(
                "SELECT n.nspname, t.relname, c.conname::text, coalesce({}, ''),
                        rn.nspname, rt.relname, coalesce({}, ''),
                        c.confdeltype::text, c.confupdtype::text, c.convalidated
                 FROM pg_constraint c
                 JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
                 JOIN pg_class rt ON rt.oid = c.confrelid
                 JOIN pg_namespace rn ON rn.oid = rt.relnamespace
                 WHERE c.contype = 'f' AND {OWNED} AND t.relname {skip}
                 ORDER BY 1, 2, 3",
                key_columns("c.conkey", "c.conrelid"),
                key_columns("c.confkey", "c.confrelid")
            ),
        )
        .await
        .context("read foreign keys")?
        .iter()
        .map(|r| {
            Ok(ForeignKey {
                schema: r.try_get_by_index(0)?,
                table: r.try_get_by_index(1)?,
                name: r.try_get_by_index(2)?,
                columns: split(&r.try_get_by_index::<String>(3)?),
                ref_schema: r.try_get_by_index(4)?,
                ref_table: r.try_get_by_index(5)?,
                ref_columns: split(&r.try_get_by_index::<String>(6)?),
                on_delete: r.try_get_by_index(7)?,
                on_update: r.try_get_by_index(8)?,
                validated: r.try_get_by_index(9)?,
            })
        })
        .collect::<anyhow::Result<_>>()?;
        let enums = rows(
            db,
            &format!(
                "SELECT n.nspname, t.typname::text, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                 FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
                 JOIN pg_namespace n ON n.oid = t.typnamespace
                 WHERE {OWNED}
                 GROUP BY 1, 2 ORDER BY 1, 2"
            ),
        )
        .await
        .context("read enum types")?
        .iter()
        .map(|r| {
            Ok(Enum {
                schema: r.try_get_by_index(0)?,
                name: r.try_get_by_index(1)?,
                labels: split(&r.try_get_by_index::<String>(2)?),
            })
        })
        .collect::<anyhow::Result<_>>()?;
        let mut catalog = Catalog {
            tables,
            columns,
            indexes,
            foreign_keys,
            enums,
        };
        catalog.sort();
        Ok(catalog)
    }

    /// Sorts by byte order, whatever the database's collation (`text` sorts differently under
    /// `C` and `en_US`), so two servers give the same documents; columns keep their order.
    fn sort(&mut self) {
        self.tables
            .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        self.columns
            .sort_by(|a, b| (&a.schema, &a.table).cmp(&(&b.schema, &b.table)));
        self.indexes
            .sort_by(|a, b| (&a.schema, &a.table, &a.name).cmp(&(&b.schema, &b.table, &b.name)));
        self.foreign_keys
            .sort_by(|a, b| (&a.schema, &a.table, &a.name).cmp(&(&b.schema, &b.table, &b.name)));
        self.enums
            .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    }

    /// The columns of one table, in their order.
    pub fn columns_of<'a>(
        &'a self,
        schema: &'a str,
        table: &'a str,
    ) -> impl Iterator<Item = &'a Column> + 'a {
        self.columns
            .iter()
            .filter(move |c| c.schema == schema && c.table == table)
    }

    /// The indexes of one table, by name.
    pub fn indexes_of<'a>(
        &'a self,
        schema: &'a str,
        table: &'a str,
    ) -> impl Iterator<Item = &'a Index> + 'a {
        self.indexes
            .iter()
            .filter(move |i| i.schema == schema && i.table == table)
    }

    /// The foreign keys of one table, by name.
    pub fn foreign_keys_of<'a>(
        &'a self,
        schema: &'a str,
        table: &'a str,
    ) -> impl Iterator<Item = &'a ForeignKey> + 'a {
        self.foreign_keys
            .iter()
            .filter(move |f| f.schema == schema && f.table == table)
    }
}

/// `schema.table`, or just `table` in `public`.
pub fn qualified(schema: &str, table: &str) -> String {
    if schema == "public" {
        table.to_owned()
    } else {
        format!("{schema}.{table}")
    }
}

fn split(joined: &str) -> Vec<String> {
    if joined.is_empty() {
        Vec::new()
    } else {
        joined.split(',').map(str::to_owned).collect()
    }
}

/// Runs a read-only query and returns its rows.
pub(crate) async fn rows(db: &impl ConnectionTrait, sql: &str) -> anyhow::Result<Vec<QueryResult>> {
    Ok(db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?)
}
