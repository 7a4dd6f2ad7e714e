//! Changes to what the database already has: enum types and their labels, and the columns,
//! unique keys and foreign keys of the tables both sides have.

use std::collections::BTreeMap;

use crate::catalog::{Catalog, Column, ForeignKey, qualified};
use crate::entities::{
    ExpectedColumn, ExpectedForeignKey, ExpectedTable, comparable_db_type, normalise_db_type,
};
use crate::erd::action;

use super::{Change, literal, quoted, quoted_type};

/// Enum types the entities use that the database lacks, labels added to types it has, and
/// types no entity uses any more.
pub(super) fn enums(expected: &[ExpectedTable], catalog: &Catalog) -> Vec<Change> {
    let wanted: BTreeMap<String, Vec<String>> = expected
        .iter()
        .flat_map(|t| &t.columns)
        .filter_map(|c| Some((c.sql_type.clone(), c.enum_labels.clone()?)))
        .collect();
    let mut changes = Vec::new();
    for (name, labels) in &wanted {
        let object = format!("enum {name}");
        let have = catalog
            .enums
            .iter()
            .find(|e| qualified(&e.schema, &e.name) == *name);
        let Some(have) = have else {
            let mut change = Change::safe(object, "type missing in database");
            let labels: Vec<String> = labels.iter().map(|l| literal(l)).collect();
            let ty = quoted_type(name);
            change
                .up
                .push(format!("CREATE TYPE {ty} AS ENUM ({})", labels.join(", ")));
            change.down.push(format!("DROP TYPE {ty}"));
            changes.push(change);
            continue;
        };
        if *labels != have.labels {
            changes.push(labels_change(object, name, labels, &have.labels));
        }
    }
    for db in &catalog.enums {
        let name = qualified(&db.schema, &db.name);
        if !wanted.contains_key(&name) {
            let mut change = Change::risky(
                format!("enum {name}"),
                "in database, used by no entity",
                format!("dropping type {name} fails while a column uses it"),
            );
            change.up.push(format!("DROP TYPE {}", quoted_type(&name)));
            let labels: Vec<String> = db.labels.iter().map(|l| literal(l)).collect();
            change.down.push(format!(
                "CREATE TYPE {} AS ENUM ({})",
                quoted_type(&name),
                labels.join(", ")
            ));
            changes.push(change);
        }
    }
    changes
}

/// New labels are added in place (`ADD VALUE .. AFTER` the label before them); a label
/// removed or moved rewrites the type and every column using it, which no generated
/// statement does.
fn labels_change(object: String, name: &str, want: &[String], have: &[String]) -> Change {
    let what = format!(
        "entity labels {}, database {}",
        want.join(","),
        have.join(",")
    );
    let kept: Vec<&String> = want.iter().filter(|l| have.contains(l)).collect();
    if kept.len() != have.len() || !kept.iter().zip(have).all(|(a, b)| *a == b) {
        return Change::risky(
            object,
            what,
            "a label removed or moved: PostgreSQL cannot drop or reorder enum labels; create a \
             new type and move the columns to it by hand (`cargo xtask migrate new`)",
        );
    }
    let mut change = Change::safe(object, what);
    for (i, label) in want.iter().enumerate() {
        if have.contains(label) {
            continue;
        }
        let place = match i.checked_sub(1).map(|p| &want[p]) {
            Some(before) => format!(" AFTER {}", literal(before)),
            None => format!(" BEFORE {}", literal(&have[0])),
        };
        change.up.push(format!(
            "ALTER TYPE {} ADD VALUE IF NOT EXISTS {}{place}",
            quoted_type(name),
            literal(label)
        ));
    }
    change.review.push(format!(
        "{name}: PostgreSQL cannot remove an enum label, so `down` leaves the new label(s) in \
         place (`ADD VALUE IF NOT EXISTS` lets `up` run again)"
    ));
    change
}

