//! Drift: the schema the entities describe against the live database, one finding per
//! difference (tables, columns, types, nullability, keys, indexes on foreign keys, foreign
//! keys, enum labels). It only reads the catalog.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use sea_orm::ConnectionTrait;

use crate::catalog::{Catalog, qualified};
use crate::entities::{self, ExpectedTable, comparable_db_type, normalise_db_type};
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
        eprintln!("drift: entities and {origin} agree");
        Ok(())
    } else {
        anyhow::bail!(
            "{} difference(s) between the entities and {origin}: fix the entity or add a migration",
            findings.len()
        )
    }
}

/// Compares every entity with the database behind `db`; an empty list means no drift.
pub async fn check(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Finding>> {
    let catalog = Catalog::load(db).await?;
    Ok(compare(&entities::expected(), &catalog))
}

/// The findings of `expected` against `catalog`, sorted, allowed ones left out.
pub fn compare(expected: &[ExpectedTable], catalog: &Catalog) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |object: String, message: String| out.push(Finding { object, message });
    let known: BTreeSet<(&str, &str)> = expected
        .iter()
        .map(|t| (t.schema.as_str(), t.name.as_str()))
        .collect();
    for table in &catalog.tables {
        if !known.contains(&(table.schema.as_str(), table.name.as_str())) {
            push(
                qualified(&table.schema, &table.name),
                "table in database, no entity".into(),
            );
        }
    }
    // Enum types the entities use, by normalised name, with their labels.
    let mut entity_enums: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for table in expected {
        let name = qualified(&table.schema, &table.name);
        if !catalog
            .tables
            .iter()
            .any(|t| t.schema == table.schema && t.name == table.name)
        {
            push(name, "table missing in database".into());
            continue;
        }
        let columns: BTreeMap<&str, _> = catalog
            .columns_of(&table.schema, &table.name)
            .map(|c| (c.name.as_str(), c))
            .collect();
        for column in &table.columns {
            let object = format!("{name}.{}", column.name);
            if let Some(labels) = &column.enum_labels {
                entity_enums.insert(column.sql_type.clone(), labels.clone());
            }
            let Some(live) = columns.get(column.name.as_str()) else {
                push(
                    object,
                    format!("column missing in database (entity {})", column.sql_type),
                );
                continue;
            };
            if comparable_db_type(&live.sql_type) != column.sql_type {
                push(
                    object.clone(),
                    format!(
                        "entity {}, database {}",
                        column.sql_type,
                        normalise_db_type(&live.sql_type)
                    ),
                );
            }
            if live.not_null == column.nullable {
                let spell = |nullable: bool| if nullable { "nullable" } else { "NOT NULL" };
                push(
                    object,
                    format!(
                        "entity {}, database {}",
                        spell(column.nullable),
                        spell(!live.not_null)
                    ),
                );
            }
        }
        for live in columns.keys() {
            if !table.columns.iter().any(|c| c.name == *live) {
                push(
                    format!("{name}.{live}"),
                    format!(
                        "column in database ({}), not in entity",
                        normalise_db_type(&columns[live].sql_type)
                    ),
                );
            }
        }
        keys(table, catalog, &mut push);
    }
    for live in &catalog.enums {
        let key = if live.schema == "public" {
            live.name.clone()
        } else {
            format!("{}.{}", live.schema, live.name)
        };
        match entity_enums.get(&key) {
            None => push(
                format!("enum {key}"),
                "in database, used by no entity".into(),
            ),
            Some(labels) if *labels != live.labels => push(
                format!("enum {key}"),
                format!(
                    "entity labels {}, database {}",
                    labels.join(","),
                    live.labels.join(",")
                ),
            ),
            Some(_) => {}
        }
    }
    for key in entity_enums.keys() {
        let exists = catalog
            .enums
            .iter()
            .any(|e| e.name == *key || format!("{}.{}", e.schema, e.name) == *key);
        if !exists {
            push(format!("enum {key}"), "type missing in database".into());
        }
    }
    out.retain(|f| !ALLOWED.contains(&f.to_string().as_str()));
    out.sort();
    out.dedup();
    out
}

/// Primary key, unique keys, an index on every foreign key, and the foreign keys themselves.
fn keys(table: &ExpectedTable, catalog: &Catalog, push: &mut impl FnMut(String, String)) {
    let name = qualified(&table.schema, &table.name);
    let indexes: Vec<_> = catalog.indexes_of(&table.schema, &table.name).collect();
    let set = |cols: &[String]| cols.iter().cloned().collect::<BTreeSet<_>>();
    match indexes.iter().find(|i| i.primary) {
        Some(pk) if pk.columns == table.primary_key => {}
        Some(pk) => push(
            name.clone(),
            format!(
                "entity primary key ({}), database ({})",
                table.primary_key.join(", "),
                pk.columns.join(", ")
            ),
        ),
        None => push(
            name.clone(),
            format!(
                "entity primary key ({}), database has none",
                table.primary_key.join(", ")
            ),
        ),
    }
    for unique in &table.unique {
        let found = indexes
            .iter()
            .any(|i| i.unique && !i.primary && set(&i.columns) == set(unique));
        if !found {
            push(
                name.clone(),
                format!("unique ({}) missing in database", unique.join(", ")),
            );
        }
    }
    for index in indexes.iter().filter(|i| i.unique && !i.primary) {
        let declared = table.unique.iter().any(|u| set(u) == set(&index.columns))
            // A unique index over the whole primary key of a keyless table is the key itself.
            || (index.columns == table.primary_key && !indexes.iter().any(|i| i.primary));
        if !declared {
            push(
                name.clone(),
                format!(
                    "unique index {} ({}) in database, not in entity",
                    index.name,
                    index.columns.join(", ")
                ),
            );
        }
    }
    let live_fks: Vec<_> = catalog
        .foreign_keys_of(&table.schema, &table.name)
        .collect();
    for fk in &table.foreign_keys {
        let target = qualified(&fk.ref_schema, &fk.ref_table);
        let cols = fk.columns.join(", ");
        if !indexes.iter().any(|i| i.columns.starts_with(&fk.columns)) {
            push(
                format!("{name}.{}", fk.columns.join(",")),
                format!("no index starts with foreign key ({cols})"),
            );
        }
        let Some(live) = live_fks.iter().find(|l| l.columns == fk.columns) else {
            push(
                name.clone(),
                format!("foreign key ({cols}) -> {target} missing in database"),
            );
            continue;
        };
        let live_target = qualified(&live.ref_schema, &live.ref_table);
        if live_target != target || live.ref_columns != fk.ref_columns {
            push(
                name.clone(),
                format!(
                    "foreign key ({cols}): entity -> {target}({}), database -> {live_target}({})",
                    fk.ref_columns.join(", "),
                    live.ref_columns.join(", ")
                ),
            );
        }
        if live.on_delete != fk.on_delete || live.on_update != fk.on_update {
            push(
                name.clone(),
                format!(
                    "foreign key ({cols}): entity ON DELETE {} ON UPDATE {}, database ON DELETE {} ON UPDATE {}",
                    action(&fk.on_delete),
                    action(&fk.on_update),
                    action(&live.on_delete),
                    action(&live.on_update)
                ),
            );
        }
    }
    for live in live_fks {
        if !table.foreign_keys.iter().any(|f| f.columns == live.columns) {
            push(
                name.clone(),
                format!(
                    "foreign key {} ({}) -> {} in database, not in entity",
                    live.name,
                    live.columns.join(", "),
                    qualified(&live.ref_schema, &live.ref_table)
                ),
            );
        }
    }
}
