//! What the generic fill reads from the catalog: the owned tables, their columns and foreign keys.

use std::collections::BTreeSet;

use anyhow::Context;
use schema_facts::{BOOKKEEPING_TABLES, SCHEMAS, TRANSIENT_TABLES, sql_list};
use sea_orm::{ConnectionTrait, QueryResult, Statement};

/// How many foreign keys the fill follows from a table to the one that names its user.
const OWNER_HOPS: usize = 3;

/// The owned schemas' tables, with what the fill needs to know of each.
pub struct Catalog {
    /// Sorted by name.
    pub tables: Vec<Table>,
}

pub struct Table {
    pub oid: i64,
    /// Quoted and schema-qualified, as SQL names it: `public.notes`, `health."Odd"`.
    pub name: String,
    /// In column order.
    pub columns: Vec<Column>,
    pub keys: Vec<ForeignKey>,
}

pub struct Column {
    pub name: String,
    /// The declared type as SQL, to cast values to: `character varying(200)`, `"AlertType"`.
    pub sql_type: String,
    /// The base type (a domain's, else the column's own) as SQL.
    pub base_sql: String,
    /// `pg_type.typname` of the base type: `uuid`, `jsonb`, `vector`...
    pub base: String,
    /// `pg_type.typcategory` of the base type: `S` string, `N` numeric, `E` enum...
    pub category: String,
    /// The length limit of a `varchar(n)` or `char(n)`.
    pub max_len: Option<usize>,
    pub not_null: bool,
    /// A default, an identity or a generated column: the fill leaves it to the database.
    pub defaulted: bool,
}

pub struct ForeignKey {
    /// The constraint's name.
    pub constraint: String,
    pub parent: i64,
    /// Quoted and schema-qualified, like [`Table::name`].
    pub parent_name: String,
    /// The referencing columns, in the constraint's order.
    pub columns: Vec<String>,
    /// The parent's referenced columns, paired with [`ForeignKey::columns`].
    pub referenced: Vec<String>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether the table holds one row per user: a NOT NULL "userId" referencing `users`.
    pub fn per_user(&self) -> bool {
        self.column("userId").is_some_and(|c| c.not_null)
            && self
                .keys
                .iter()
                .any(|k| k.columns == ["userId"] && k.parent_name == "public.users")
    }
}

impl Catalog {
    pub async fn read<C: ConnectionTrait>(db: &C) -> anyhow::Result<Catalog> {
        let mut tables = Vec::new();
        for row in query(db, &tables_sql()).await? {
            tables.push(Table {
                oid: row.try_get("", "oid")?,
                name: row.try_get("", "name")?,
                columns: Vec::new(),
                keys: Vec::new(),
            });
        }
        for row in query(db, &columns_sql()).await? {
            let oid: i64 = row.try_get("", "oid")?;
            if let Some(table) = tables.iter_mut().find(|t| t.oid == oid) {
                table.columns.push(column(&row)?);
            }
        }
        for row in query(db, &keys_sql()).await? {
            add_key_column(&mut tables, &row)?;
        }
        Ok(Catalog { tables })
    }

    pub fn table(&self, oid: i64) -> Option<&Table> {
        self.tables.iter().find(|t| t.oid == oid)
    }

    /// The tables, each after the tables its foreign keys reference (a table's references to
    /// itself aside); tables on a loop of references come last, by name.
    pub fn parents_first(&self) -> Vec<&Table> {
        let mut placed = BTreeSet::new();
        let mut order = Vec::new();
        while order.len() < self.tables.len() {
            let ready = |t: &&Table| {
                !placed.contains(&t.oid)
                    && t.keys.iter().all(|k| {
                        k.parent == t.oid
                            || placed.contains(&k.parent)
                            || self.table(k.parent).is_none()
                    })
            };
            let mut next: Vec<&Table> = self.tables.iter().filter(ready).collect();
            if next.is_empty() {
                next = self
                    .tables
                    .iter()
                    .filter(|t| !placed.contains(&t.oid))
                    .collect();
            }
            placed.extend(next.iter().map(|t| t.oid));
            order.extend(next);
        }
        order
    }

    /// How a row of table `oid`, aliased `t0`, finds the user it belongs to: the joins to
    /// add after `FROM <table> t0` and the expression, as text, that is that user's id. A
    /// table with "userId" names it; a row of `users` is its own; any other table follows a NOT
    /// NULL foreign key to a table with "userId" (conversations reach theirs through their chat
    /// session). None for tables that belong to nobody, like the agent catalogue.
    pub fn owner_path(&self, oid: i64) -> Option<(String, String)> {
        self.owner_from(oid, 0)
    }

