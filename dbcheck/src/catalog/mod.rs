//! The live catalog of the owned schemas, read from `pg_catalog` into sorted, structured lists.
//!
//! Every check reads the database through [`Catalog`]: drift, verify and the ER diagram use
//! its tables, columns, keys and enums; the smoke tests compare two databases through its
//! [`Snapshot`], one line per object. Objects owned by extensions (pgvector's) and the
//! migrator's bookkeeping tables (`schema_facts::BOOKKEEPING_TABLES`) are left out.

mod read;
mod snapshot;

use sea_orm::{ConnectionTrait, QueryResult, Statement};

pub use snapshot::{Snapshot, assert_same};

/// A table of an owned schema (the migrator's bookkeeping tables excluded).
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
    /// 1 for the first column still present, so dropped columns leave no gap.
    pub position: i64,
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

/// A table constraint of any kind, as `pg_get_constraintdef` writes it; `kind` is
/// `pg_constraint`'s code (`p` primary key, `u` unique, `f` foreign key, `c` check, `x`
/// exclusion, `n` not null on PostgreSQL 18, `t` constraint trigger).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub kind: String,
    pub definition: String,
}

/// A foreign-key constraint by its columns; actions are `pg_constraint`'s codes (`a` no
/// action, `r` restrict, `c` cascade, `n` set null, `d` set default). Its definition is in
/// [`Catalog::constraints`] too.
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

/// A trigger written by the project (internal ones, such as foreign-key triggers, are left
/// out). `enabled` is `pg_trigger.tgenabled`: `O` fires normally, `D` disabled, `R` only for
/// replicas, `A` always.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    pub schema: String,
    pub table: String,
    pub name: String,
    /// `BEFORE`, `AFTER` or `INSTEAD OF`.
    pub timing: String,
    /// `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE`, in that order.
    pub events: Vec<String>,
    pub for_each_row: bool,
    /// The function it calls, `schema.name`.
    pub function: String,
    pub enabled: String,
    /// `pg_get_triggerdef`, the whole `CREATE TRIGGER` statement.
    pub definition: String,
}

/// A function or procedure of an owned schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub schema: String,
    /// `name(identity arguments)`, without the schema.
    pub signature: String,
    /// md5 of `pg_get_functiondef` with trailing spaces and carriage returns removed from
    /// every line, so a checkout with other line endings hashes the same; `None` for an
    /// aggregate, which has no such definition.
    pub body_hash: Option<String>,
    /// `proconfig`, the settings it runs with (`search_path=public`), in their order.
    pub settings: Vec<String>,
}

/// A row-level security policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub permissive: bool,
    /// `ALL`, `SELECT`, `INSERT`, `UPDATE` or `DELETE`.
    pub command: String,
    /// Role names, sorted; `public` for everyone.
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
}

/// One privilege on a table granted to a role other than its owner (`PUBLIC` for everyone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub schema: String,
    pub table: String,
    pub role: String,
    /// `SELECT`, `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE`, `REFERENCES` or `TRIGGER`; for a
    /// privilege on one column only, followed by the column: `UPDATE ("usedStorage")`.
    pub privilege: String,
    pub grantable: bool,
}

/// Everything the checks read, each list sorted in byte order by schema, table and name
/// (columns in their table's order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// Every schema but PostgreSQL's own, owned or not, so a stray one shows.
    pub schemas: Vec<String>,
    pub tables: Vec<Table>,
    pub columns: Vec<Column>,
    pub indexes: Vec<Index>,
    pub constraints: Vec<Constraint>,
    pub foreign_keys: Vec<ForeignKey>,
    pub enums: Vec<Enum>,
    pub triggers: Vec<Trigger>,
    pub functions: Vec<Function>,
    pub policies: Vec<Policy>,
    pub grants: Vec<Grant>,
}

impl Catalog {
    /// Reads the catalog of the owned schemas.
    pub async fn load(db: &impl ConnectionTrait) -> anyhow::Result<Catalog> {
        let mut catalog = Catalog {
            schemas: read::schemas(db).await?,
            tables: read::tables(db).await?,
            columns: read::columns(db).await?,
            indexes: read::indexes(db).await?,
            constraints: read::constraints(db).await?,
            foreign_keys: read::foreign_keys(db).await?,
            enums: read::enums(db).await?,
            triggers: read::triggers(db).await?,
            functions: read::functions(db).await?,
            policies: read::policies(db).await?,
            grants: read::grants(db).await?,
        };
        catalog.sort();
        Ok(catalog)
    }

    /// Sorts by byte order, whatever the database's collation (`text` sorts differently under
    /// `C` and `en_US`), so two servers give the same documents; columns keep their order.
    fn sort(&mut self) {
        self.schemas.sort();
        self.tables
            .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        self.columns.sort_by(|a, b| {
            (&a.schema, &a.table, a.position).cmp(&(&b.schema, &b.table, b.position))
        });
        self.indexes
            .sort_by(|a, b| (&a.schema, &a.table, &a.name).cmp(&(&b.schema, &b.table, &b.name)));
        self.constraints
            .sort_by(|a, b| (&a.schema, &a.table, &a.name).cmp(&(&b.schema, &b.table, &b.name)));
        self.foreign_keys
            .sort_by(|a, b| (&a.schema, &a.table, &a.name).cmp(&(&b.schema, &b.table, &b.name)));
        self.enums
            .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        self.triggers
            .sort_by(|a, b| (&a.schema, &a.table, &a.name).cmp(&(&b.schema, &b.table, &b.name)));
        self.functions
            .sort_by(|a, b| (&a.schema, &a.signature).cmp(&(&b.schema, &b.signature)));
        self.policies
            .sort_by(|a, b| (&a.schema, &a.table, &a.name).cmp(&(&b.schema, &b.table, &b.name)));
        self.grants.sort_by(|a, b| {
            (&a.schema, &a.table, &a.role, &a.privilege, a.grantable).cmp(&(
                &b.schema,
                &b.table,
                &b.role,
                &b.privilege,
                b.grantable,
            ))
        });
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

    /// The same catalog without the defaults of `"updatedAt"` columns: SCHEMA.md lets
    /// migrations add `DEFAULT CURRENT_TIMESTAMP` there, and only there.
    pub fn without_updated_at_defaults(&self) -> Catalog {
        let mut catalog = self.clone();
        for column in catalog.columns.iter_mut().filter(|c| c.name == "updatedAt") {
            column.default = None;
        }
        catalog
    }

    /// The same catalog without triggers and the functions they call, SCHEMA.md's other
    /// allowed difference from the reference DDL.
    pub fn without_triggers(&self) -> Catalog {
        let mut catalog = self.clone();
        let called: Vec<String> = catalog.triggers.drain(..).map(|t| t.function).collect();
        catalog.functions.retain(|f| {
            let name = f.signature.split('(').next().unwrap_or_default();
            !called.contains(&format!("{}.{name}", f.schema))
        });
        catalog
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

/// Runs a read-only query and returns its rows.
pub(crate) async fn rows(db: &impl ConnectionTrait, sql: &str) -> anyhow::Result<Vec<QueryResult>> {
    Ok(db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?)
}
