//! Drift: the live database against what the code says it should be, one finding per
//! difference. The entities give tables, columns, types, nullability, keys, indexes on foreign
//! keys, foreign keys and enum labels (here); the migrations' manifest gives triggers,
//! functions, CHECK constraints, defaults, row-level security, policies and grants
//! ([`behaviour`]). It only reads the catalog.

pub mod behaviour;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use sea_orm::ConnectionTrait;

use crate::catalog::{Catalog, Column, ForeignKey, Index, qualified};
use crate::entities::{
    self, ExpectedForeignKey, ExpectedTable, comparable_db_type, normalise_db_type,
};
use crate::erd::action;

/// One difference, printed as `object: what differs`
/// (`health.medications.dosage: entity varchar(100), database text`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// What differs: `table`, `schema.table`, `table.column` or `enum Name`.
    pub object: String,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.object, self.message)
    }
}

/// Deliberate differences between the entities and the migrated schema, as the exact finding
/// they would produce. Each needs a reason; anything else is drift.
pub const ALLOWED: &[&str] = &[
    // The seed's `verification_tokens` has no primary key, only two unique indexes; the entity
    // needs a key, so it declares (identifier, token), which the unique index
    // `verification_tokens_identifier_token_key` enforces (SCHEMA.md, phase 1).
    "verification_tokens: entity primary key (identifier, token), database has none",
    // Phase 6's search vector is the database's business: a trigger writes it, only the
    // full-text query's SQL reads it, and no Rust code should load or write it with a message,
    // so the entity leaves it out (docs/search.md).
    "messages.contentSearch: column in database (tsvector), not in entity",
    // The counters' pending changes (phase 7, m20261206_000691): the counter triggers write a
    // transaction's rows and fold them away before it commits, so the table is empty to any
    // other session and no Rust code may read or write it.
    "counter_deltas: table in database, no entity",
];

/// Runs [`check`] on `db` and prints each finding on stdout; fails, naming the fix, when there
/// is any. `origin` says which database, password redacted. The shared body of
/// `cargo xtask drift` and `migration drift`.
pub async fn report(db: &impl ConnectionTrait, origin: &str) -> anyhow::Result<()> {
    let findings = check(db).await?;
    for finding in &findings {
        println!("{finding}");
    }
    if findings.is_empty() {
        eprintln!("drift: the entities, the migrations and {origin} agree");
        Ok(())
    } else {
        anyhow::bail!("{}", advice(findings.len(), origin))
    }
}

/// The line that ends a report of `n` findings: what fixes each direction of drift. The usual
/// one is a new migration whose objects the manifest and the entities do not know yet.
fn advice(n: usize, origin: &str) -> String {
    format!(
        "{n} difference(s) between the code and {origin}: for what only the database has, after \
         adding a migration run `cargo xtask erd` (and write the entity of a new table), else \
         undo the change made by hand; for what it lacks, run `cargo xtask migrate` or add a \
         migration that puts it back"
    )
}

/// Compares every entity, and every object of the migrations' manifest, with the database
/// behind `db`; an empty list means no drift.
pub async fn check(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Finding>> {
    let catalog = Catalog::load(db).await?;
    let mut findings = compare(&entities::expected(), &catalog);
    findings.extend(behaviour::compare(behaviour::EXPECTED, &catalog));
    Ok(findings)
}

/// The findings of `expected` against `catalog`, sorted, allowed ones left out.
pub fn compare(expected: &[ExpectedTable], catalog: &Catalog) -> Vec<Finding> {
    let mut out = Findings::default();
    extra_tables(expected, catalog, &mut out);
    for table in expected {
        if !has_table(catalog, table) {
            out.push(
                qualified(&table.schema, &table.name),
                "table missing in database",
            );
            continue;
        }
        columns(table, catalog, &mut out);
        let indexes: Vec<&Index> = catalog.indexes_of(&table.schema, &table.name).collect();
        primary_key(table, &indexes, &mut out);
        unique_keys(table, &indexes, &mut out);
        foreign_key_indexes(table, &indexes, &mut out);
        foreign_keys(table, catalog, &mut out);
    }
    enums(&entity_enums(expected, catalog), catalog, &mut out);
    out.finish()
}

/// The findings gathered so far, in any order.
#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn push(&mut self, object: impl Into<String>, message: impl Into<String>) {
        self.0.push(Finding {
            object: object.into(),
            message: message.into(),
        });
    }

    /// Sorted and deduplicated, the [`ALLOWED`] ones left out.
    fn finish(self) -> Vec<Finding> {
        let mut out = self.0;
        out.retain(|f| !ALLOWED.contains(&f.to_string().as_str()));
        out.sort();
        out.dedup();
        out
    }
}

