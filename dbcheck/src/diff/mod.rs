//! The SQL that takes a database to what the entities describe: the changes behind `cargo
//! xtask migrate dev` (which writes them into a new migration) and `migrate diff` (which
//! prints them). It reads the catalog and writes nothing.
//!
//! New enum types and labels, new tables (with the project's conventions and, for a table of
//! users' rows, the isolation phase 7 gives every such table: [`new_table`]), new columns
//! (with the grants their table's columns have) and columns made nullable are safe. What
//! destroys data or locks a filled table (a drop, a type change, NOT NULL on an existing
//! column, a key added to existing rows) is a change too, marked [`Change::risk`]: never
//! written without the caller's consent.

mod columns;
pub mod database;
mod new_table;

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::catalog::{Catalog, qualified};
use crate::drift::ALLOWED;
use crate::entities::ExpectedTable;

/// One change of the schema, as the statements that make it and those that undo it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What changes: `public.notes`, `public.users.nickname`, `enum AlertType`.
    pub object: String,
    /// What happens to it, in a few words (`new table, isolated for app_user`).
    pub what: String,
    pub up: Vec<String>,
    /// The statements that undo `up`, in the order they run.
    pub down: Vec<String>,
    /// Why the change destroys data or locks a filled table, when it does.
    pub risk: Option<String>,
    /// What a reviewer should decide about it.
    pub review: Vec<String>,
    /// False when `down` cannot undo it (the rows of a dropped table or column are gone): the
    /// migration's `down` then refuses, naming the backup to restore.
    pub reversible: bool,
}

impl Change {
    fn safe(object: impl Into<String>, what: impl Into<String>) -> Change {
        Change {
            object: object.into(),
            what: what.into(),
            up: Vec::new(),
            down: Vec::new(),
            risk: None,
            review: Vec::new(),
            reversible: true,
        }
    }

    fn risky(object: impl Into<String>, what: impl Into<String>, why: impl Into<String>) -> Change {
        Change {
            risk: Some(why.into()),
            ..Change::safe(object, what)
        }
    }
}

/// The changes that take `catalog` to `expected`, in the order they must run: enum types and
/// labels, then new tables (parents first), then the tables both have. An empty list means
/// the database already matches the entities.
pub fn plan(expected: &[ExpectedTable], catalog: &Catalog) -> Vec<Change> {
    let mut changes = schemas(expected, catalog);
    changes.extend(columns::enums(expected, catalog));
    let new: Vec<&ExpectedTable> = parents_first(
        expected
            .iter()
            .filter(|t| !has_table(catalog, &t.schema, &t.name))
            .collect(),
    );
    let owners = new_table::owners(&new, catalog);
    for table in &new {
        changes.push(new_table::create(table, catalog, &owners));
    }
    for table in expected
        .iter()
        .filter(|t| has_table(catalog, &t.schema, &t.name))
    {
        changes.extend(columns::existing(table, catalog));
    }
    changes.extend(dropped_tables(expected, catalog));
    changes
        .into_iter()
        .filter(|c| !ALLOWED.contains(&c.drift_line().as_str()))
        .collect()
}

impl Change {
    /// The drift finding this change answers, to leave out the differences drift allows.
    fn drift_line(&self) -> String {
        format!("{}: {}", self.object, self.what)
    }
}

/// The whole migration as SQL, for `migrate diff`: each change's statements after a comment
/// naming it, risky ones flagged.
pub fn render(changes: &[Change]) -> String {
    let mut out = String::new();
    for change in changes {
        let _ = writeln!(out, "-- {}: {}", change.object, change.what);
        if let Some(risk) = &change.risk {
            let _ = writeln!(out, "-- DESTRUCTIVE OR LOCKING: {risk}");
        }
        for statement in &change.up {
            let _ = writeln!(out, "{statement};");
        }
    }
    out
}

fn has_table(catalog: &Catalog, schema: &str, name: &str) -> bool {
    catalog
        .tables
        .iter()
        .any(|t| t.schema == schema && t.name == name)
}

/// `tables` ordered so that each comes after the new tables its foreign keys point at; a cycle
/// keeps the rest in their order.
fn parents_first(mut tables: Vec<&ExpectedTable>) -> Vec<&ExpectedTable> {
    let mut ordered: Vec<&ExpectedTable> = Vec::new();
    while !tables.is_empty() {
        let ready = tables.iter().position(|t| {
            t.foreign_keys.iter().all(|fk| {
                (fk.ref_schema == t.schema && fk.ref_table == t.name)
                    || !tables
                        .iter()
                        .any(|o| o.schema == fk.ref_schema && o.name == fk.ref_table)
            })
        });
        ordered.push(tables.remove(ready.unwrap_or(0)));
    }
    ordered
}

/// The schemas of new tables that the database lacks (all of them, from an empty one).
fn schemas(expected: &[ExpectedTable], catalog: &Catalog) -> Vec<Change> {
    let wanted: BTreeSet<&str> = expected.iter().map(|t| t.schema.as_str()).collect();
    wanted
        .into_iter()
        .filter(|s| *s != "public" && !catalog.schemas.iter().any(|c| c == s))
        .map(|schema| {
            let mut change = Change::safe(format!("schema {schema}"), "schema missing in database");
            change.up.push(format!(r#"CREATE SCHEMA "{schema}""#));
            change.down.push(format!(r#"DROP SCHEMA "{schema}""#));
            change
        })
        .collect()
}

/// Tables of the database no entity maps: dropping one destroys its rows.
fn dropped_tables(expected: &[ExpectedTable], catalog: &Catalog) -> Vec<Change> {
    let known: BTreeSet<(&str, &str)> = expected
        .iter()
        .map(|t| (t.schema.as_str(), t.name.as_str()))
        .collect();
    catalog
        .tables
        .iter()
        .filter(|t| !known.contains(&(t.schema.as_str(), t.name.as_str())))
        .map(|t| {
            let name = qualified(&t.schema, &t.name);
            let mut change = Change::risky(
                name.clone(),
                "table in database, no entity",
                format!("dropping {name} destroys its rows"),
            );
            change
                .up
                .push(format!("DROP TABLE {}", quoted(&t.schema, &t.name)));
            change.reversible = false;
            change
        })
        .collect()
}

/// `"schema"."name"`, as a statement names a table or type.
pub(crate) fn quoted(schema: &str, name: &str) -> String {
    format!(r#""{schema}"."{name}""#)
}

/// A type as the entities name it (`UserRole`, `health.ConditionStatus`), quoted.
pub(crate) fn quoted_type(name: &str) -> String {
    match name.split_once('.') {
        Some((schema, name)) => quoted(schema, name),
        None => format!(r#""{name}""#),
    }
}

/// A string literal.
pub(crate) fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
