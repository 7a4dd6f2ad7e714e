//! A new table: SeaORM's `CREATE TABLE` for its entity, the project's conventions (a
//! generated `id`, timestamps that default to now, `updatedAt` kept by `set_updated_at()`, an
//! index on every foreign key) and, for a table of users' rows, what phase 7 gives every such
//! table: row-level security enabled and forced, the owner and admin policies and grants,
//! the same-owner check on its other references and the audit triggers.

use std::collections::BTreeMap;

use crate::catalog::{Catalog, qualified};
use crate::entities::ExpectedTable;

use super::Change;
use super::columns::{foreign_key_index, foreign_key_name};
use super::quoted;

/// The test that a row of a new table belongs to the session's user, by (schema, table).
pub(super) type Owners = BTreeMap<(String, String), String>;

/// The session user's own rows, for a table with a NOT NULL `"userId"`.
const OWN: &str = r#""userId" = public.app_current_user_id()"#;

/// The owner test of each new table holding users' rows (the same rule as verify's): a NOT
/// NULL `"userId"`, else a NOT NULL foreign key (not to `users`) to a table holding users'
/// rows, through which the parent's own policy decides. `new` is parents first.
pub(super) fn owners(new: &[&ExpectedTable], catalog: &Catalog) -> Owners {
    let mut owners = Owners::new();
    for table in new {
        let not_null = |c: &str| table.columns.iter().any(|x| x.name == c && !x.nullable);
        let owner = if not_null("userId") {
            Some(OWN.to_owned())
        } else {
            table.foreign_keys.iter().find_map(|fk| {
                let parent = (fk.ref_schema.clone(), fk.ref_table.clone());
                let owned = owners.contains_key(&parent) || isolated(catalog, &parent);
                let to_users = parent.0 == "public" && parent.1 == "users";
                (owned && !to_users && fk.columns.iter().all(|c| not_null(c)))
                    .then(|| exists(table, &parent, &fk.columns[0], &fk.ref_columns[0]))
            })
        };
        if let Some(owner) = owner {
            owners.insert((table.schema.clone(), table.name.clone()), owner);
        }
    }
    owners
}

/// A table of the database whose rows are its users': row-level security forced and a
/// policy for `app_user`.
fn isolated(catalog: &Catalog, (schema, name): &(String, String)) -> bool {
    let forced = catalog
        .tables
        .iter()
        .any(|t| t.schema == *schema && t.name == *name && t.force_row_security);
    forced
        && catalog.policies.iter().any(|p| {
            p.schema == *schema && p.table == *name && p.roles.iter().any(|r| r == "app_user")
        })
}

/// A row's parent is visible to the session: the parent's own policy decides whose it is.
fn exists(table: &ExpectedTable, parent: &(String, String), column: &str, key: &str) -> String {
    format!(
        r#"EXISTS (SELECT 1 FROM {} p WHERE p."{key}" = {}."{column}")"#,
        quoted(&parent.0, &parent.1),
        table.name
    )
}