/// The changes to a table the database has: its columns, unique keys and foreign keys.
pub(super) fn existing(table: &ExpectedTable, catalog: &Catalog) -> Vec<Change> {
    let live: BTreeMap<&str, &Column> = catalog
        .columns_of(&table.schema, &table.name)
        .map(|c| (c.name.as_str(), c))
        .collect();
    let mut changes = Vec::new();
    for column in &table.columns {
        match live.get(column.name.as_str()) {
            None => changes.push(new_column(table, column, catalog)),
            Some(db) => changes.extend(changed_column(table, column, db)),
        }
    }
    for (name, db) in &live {
        if !table.columns.iter().any(|c| c.name == *name) {
            changes.push(dropped_column(table, db));
        }
    }
    changes.extend(unique_keys(table, catalog, &live));
    changes.extend(foreign_keys(table, catalog, &live));
    changes.extend(undeclared_unique_keys(table, catalog));
    changes.extend(undeclared_foreign_keys(table, catalog));
    changes
}

/// What drift says of a foreign key the entity does not declare as the database has it.
fn undeclared_what(db: &ForeignKey, declared: bool) -> String {
    if declared {
        return format!(
            "foreign key ({}) differs from the entity's",
            db.columns.join(", ")
        );
    }
    format!(
        "foreign key {} ({}) -> {} in database, not in entity",
        db.name,
        db.columns.join(", "),
        qualified(&db.ref_schema, &db.ref_table)
    )
}

/// The constraint of `table` named `name`, with its definition.
fn constraint<'a>(
    catalog: &'a Catalog,
    table: &ExpectedTable,
    name: &str,
) -> Option<&'a crate::catalog::Constraint> {
    catalog
        .constraints
        .iter()
        .find(|c| c.schema == table.schema && c.table == table.name && c.name == name)
}