    fn owner_from(&self, oid: i64, depth: usize) -> Option<(String, String)> {
        let table = self.table(oid)?;
        let alias = format!("t{depth}");
        // Only at the start: a key to `users` elsewhere on the way (an agent's creator) names
        // no owner.
        if depth == 0 && table.name == "public.users" {
            return Some((String::new(), format!("{alias}.id::text")));
        }
        if table.column("userId").is_some() {
            return Some((String::new(), format!(r#"{alias}."userId"::text"#)));
        }
        if depth == OWNER_HOPS {
            return None;
        }
        let next = format!("t{}", depth + 1);
        table
            .keys
            .iter()
            .filter(|k| k.parent != oid && k.columns.len() == 1)
            .filter(|k| table.column(&k.columns[0]).is_some_and(|c| c.not_null))
            .find_map(|k| {
                let (joins, owner) = self.owner_from(k.parent, depth + 1)?;
                let join = format!(
                    " JOIN {} {next} ON {next}.{} = {alias}.{}",
                    k.parent_name,
                    quoted(&k.referenced[0]),
                    quoted(&k.columns[0])
                );
                Some((join + &joins, owner))
            })
    }
}

/// `name` as a quoted SQL identifier.
pub fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The oids of the tables the fill considers: the owned schemas' tables (not partitions, not
/// an extension's), without the migrator's bookkeeping and the transient tables.
fn owned_oids_sql() -> String {
    let skipped: Vec<&str> = BOOKKEEPING_TABLES
        .iter()
        .chain(TRANSIENT_TABLES)
        .copied()
        .collect();
    format!(
        "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname IN ({}) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
            AND NOT (n.nspname = 'public' AND c.relname IN ({}))
            AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                             AND d.objid = c.oid AND d.deptype = 'e')",
        sql_list(SCHEMAS),
        sql_list(&skipped)
    )
}

fn tables_sql() -> String {
    format!(
        "SELECT c.oid::int8 AS oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.oid IN ({}) ORDER BY n.nspname, c.relname",
        owned_oids_sql()
    )
}

fn columns_sql() -> String {
    format!(
        "SELECT a.attrelid::int8 AS oid, a.attname::text AS name,
                format_type(a.atttypid, a.atttypmod) AS sql_type,
                format_type(b.oid, NULL) AS base_sql, b.typname::text AS base,
                b.typcategory::text AS category,
                CASE WHEN b.typname IN ('varchar', 'bpchar') AND m.typmod > 4
                     THEN m.typmod - 4 END AS max_len,
                a.attnotnull OR t.typnotnull AS not_null,
                a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> ''
                  OR t.typdefault IS NOT NULL AS defaulted
           FROM pg_attribute a
           JOIN pg_type t ON t.oid = a.atttypid
           JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
           CROSS JOIN LATERAL (SELECT CASE WHEN t.typtype = 'd' THEN t.typtypmod
                                           ELSE a.atttypmod END AS typmod) m
          WHERE a.attrelid IN ({}) AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY a.attrelid, a.attnum",
        owned_oids_sql()
    )
}

/// One row per column of each foreign key, in the constraint's order.
fn keys_sql() -> String {
    format!(
        "SELECT con.conrelid::int8 AS oid, con.conname::text AS constraint_name,
                con.confrelid::int8 AS parent,
                quote_ident(pn.nspname) || '.' || quote_ident(pc.relname) AS parent_name,
                ca.attname::text AS column_name, pa.attname::text AS referenced
           FROM pg_constraint con
           CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(col, ref, i)
           JOIN pg_attribute ca ON ca.attrelid = con.conrelid AND ca.attnum = k.col
           JOIN pg_attribute pa ON pa.attrelid = con.confrelid AND pa.attnum = k.ref
           JOIN pg_class pc ON pc.oid = con.confrelid
           JOIN pg_namespace pn ON pn.oid = pc.relnamespace
          WHERE con.contype = 'f' AND con.conrelid IN ({})
          ORDER BY con.conrelid, con.conname, k.i",
        owned_oids_sql()
    )
}

async fn query<C: ConnectionTrait>(db: &C, sql: &str) -> anyhow::Result<Vec<QueryResult>> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .context("read the catalog for the generic fill")
}

fn column(row: &QueryResult) -> anyhow::Result<Column> {
    let max_len: Option<i32> = row.try_get("", "max_len")?;
    Ok(Column {
        name: row.try_get("", "name")?,
        sql_type: row.try_get("", "sql_type")?,
        base_sql: row.try_get("", "base_sql")?,
        base: row.try_get("", "base")?,
        category: row.try_get("", "category")?,
        max_len: max_len.and_then(|n| usize::try_from(n).ok()),
        not_null: row.try_get("", "not_null")?,
        defaulted: row.try_get("", "defaulted")?,
    })
}

/// Adds one column pair of a foreign key to its table: to the table's last key when the row
/// continues that constraint (rows come ordered by table and constraint), else as a new key.
fn add_key_column(tables: &mut [Table], row: &QueryResult) -> anyhow::Result<()> {
    let oid: i64 = row.try_get("", "oid")?;
    let constraint: String = row.try_get("", "constraint_name")?;
    let Some(table) = tables.iter_mut().find(|t| t.oid == oid) else {
        return Ok(());
    };
    let column: String = row.try_get("", "column_name")?;
    let referenced: String = row.try_get("", "referenced")?;
    if let Some(key) = table.keys.last_mut()
        && key.constraint == constraint
    {
        key.columns.push(column);
        key.referenced.push(referenced);
        return Ok(());
    }
    table.keys.push(ForeignKey {
        constraint,
        parent: row.try_get("", "parent")?,
        parent_name: row.try_get("", "parent_name")?,
        columns: vec![column],
        referenced: vec![referenced],
    });
    Ok(())
}
