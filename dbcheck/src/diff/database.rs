//! A database as the differ's target: its tables read back into the shape the entities give
//! ([`ExpectedTable`]), so `migrate diff --to database` plans with the same code as `--to
//! entities`, and the behaviour no entity states (functions, triggers, policies, grants) as
//! lines naming what differs.

use crate::catalog::{Catalog, Column, qualified};
use crate::drift::behaviour;
use crate::entities::{ExpectedColumn, ExpectedForeignKey, ExpectedTable, comparable_db_type};
use crate::erd::action;

use super::quoted;

/// Every table of `catalog` as an entity would describe it, with the `CREATE TABLE` and
/// `CREATE INDEX` statements that make it as it is there.
pub fn tables(catalog: &Catalog) -> Vec<ExpectedTable> {
    catalog
        .tables
        .iter()
        .map(|t| table(catalog, &t.schema, &t.name))
        .collect()
}

/// A column as an entity field would describe it, its definition as the database has it.
fn column(catalog: &Catalog, c: &Column) -> ExpectedColumn {
    let sql_type = comparable_db_type(&c.sql_type);
    let labels = catalog
        .enums
        .iter()
        .find(|e| qualified(&e.schema, &e.name) == sql_type)
        .map(|e| e.labels.clone());
    let mut definition = format!(r#""{}" {}"#, c.name, c.sql_type);
    definition.push_str(if c.not_null { " NOT NULL" } else { " NULL" });
    if let Some(default) = &c.default {
        definition.push_str(&format!(" DEFAULT {default}"));
    }
    ExpectedColumn {
        name: c.name.clone(),
        sql_type,
        nullable: !c.not_null,
        enum_labels: labels,
        definition,
        type_sql: c.sql_type.clone(),
    }
}

fn table(catalog: &Catalog, schema: &str, name: &str) -> ExpectedTable {
    let columns: Vec<ExpectedColumn> = catalog
        .columns_of(schema, name)
        .map(|c| column(catalog, c))
        .collect();
    let indexes: Vec<_> = catalog.indexes_of(schema, name).collect();
    let primary_key = indexes
        .iter()
        .find(|i| i.primary)
        .map(|i| i.columns.clone())
        .unwrap_or_default();
    let foreign_keys: Vec<ExpectedForeignKey> = catalog
        .foreign_keys_of(schema, name)
        .map(|f| ExpectedForeignKey {
            columns: f.columns.clone(),
            ref_schema: f.ref_schema.clone(),
            ref_table: f.ref_table.clone(),
            ref_columns: f.ref_columns.clone(),
            on_delete: f.on_delete.clone(),
            on_update: f.on_update.clone(),
        })
        .collect();
    ExpectedTable {
        phase: 0,
        schema: schema.to_owned(),
        name: name.to_owned(),
        create_table: create_table(schema, name, &columns, &primary_key, &foreign_keys),
        create_indexes: indexes
            .iter()
            .filter(|i| !i.primary)
            .map(|i| i.definition.clone())
            .collect(),
        unique: indexes
            .iter()
            .filter(|i| i.unique && !i.primary)
            .map(|i| i.columns.clone())
            .collect(),
        columns,
        primary_key,
        foreign_keys,
    }
}

fn create_table(
    schema: &str,
    name: &str,
    columns: &[ExpectedColumn],
    primary_key: &[String],
    foreign_keys: &[ExpectedForeignKey],
) -> String {
    let list = |cols: &[String]| {
        cols.iter()
            .map(|c| format!(r#""{c}""#))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts: Vec<String> = columns.iter().map(|c| c.definition.clone()).collect();
    if !primary_key.is_empty() {
        parts.push(format!("PRIMARY KEY ({})", list(primary_key)));
    }
    for fk in foreign_keys {
        parts.push(format!(
            "FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {} ON UPDATE {}",
            list(&fk.columns),
            quoted(&fk.ref_schema, &fk.ref_table),
            list(&fk.ref_columns),
            action(&fk.on_delete),
            action(&fk.on_update)
        ));
    }
    format!(
        "CREATE TABLE {} ( {} )",
        quoted(schema, name),
        parts.join(", ")
    )
}

/// The functions, triggers, checks, defaults, row-level security, policies and grants that
/// differ between `from` and `to`, one line each: the differ writes no statement for them.
pub fn behaviour(from: &Catalog, to: &Catalog) -> Vec<String> {
    behaviour::compare(&behaviour::manifest(to), from)
        .iter()
        .map(|f| {
            let message = f
                .message
                .replace("defined by the migrations", "in the target")
                .replace("the migrations define", "the target has")
                .replace("in database", "in the source")
                .replace("database has", "the source has");
            format!("{}: {message}", f.object)
        })
        .collect()
}