/// Unique indexes of the database the entity does not declare: dropping one lets
/// duplicates in.
fn undeclared_unique_keys(table: &ExpectedTable, catalog: &Catalog) -> Vec<Change> {
    let name = qualified(&table.schema, &table.name);
    let t = quoted(&table.schema, &table.name);
    let mut changes = Vec::new();
    let keyless = !catalog
        .indexes_of(&table.schema, &table.name)
        .any(|i| i.primary);
    for index in catalog.indexes_of(&table.schema, &table.name) {
        let mut cols = index.columns.clone();
        cols.sort();
        let declared = table.unique.iter().any(|u| {
            let mut u = u.clone();
            u.sort();
            u == cols
        }) || (keyless && index.columns == table.primary_key);
        if !index.unique || index.primary || declared {
            continue;
        }
        let what = format!(
            "unique index {} ({}) in database, not in entity",
            index.name,
            index.columns.join(", ")
        );
        let mut change = Change::risky(
            name.clone(),
            what,
            "dropping a unique key lets duplicates in",
        );
        match constraint(catalog, table, &index.name) {
            Some(c) => {
                let n = &c.name;
                change
                    .up
                    .push(format!(r#"ALTER TABLE {t} DROP CONSTRAINT "{n}""#));
                let def = &c.definition;
                change
                    .down
                    .push(format!(r#"ALTER TABLE {t} ADD CONSTRAINT "{n}" {def}"#));
            }
            None => {
                let i = quoted(&table.schema, &index.name);
                change.up.push(format!("DROP INDEX {i}"));
                change.down.push(index.definition.clone());
            }
        }
        changes.push(change);
    }
    changes
}

/// Foreign keys of the database the entity does not declare, or declares otherwise (another
/// target or actions): dropping one lets orphans in.
fn undeclared_foreign_keys(table: &ExpectedTable, catalog: &Catalog) -> Vec<Change> {
    let name = qualified(&table.schema, &table.name);
    let t = quoted(&table.schema, &table.name);
    let mut changes = Vec::new();
    for db in catalog.foreign_keys_of(&table.schema, &table.name) {
        let declared = table.foreign_keys.iter().find(|f| f.columns == db.columns);
        let same = declared.is_some_and(|f| {
            (
                &f.ref_schema,
                &f.ref_table,
                &f.ref_columns,
                &f.on_delete,
                &f.on_update,
            ) == (
                &db.ref_schema,
                &db.ref_table,
                &db.ref_columns,
                &db.on_delete,
                &db.on_update,
            )
        });
        if same {
            continue;
        }
        let what = undeclared_what(db, declared.is_some());
        let mut change = Change::risky(
            name.clone(),
            what,
            "dropping or replacing a foreign key lets orphans in while it is gone, and adding              the new one validates every row under a lock that blocks writes",
        );
        let n = &db.name;
        change
            .up
            .push(format!(r#"ALTER TABLE {t} DROP CONSTRAINT "{n}""#));
        if let Some(fk) = declared {
            change.up.push(add_foreign_key(table, fk));
            change.down.push(format!(
                r#"ALTER TABLE {t} DROP CONSTRAINT "{}""#,
                foreign_key_name(table, fk)
            ));
        }
        if let Some(c) = constraint(catalog, table, n) {
            let def = &c.definition;
            change
                .down
                .push(format!(r#"ALTER TABLE {t} ADD CONSTRAINT "{n}" {def}"#));
        }
        changes.push(change);
    }
    changes
}

fn object(table: &ExpectedTable, column: &str) -> String {
    format!("{}.{column}", qualified(&table.schema, &table.name))
}

/// `ADD COLUMN`, with the grants the table's other columns have. NOT NULL without a default
/// fails on a table with rows, so it is the expand/backfill/contract recipe's job.
fn new_column(table: &ExpectedTable, column: &ExpectedColumn, catalog: &Catalog) -> Change {
    let t = quoted(&table.schema, &table.name);
    let what = format!("column missing in database (entity {})", column.sql_type);
    let mut change = if !column.nullable && !column.definition.contains(" DEFAULT ") {
        Change::risky(
            object(table, &column.name),
            what,
            "a NOT NULL column without a default cannot be added to a table with rows: add it \
             nullable, backfill it, then set NOT NULL (docs/online-changes.md, expand and \
             contract)",
        )
    } else {
        Change::safe(object(table, &column.name), what)
    };
    change
        .up
        .push(format!("ALTER TABLE {t} ADD COLUMN {}", column.definition));
    for (role, privilege) in column_grants(table, catalog) {
        change.up.push(format!(
            r#"GRANT {privilege} ("{}") ON {t} TO {role}"#,
            column.name
        ));
        change.review.push(format!(
            "{}: {role} gets {privilege} on it, as on other columns of the table; revoke it in \
             this migration if the column is not theirs to {}",
            object(table, &column.name),
            privilege.to_lowercase()
        ));
    }
    if let Some(fk) = table
        .foreign_keys
        .iter()
        .find(|fk| fk.columns == [column.name.clone()])
    {
        change.up.push(add_foreign_key(table, fk));
        change.up.push(foreign_key_index(table, fk));
    }
    change
        .down
        .push(format!(r#"ALTER TABLE {t} DROP COLUMN "{}""#, column.name));
    change
}

/// The column privileges (role, privilege) some column of the table has and the table as a
/// whole does not: a new column gets them too. Table-wide privileges cover it already.
fn column_grants(table: &ExpectedTable, catalog: &Catalog) -> Vec<(String, String)> {
    let grants: Vec<_> = catalog
        .grants
        .iter()
        .filter(|g| g.schema == table.schema && g.table == table.name)
        .collect();
    let mut out: Vec<(String, String)> = grants
        .iter()
        .filter_map(|g| {
            let (privilege, _) = g.privilege.split_once(" (")?;
            let table_wide = grants
                .iter()
                .any(|o| o.role == g.role && o.privilege == privilege);
            (!table_wide).then(|| (g.role.clone(), privilege.to_owned()))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A column both sides have whose type or nullability differs.
fn changed_column(table: &ExpectedTable, column: &ExpectedColumn, db: &Column) -> Vec<Change> {
    let t = quoted(&table.schema, &table.name);
    let c = &column.name;
    let mut changes = Vec::new();
    if comparable_db_type(&db.sql_type) != column.sql_type {
        let what = format!(
            "entity {}, database {}",
            column.sql_type,
            normalise_db_type(&db.sql_type)
        );
        let mut change = Change::risky(
            object(table, c),
            what,
            "a type change rewrites the table under an ACCESS EXCLUSIVE lock and may fail on \
             existing values: add a new column, backfill it, switch readers, drop the old one \
             (docs/online-changes.md)",
        );
        let (new, old) = (&column.type_sql, &db.sql_type);
        change.up.push(format!(
            r#"ALTER TABLE {t} ALTER COLUMN "{c}" TYPE {new} USING "{c}"::{new}"#
        ));
        change.down.push(format!(
            r#"ALTER TABLE {t} ALTER COLUMN "{c}" TYPE {old} USING "{c}"::{old}"#
        ));
        changes.push(change);
    }
    if db.not_null == column.nullable {
        let (want, have) = if column.nullable {
            ("nullable", "NOT NULL")
        } else {
            ("NOT NULL", "nullable")
        };
        let what = format!("entity {want}, database {have}");
        let (up, down) = if column.nullable {
            ("DROP", "SET")
        } else {
            ("SET", "DROP")
        };
        let mut change = if column.nullable {
            Change::safe(object(table, c), what)
        } else {
            Change::risky(
                object(table, c),
                what,
                "SET NOT NULL reads the whole table under an ACCESS EXCLUSIVE lock and fails on \
                 a NULL: backfill, add a CHECK (.. IS NOT NULL) NOT VALID, validate it, then set \
                 NOT NULL (docs/online-changes.md)",
            )
        };
        change.up.push(format!(
            r#"ALTER TABLE {t} ALTER COLUMN "{c}" {up} NOT NULL"#
        ));
        change.down.push(format!(
            r#"ALTER TABLE {t} ALTER COLUMN "{c}" {down} NOT NULL"#
        ));
        changes.push(change);
    }
    changes
}

/// A column no entity field maps: dropping it destroys its values.
fn dropped_column(table: &ExpectedTable, db: &Column) -> Change {
    let what = format!(
        "column in database ({}), not in entity",
        normalise_db_type(&db.sql_type)
    );
    let mut change = Change::risky(
        object(table, &db.name),
        what,
        "dropping a column destroys its values, and a running application that still reads it \
         fails: stop reading it first, deploy, then drop it (docs/online-changes.md)",
    );
    change.up.push(format!(
        r#"ALTER TABLE {} DROP COLUMN "{}""#,
        quoted(&table.schema, &table.name),
        db.name
    ));
    change.reversible = false;
    change
}

/// Unique keys the entity declares and the database lacks. A key over a column added by this
/// migration is safe to build (its values are all NULL); one over existing columns locks the
/// table's writes while it builds and fails on duplicates.
fn unique_keys(
    table: &ExpectedTable,
    catalog: &Catalog,
    live: &BTreeMap<&str, &Column>,
) -> Vec<Change> {
    let name = qualified(&table.schema, &table.name);
    let indexes: Vec<_> = catalog.indexes_of(&table.schema, &table.name).collect();
    let mut changes = Vec::new();
    for unique in &table.unique {
        let set = |cols: &[String]| {
            let mut cols = cols.to_vec();
            cols.sort();
            cols
        };
        if indexes
            .iter()
            .any(|i| i.unique && set(&i.columns) == set(unique))
        {
            continue;
        }
        let new_columns = unique.iter().any(|c| !live.contains_key(c.as_str()));
        // A single new `unique` column is unique already through its definition.
        if new_columns && unique.len() == 1 {
            continue;
        }
        let what = format!("unique ({}) missing in database", unique.join(", "));
        let mut change = if new_columns {
            Change::safe(name.clone(), what)
        } else {
            Change::risky(
                name.clone(),
                what,
                "a unique index on existing rows blocks writes while it builds and fails on \
                 duplicates: build it online (`cargo xtask migrate new --online`, unique: true)",
            )
        };
        let index = format!("{}_{}_key", table.name, unique.join("_"));
        let cols: Vec<String> = unique.iter().map(|c| format!(r#""{c}""#)).collect();
        change.up.push(format!(
            r#"CREATE UNIQUE INDEX "{index}" ON {} ({})"#,
            quoted(&table.schema, &table.name),
            cols.join(", ")
        ));
        change
            .down
            .push(format!("DROP INDEX {}", quoted(&table.schema, &index)));
        changes.push(change);
    }
    changes
}

/// Foreign keys the entity declares on existing columns and the database lacks (validating
/// one reads every row under a lock that blocks writes), and indexes missing under declared
/// ones. Keys on new columns come with their column ([`new_column`]).
fn foreign_keys(
    table: &ExpectedTable,
    catalog: &Catalog,
    live: &BTreeMap<&str, &Column>,
) -> Vec<Change> {
    let name = qualified(&table.schema, &table.name);
    let db: Vec<&ForeignKey> = catalog
        .foreign_keys_of(&table.schema, &table.name)
        .collect();
    let indexes: Vec<_> = catalog.indexes_of(&table.schema, &table.name).collect();
    let mut changes = Vec::new();
    for fk in &table.foreign_keys {
        if fk.columns.iter().any(|c| !live.contains_key(c.as_str())) {
            continue;
        }
        let target = qualified(&fk.ref_schema, &fk.ref_table);
        if !db.iter().any(|d| d.columns == fk.columns) {
            let what = format!(
                "foreign key ({}) -> {target} missing in database",
                fk.columns.join(", ")
            );
            let mut change = Change::risky(
                name.clone(),
                what,
                "a foreign key on existing rows is validated under a lock that blocks writes: \
                 add it NOT VALID, then VALIDATE CONSTRAINT in a migration of its own",
            );
            change.up.push(add_foreign_key(table, fk));
            change.down.push(format!(
                r#"ALTER TABLE {} DROP CONSTRAINT "{}""#,
                quoted(&table.schema, &table.name),
                foreign_key_name(table, fk)
            ));
            changes.push(change);
        }
        if !indexes.iter().any(|i| i.columns.starts_with(&fk.columns)) {
            let mut change = Change::safe(
                format!("{name}.{}", fk.columns.join(",")),
                format!(
                    "no index starts with foreign key ({})",
                    fk.columns.join(", ")
                ),
            );
            change.up.push(foreign_key_index(table, fk));
            change.down.push(format!(
                "DROP INDEX {}",
                quoted(&table.schema, &foreign_key_index_name(table, fk))
            ));
            change.review.push(format!(
                "{name}: the index blocks writes to the table while it builds; on a big table \
                 build it online instead (`cargo xtask migrate new --online`)"
            ));
            changes.push(change);
        }
    }
    changes
}

/// The constraint name PostgreSQL would give the key: `<table>_<columns>_fkey`.
pub(super) fn foreign_key_name(table: &ExpectedTable, fk: &ExpectedForeignKey) -> String {
    format!("{}_{}_fkey", table.name, fk.columns.join("_"))
}

/// `ALTER TABLE .. ADD CONSTRAINT .. FOREIGN KEY`, with the entity's actions.
pub(super) fn add_foreign_key(table: &ExpectedTable, fk: &ExpectedForeignKey) -> String {
    let cols = |cols: &[String]| {
        cols.iter()
            .map(|c| format!(r#""{c}""#))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        r#"ALTER TABLE {} ADD CONSTRAINT "{}" FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {} ON UPDATE {}"#,
        quoted(&table.schema, &table.name),
        foreign_key_name(table, fk),
        cols(&fk.columns),
        quoted(&fk.ref_schema, &fk.ref_table),
        cols(&fk.ref_columns),
        action(&fk.on_delete),
        action(&fk.on_update)
    )
}

/// The index every foreign key gets, so that deleting a parent does not scan the child.
pub(super) fn foreign_key_index_name(table: &ExpectedTable, fk: &ExpectedForeignKey) -> String {
    format!("{}_{}_idx", table.name, fk.columns.join("_"))
}

pub(super) fn foreign_key_index(table: &ExpectedTable, fk: &ExpectedForeignKey) -> String {
    let cols: Vec<String> = fk.columns.iter().map(|c| format!(r#""{c}""#)).collect();
    format!(
        r#"CREATE INDEX "{}" ON {} ({})"#,
        foreign_key_index_name(table, fk),
        quoted(&table.schema, &table.name),
        cols.join(", ")
    )
}