fn has_table(catalog: &Catalog, table: &ExpectedTable) -> bool {
    catalog
        .tables
        .iter()
        .any(|t| t.schema == table.schema && t.name == table.name)
}

/// Tables of the database that no entity maps.
fn extra_tables(expected: &[ExpectedTable], catalog: &Catalog, out: &mut Findings) {
    let known: BTreeSet<(&str, &str)> = expected
        .iter()
        .map(|t| (t.schema.as_str(), t.name.as_str()))
        .collect();
    for table in &catalog.tables {
        if !known.contains(&(table.schema.as_str(), table.name.as_str())) {
            out.push(
                qualified(&table.schema, &table.name),
                "table in database, no entity",
            );
        }
    }
}

/// Each column of a table both sides have: present, same type, same nullability; and the
/// database's columns no entity field maps.
fn columns(table: &ExpectedTable, catalog: &Catalog, out: &mut Findings) {
    let name = qualified(&table.schema, &table.name);
    let live: BTreeMap<&str, &Column> = catalog
        .columns_of(&table.schema, &table.name)
        .map(|c| (c.name.as_str(), c))
        .collect();
    for column in &table.columns {
        let object = format!("{name}.{}", column.name);
        let Some(db) = live.get(column.name.as_str()) else {
            let message = format!("column missing in database (entity {})", column.sql_type);
            out.push(object, message);
            continue;
        };
        if comparable_db_type(&db.sql_type) != column.sql_type {
            let message = format!(
                "entity {}, database {}",
                column.sql_type,
                normalise_db_type(&db.sql_type)
            );
            out.push(object.clone(), message);
        }
        if db.not_null == column.nullable {
            let spell = |nullable: bool| if nullable { "nullable" } else { "NOT NULL" };
            let message = format!(
                "entity {}, database {}",
                spell(column.nullable),
                spell(!db.not_null)
            );
            out.push(object, message);
        }
    }
    for (column, db) in &live {
        if !table.columns.iter().any(|c| c.name == *column) {
            let message = format!(
                "column in database ({}), not in entity",
                normalise_db_type(&db.sql_type)
            );
            out.push(format!("{name}.{column}"), message);
        }
    }
}

/// The primary key: the same columns in the same order.
fn primary_key(table: &ExpectedTable, indexes: &[&Index], out: &mut Findings) {
    let name = qualified(&table.schema, &table.name);
    let entity = table.primary_key.join(", ");
    match indexes.iter().find(|i| i.primary) {
        Some(pk) if pk.columns == table.primary_key => {}
        Some(pk) => out.push(
            name,
            format!(
                "entity primary key ({entity}), database ({})",
                pk.columns.join(", ")
            ),
        ),
        None => out.push(
            name,
            format!("entity primary key ({entity}), database has none"),
        ),
    }
}

fn column_set(columns: &[String]) -> BTreeSet<&String> {
    columns.iter().collect()
}

/// Unique keys: each the entity declares has a unique index over the same columns, in any
/// order, and each unique index of the database is declared.
fn unique_keys(table: &ExpectedTable, indexes: &[&Index], out: &mut Findings) {
    let name = qualified(&table.schema, &table.name);
    let unique_indexes = || indexes.iter().filter(|i| i.unique && !i.primary);
    for unique in &table.unique {
        if !unique_indexes().any(|i| column_set(&i.columns) == column_set(unique)) {
            let message = format!("unique ({}) missing in database", unique.join(", "));
            out.push(name.clone(), message);
        }
    }
    for index in unique_indexes() {
        let declared = table
            .unique
            .iter()
            .any(|u| column_set(u) == column_set(&index.columns))
            // A unique index over the whole primary key of a keyless table is the key itself.
            || (index.columns == table.primary_key && !indexes.iter().any(|i| i.primary));
        if !declared {
            let message = format!(
                "unique index {} ({}) in database, not in entity",
                index.name,
                index.columns.join(", ")
            );
            out.push(name.clone(), message);
        }
    }
}