/// The statements that create `table` and undo it.
pub(super) fn create(table: &ExpectedTable, catalog: &Catalog, owners: &Owners) -> Change {
    let t = quoted(&table.schema, &table.name);
    let owner = owners.get(&(table.schema.clone(), table.name.clone()));
    let what = match owner {
        Some(_) => "table missing in database (a table of users' rows, isolated)",
        None => "table missing in database",
    };
    let mut change = Change::safe(qualified(&table.schema, &table.name), what);
    let mut create = table.create_table.clone();
    for fk in &table.foreign_keys {
        let seaorm = format!(r#""fk-{}-{}""#, table.name, fk.columns.join("-"));
        create = create.replace(&seaorm, &format!(r#""{}""#, foreign_key_name(table, fk)));
    }
    change.up.push(create);
    change.up.extend(conventions(table, &t));
    change
        .up
        .extend(table.create_indexes.iter().map(|i| renamed_index(table, i)));
    for fk in &table.foreign_keys {
        let covered = table.primary_key.starts_with(&fk.columns)
            || table.unique.iter().any(|u| u.starts_with(&fk.columns));
        if !covered {
            change.up.push(foreign_key_index(table, fk));
        }
    }
    match owner {
        Some(owner) => {
            change.up.extend(isolation(table, &t, owner));
            change
                .up
                .extend(same_owner_references(table, &t, catalog, owners));
            change.up.extend(audit(table, &t));
            change.review.push(format!(
                "{}: isolated for app_user by `{owner}`; app_user may SELECT, INSERT, UPDATE \
                 and DELETE its rows (narrow the GRANT if it must not write them); every write \
                 is audited when the table has \"id\" and \"userId\" (drop those triggers if \
                 it holds nothing sensitive)",
                change.object
            ));
        }
        None => {
            change.up.push(format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO app_admin"
            ));
            change.review.push(format!(
                "{}: no NOT NULL \"userId\" and no key to a table of users' rows, so it is \
                 treated as shared: app_user gets nothing on it; grant what it may read",
                change.object
            ));
        }
    }
    change.down.push(format!("DROP TABLE {t}"));
    change
}

/// SeaORM's `CREATE [UNIQUE] INDEX "idx-<table>-<name>"` named as the schema names its
/// indexes: `<table>_<columns>_key` for a unique one, `<table>_<columns>_idx` otherwise.
fn renamed_index(table: &ExpectedTable, statement: &str) -> String {
    let (Some(open), Some(close)) = (statement.rfind('('), statement.rfind(')')) else {
        return statement.to_owned();
    };
    let columns: Vec<&str> = statement[open + 1..close]
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    let unique = statement.starts_with("CREATE UNIQUE INDEX");
    let name = format!(
        "{}_{}_{}",
        table.name,
        columns.join("_"),
        if unique { "key" } else { "idx" }
    );
    let kind = if unique { "UNIQUE INDEX" } else { "INDEX" };
    format!(
        r#"CREATE {kind} "{name}" ON {} ({})"#,
        quoted(&table.schema, &table.name),
        statement[open + 1..close].trim()
    )
}

/// Defaults the entity cannot state and every table of the schema has: a generated uuid
/// `id`, `createdAt` and `updatedAt` that default to now, and `updatedAt` kept current.
fn conventions(table: &ExpectedTable, t: &str) -> Vec<String> {
    let mut out = Vec::new();
    for column in &table.columns {
        if column.definition.contains(" DEFAULT ") {
            continue;
        }
        let default = match (column.name.as_str(), column.sql_type.as_str()) {
            ("id", "uuid") if table.primary_key == ["id"] => "gen_random_uuid()",
            ("createdAt" | "updatedAt", "timestamp" | "timestamptz") => "CURRENT_TIMESTAMP",
            _ => continue,
        };
        out.push(format!(
            r#"ALTER TABLE {t} ALTER COLUMN "{}" SET DEFAULT {default}"#,
            column.name
        ));
    }
    if table.columns.iter().any(|c| c.name == "updatedAt") {
        out.push(format!(
            r#"CREATE TRIGGER "{}_set_updated_at" BEFORE UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION public.set_updated_at()"#,
            table.name
        ));
    }
    out
}

/// Row-level security enabled and forced, `app_user` limited to the owner's rows and
/// `app_admin` given every row, as `m20261201_000602_isolate_user_tables` does.
fn isolation(table: &ExpectedTable, t: &str, owner: &str) -> Vec<String> {
    let name = &table.name;
    vec![
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO app_user"),
        format!("ALTER TABLE {t} ENABLE ROW LEVEL SECURITY"),
        format!("ALTER TABLE {t} FORCE ROW LEVEL SECURITY"),
        format!(
            r#"CREATE POLICY "{name}_owner" ON {t} FOR ALL TO app_user USING ({owner}) WITH CHECK ({owner})"#
        ),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO app_admin"),
        format!(
            r#"CREATE POLICY "{name}_admin" ON {t} FOR ALL TO app_admin USING (true) WITH CHECK (true)"#
        ),
    ]
}

/// A row may point only at parents the session can see, so a user cannot attach a row to
/// another user's, as `m20261201_000603_refuse_cross_user_references` does: one restrictive
/// policy over every reference to a table of users' rows other than `users`.
fn same_owner_references(
    table: &ExpectedTable,
    t: &str,
    catalog: &Catalog,
    owners: &Owners,
) -> Vec<String> {
    let checks: Vec<String> = table
        .foreign_keys
        .iter()
        .filter_map(|fk| {
            let parent = (fk.ref_schema.clone(), fk.ref_table.clone());
            let to_users = parent.0 == "public" && parent.1 == "users";
            let owned = owners.contains_key(&parent) || isolated(catalog, &parent);
            if to_users || !owned || parent == (table.schema.clone(), table.name.clone()) {
                return None;
            }
            let column = &fk.columns[0];
            let probe = exists(table, &parent, column, &fk.ref_columns[0]);
            let nullable = table
                .columns
                .iter()
                .any(|c| c.name == *column && c.nullable);
            Some(if nullable {
                format!(r#"("{column}" IS NULL OR {probe})"#)
            } else {
                probe
            })
        })
        .collect();
    if checks.is_empty() {
        return Vec::new();
    }
    vec![format!(
        r#"CREATE POLICY "{}_same_owner_refs" ON {t} AS RESTRICTIVE FOR ALL TO app_user USING (true) WITH CHECK ({})"#,
        table.name,
        checks.join(" AND ")
    )]
}

/// The audit trail of `m20261201_000605_create_audit_triggers`: who wrote which row, never a
/// value. Its function reads `"id"` and `"userId"`, so only tables with both get it.
fn audit(table: &ExpectedTable, t: &str) -> Vec<String> {
    let has = |c: &str| table.columns.iter().any(|x| x.name == c);
    if !has("id") || !has("userId") {
        return Vec::new();
    }
    [
        ("INSERT", "REFERENCING NEW TABLE AS new_rows "),
        (
            "UPDATE",
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows ",
        ),
        ("DELETE", "REFERENCING OLD TABLE AS old_rows "),
        ("TRUNCATE", ""),
    ]
    .iter()
    .map(|(event, referencing)| {
        format!(
            r#"CREATE TRIGGER "{}_audit_{}" AFTER {event} ON {t} {referencing}FOR EACH STATEMENT EXECUTE FUNCTION public.audit_table_changes()"#,
            table.name,
            event.to_lowercase()
        )
    })
    .collect()
}
