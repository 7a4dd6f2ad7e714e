//! A snapshot of what a database's catalog holds, as sorted lines, for comparing two
//! databases or one database at two moments.

use std::collections::BTreeSet;
use std::fmt::Write;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// Tables that record migration state rather than the platform's data model.
const BOOKKEEPING: &str = "'seaql_migrations', 'seaql_migrations_checksums'";

/// Every schema, column, enum, index, constraint, trigger and function that the project
/// owns, one line each. Objects that belong to extensions (pgvector's) are left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catalog {
    pub lines: BTreeSet<String>,
}

/// One query per kind of object; each row is one line of the snapshot.
fn queries() -> Vec<String> {
    let own_schema = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'";
    let not_extension =
        "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')";
    vec![
        format!("SELECT 'schema ' || n.nspname FROM pg_namespace n WHERE {own_schema} AND n.nspname <> 'public'"),
        format!(
            "SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname
                 || ' #' || row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum)
                 || ' ' || format_type(a.atttypid, a.atttypmod)
                 || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE ' NULL' END
                 || coalesce(' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid), '')
             FROM pg_attribute a
             JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
             WHERE {own_schema} AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
               AND c.relname NOT IN ({BOOKKEEPING}) AND {}",
            not_extension.replace("{oid}", "c.oid")
        ),
        format!(
            "SELECT 'enum ' || n.nspname || '.' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
             WHERE {own_schema} GROUP BY n.nspname, t.typname"
        ),
        format!(
            "SELECT 'index ' || pg_get_indexdef(i.indexrelid)
             FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE {own_schema} AND c.relname NOT IN ({BOOKKEEPING}) AND {}",
            not_extension.replace("{oid}", "c.oid")
        ),
        format!(
            "SELECT 'constraint ' || n.nspname || '.' || c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid)
             FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE {own_schema} AND c.relname NOT IN ({BOOKKEEPING})"
        ),
        format!(
            "SELECT 'trigger ' || pg_get_triggerdef(t.oid)
             FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE {own_schema} AND NOT t.tgisinternal"
        ),
        format!(
            "SELECT 'function ' || p.oid::regprocedure::text || ' ' || md5(pg_get_functiondef(p.oid))
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE {own_schema} AND {}",
            not_extension.replace("{oid}", "p.oid")
        ),
        format!(
            "SELECT 'rls ' || n.nspname || '.' || c.relname || ' ' || c.relrowsecurity || ' ' || c.relforcerowsecurity
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE {own_schema} AND c.relkind = 'r' AND (c.relrowsecurity OR c.relforcerowsecurity)"
        ),
        format!(
            "SELECT 'policy ' || schemaname || '.' || tablename || ' ' || policyname || ' ' || cmd || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '')
             FROM pg_policies"
        ),
    ]
}

impl Catalog {
    pub async fn read(db: &DatabaseConnection) -> Catalog {
        let mut lines = BTreeSet::new();
        for sql in queries() {
            let rows = db
                .query_all_raw(Statement::from_string(
                    db.get_database_backend(),
                    sql.clone(),
                ))
                .await
                .unwrap_or_else(|err| panic!("catalog query failed: {err}\n{sql}"));
            for row in rows {
                let line: String = row.try_get_by_index(0).expect("catalog line");
                lines.insert(line);
            }
        }
        Catalog { lines }
    }

    /// The lines of one kind (`column`, `index`, `enum`, ...).
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.lines
            .iter()
            .filter(move |l| l.starts_with(kind) && l[kind.len()..].starts_with(' '))
    }

    /// The same snapshot with the defaults of `"updatedAt"` columns removed: SCHEMA.md lets
    /// migrations add `DEFAULT CURRENT_TIMESTAMP` there, and only there.
    pub fn without_updated_at_defaults(&self) -> Catalog {
        let lines = self
            .lines
            .iter()
            .map(|line| match line.split_once(" DEFAULT ") {
                Some((head, _)) if line.starts_with("column ") && head.contains(".updatedAt #") => {
                    head.to_string()
                }
                _ => line.clone(),
            })
            .collect();
        Catalog { lines }
    }

    /// The same snapshot without triggers and the functions they call, SCHEMA.md's other
    /// allowed difference from the reference DDL.
    pub fn without_triggers(&self) -> Catalog {
        let lines = self
            .lines
            .iter()
            .filter(|l| !l.starts_with("trigger ") && !l.starts_with("function "))
            .cloned()
            .collect();
        Catalog { lines }
    }

    /// A readable diff: lines only in `self`, lines only in `other`. Empty when equal.
    pub fn diff(&self, other: &Catalog, self_name: &str, other_name: &str) -> String {
        let mut out = String::new();
        for line in self.lines.difference(&other.lines) {
            let _ = writeln!(out, "only in {self_name}: {line}");
        }
        for line in other.lines.difference(&self.lines) {
            let _ = writeln!(out, "only in {other_name}: {line}");
        }
        out
    }
}

/// Asserts two snapshots are equal, printing only their differences when they are not.
#[track_caller]
pub fn assert_same(left: &Catalog, right: &Catalog, left_name: &str, right_name: &str) {
    let diff = left.diff(right, left_name, right_name);
    assert!(diff.is_empty(), "catalogs differ:\n{diff}");
}