/// An index starts with the columns of every foreign key the entity declares, so deleting a
/// parent row does not scan the child table.
fn foreign_key_indexes(table: &ExpectedTable, indexes: &[&Index], out: &mut Findings) {
    let name = qualified(&table.schema, &table.name);
    for fk in &table.foreign_keys {
        if !indexes.iter().any(|i| i.columns.starts_with(&fk.columns)) {
            out.push(
                format!("{name}.{}", fk.columns.join(",")),
                format!(
                    "no index starts with foreign key ({})",
                    fk.columns.join(", ")
                ),
            );
        }
    }
}

/// Foreign keys by their columns: present, same target, same actions; and the database's
/// foreign keys no relation declares.
fn foreign_keys(table: &ExpectedTable, catalog: &Catalog, out: &mut Findings) {
    let name = qualified(&table.schema, &table.name);
    let live: Vec<&ForeignKey> = catalog
        .foreign_keys_of(&table.schema, &table.name)
        .collect();
    for fk in &table.foreign_keys {
        match live.iter().find(|l| l.columns == fk.columns) {
            Some(db) => foreign_key(&name, fk, db, out),
            None => out.push(
                name.clone(),
                format!(
                    "foreign key ({}) -> {} missing in database",
                    fk.columns.join(", "),
                    qualified(&fk.ref_schema, &fk.ref_table)
                ),
            ),
        }
    }
    for db in live {
        if !table.foreign_keys.iter().any(|f| f.columns == db.columns) {
            let message = format!(
                "foreign key {} ({}) -> {} in database, not in entity",
                db.name,
                db.columns.join(", "),
                qualified(&db.ref_schema, &db.ref_table)
            );
            out.push(name.clone(), message);
        }
    }
}

/// One foreign key both sides have, on table `name`: its target and its actions.
fn foreign_key(name: &str, fk: &ExpectedForeignKey, db: &ForeignKey, out: &mut Findings) {
    let cols = fk.columns.join(", ");
    let target = qualified(&fk.ref_schema, &fk.ref_table);
    let db_target = qualified(&db.ref_schema, &db.ref_table);
    if db_target != target || db.ref_columns != fk.ref_columns {
        let message = format!(
            "foreign key ({cols}): entity -> {target}({}), database -> {db_target}({})",
            fk.ref_columns.join(", "),
            db.ref_columns.join(", ")
        );
        out.push(name, message);
    }
    if db.on_delete != fk.on_delete || db.on_update != fk.on_update {
        let message = format!(
            "foreign key ({cols}): entity ON DELETE {} ON UPDATE {}, database ON DELETE {} ON UPDATE {}",
            action(&fk.on_delete),
            action(&fk.on_update),
            action(&db.on_delete),
            action(&db.on_update)
        );
        out.push(name, message);
    }
}

/// The enum types the entities use, by normalised name (`health.ConditionStatus`), with their
/// labels. Only tables the database has count: a missing table is reported once, not again
/// through its enum types.
fn entity_enums(expected: &[ExpectedTable], catalog: &Catalog) -> BTreeMap<String, Vec<String>> {
    expected
        .iter()
        .filter(|table| has_table(catalog, table))
        .flat_map(|table| &table.columns)
        .filter_map(|c| Some((c.sql_type.clone(), c.enum_labels.clone()?)))
        .collect()
}

/// Enum types: each of the database's is used by an entity with the same labels, and each
/// the entities use exists.
fn enums(entity: &BTreeMap<String, Vec<String>>, catalog: &Catalog, out: &mut Findings) {
    for db in &catalog.enums {
        let key = qualified(&db.schema, &db.name);
        match entity.get(&key) {
            None => out.push(format!("enum {key}"), "in database, used by no entity"),
            Some(labels) if *labels != db.labels => out.push(
                format!("enum {key}"),
                format!(
                    "entity labels {}, database {}",
                    labels.join(","),
                    db.labels.join(",")
                ),
            ),
            Some(_) => {}
        }
    }
    for key in entity.keys() {
        let exists = catalog
            .enums
            .iter()
            .any(|e| e.name == *key || format!("{}.{}", e.schema, e.name) == *key);
        if !exists {
            out.push(format!("enum {key}"), "type missing in database");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::advice;

    #[test]
    fn the_closing_line_names_the_command_that_fixes_a_new_migrations_drift() {
        let line = advice(2, "the dev database");
        assert!(line.starts_with("2 difference(s) between the code and the dev database: "));
        assert!(line.contains("`cargo xtask erd`"), "{line}");
        assert!(line.contains("`cargo xtask migrate`"), "{line}");
        assert!(!line.contains("  "), "one line, single spaces: {line}");
    }
}
