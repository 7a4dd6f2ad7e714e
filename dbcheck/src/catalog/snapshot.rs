//! The catalog as sorted lines, one per object, so two databases (or one database at two
//! moments) compare with a readable diff.

use std::collections::BTreeSet;
use std::fmt::Write;

use sea_orm::ConnectionTrait;

use super::{Catalog, Column, Function, Policy, Trigger};

/// Every object of a [`Catalog`] as one line that starts with its kind (`schema`, `table`,
/// `column`, `enum`, `index`, `constraint`, `trigger`, `function`, `rls`, `policy`, `grant`)
/// and holds all that the catalog knows of it, so any change to the object changes its line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub lines: BTreeSet<String>,
}

impl Catalog {
    /// The lines of every object of this catalog.
    pub fn snapshot(&self) -> Snapshot {
        let mut lines = BTreeSet::new();
        lines.extend(self.schemas.iter().map(|s| format!("schema {s}")));
        lines.extend(
            self.tables
                .iter()
                .map(|t| format!("table {}.{}", t.schema, t.name)),
        );
        lines.extend(self.columns.iter().map(column));
        lines.extend(
            self.enums
                .iter()
                .map(|e| format!("enum {}.{} {}", e.schema, e.name, e.labels.join(","))),
        );
        lines.extend(self.indexes.iter().map(|i| {
            let invalid = if i.valid { "" } else { " INVALID" };
            format!("index {}{invalid}", i.definition)
        }));
        lines.extend(self.constraints.iter().map(|c| {
            format!(
                "constraint {}.{} {} {}",
                c.schema, c.table, c.name, c.definition
            )
        }));
        lines.extend(self.triggers.iter().map(trigger));
        lines.extend(self.functions.iter().map(function));
        lines.extend(
            self.tables
                .iter()
                .filter(|t| t.row_security || t.force_row_security)
                .map(|t| {
                    let (on, forced) = (t.row_security, t.force_row_security);
                    format!("rls {}.{} {on} {forced}", t.schema, t.name)
                }),
        );
        lines.extend(self.policies.iter().map(policy));
        lines.extend(self.grants.iter().map(|g| {
            let option = if g.grantable {
                " WITH GRANT OPTION"
            } else {
                ""
            };
            format!(
                "grant {}.{} {} {}{option}",
                g.schema, g.table, g.role, g.privilege
            )
        }));
        Snapshot { lines }
    }
}

/// `column public.users.email #2 character varying(255) NOT NULL DEFAULT ...`; the position
/// counts present columns, so a column dropped and added again moves to the end.
fn column(c: &Column) -> String {
    let null = if c.not_null { "NOT NULL" } else { "NULL" };
    let mut line = format!(
        "column {}.{}.{} #{} {} {null}",
        c.schema, c.table, c.name, c.position, c.sql_type
    );
    if let Some(default) = &c.default {
        let _ = write!(line, " DEFAULT {default}");
    }
    line
}

/// `trigger CREATE TRIGGER ...`, with the `ALTER TABLE` words of its state unless it fires
/// normally (`tgenabled` `O`), which `pg_get_triggerdef` does not say.
fn trigger(t: &Trigger) -> String {
    let state = match t.enabled.as_str() {
        "O" => String::new(),
        "D" => " [disabled]".to_owned(),
        "R" => " [enabled replica]".to_owned(),
        "A" => " [enabled always]".to_owned(),
        other => format!(" [tgenabled {other}]"),
    };
    format!("trigger {}{state}", t.definition)
}

/// `function public.set_updated_at() <md5 of the body>`, then ` SET name=value` per setting.
fn function(f: &Function) -> String {
    let hash = f.body_hash.as_deref().unwrap_or("aggregate");
    let mut line = format!("function {}.{} {hash}", f.schema, f.signature);
    for setting in &f.settings {
        let _ = write!(line, " SET {setting}");
    }
    line
}

/// `policy health.allergies allergies_owner AS PERMISSIVE FOR ALL TO app_user USING (...)
/// WITH CHECK (...)`, in the words of `CREATE POLICY`.
fn policy(p: &Policy) -> String {
    let kind = if p.permissive {
        "PERMISSIVE"
    } else {
        "RESTRICTIVE"
    };
    let mut line = format!(
        "policy {}.{} {} AS {kind} FOR {} TO {}",
        p.schema,
        p.table,
        p.name,
        p.command,
        p.roles.join(", ")
    );
    if let Some(using) = &p.using {
        let _ = write!(line, " USING {using}");
    }
    if let Some(check) = &p.with_check {
        let _ = write!(line, " WITH CHECK {check}");
    }
    line
}

impl Snapshot {
    /// Reads the catalog of `db` and renders its lines.
    pub async fn load(db: &impl ConnectionTrait) -> anyhow::Result<Snapshot> {
        Ok(Catalog::load(db).await?.snapshot())
    }

    /// The lines of one kind (`column`, `index`, `enum`, ...).
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.lines
            .iter()
            .filter(move |l| l.strip_prefix(kind).is_some_and(|r| r.starts_with(' ')))
    }

    /// A readable diff: lines only in `self`, lines only in `other`. Empty when equal.
    pub fn diff(&self, other: &Snapshot, self_name: &str, other_name: &str) -> String {
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

/// Asserts two snapshots are equal, printing only their differences when they are not; for
/// tests.
#[track_caller]
pub fn assert_same(left: &Snapshot, right: &Snapshot, left_name: &str, right_name: &str) {
    let diff = left.diff(right, left_name, right_name);
    assert!(diff.is_empty(), "catalogs differ:\n{diff}");
}

#[cfg(test)]
mod tests {
    use super::super::{Constraint, Enum, Grant, Index, Table};
    use super::*;

    fn catalog() -> Catalog {
        let s = |v: &str| v.to_owned();
        Catalog {
            schemas: vec![s("health"), s("public")],
            tables: vec![Table {
                schema: s("health"),
                name: s("allergies"),
                row_security: true,
                force_row_security: true,
            }],
            columns: vec![Column {
                schema: s("health"),
                table: s("allergies"),
                name: s("updatedAt"),
                position: 2,
                sql_type: s("timestamp(3) without time zone"),
                not_null: true,
                default: Some(s("CURRENT_TIMESTAMP")),
            }],
            indexes: vec![Index {
                schema: s("health"),
                table: s("allergies"),
                name: s("allergies_pkey"),
                unique: true,
                primary: true,
                valid: false,
                columns: vec![s("id")],
                definition: s(
                    "CREATE UNIQUE INDEX allergies_pkey ON health.allergies USING btree (id)",
                ),
            }],
            constraints: vec![Constraint {
                schema: s("health"),
                table: s("allergies"),
                name: s("allergies_pkey"),
                kind: s("p"),
                definition: s("PRIMARY KEY (id)"),
            }],
            foreign_keys: Vec::new(),
            enums: vec![Enum {
                schema: s("health"),
                name: s("Severity"),
                labels: vec![s("MILD"), s("SEVERE")],
            }],
            triggers: vec![Trigger {
                schema: s("health"),
                table: s("allergies"),
                name: s("allergies_set_updated_at"),
                timing: s("BEFORE"),
                events: vec![s("UPDATE")],
                for_each_row: true,
                function: s("public.set_updated_at"),
                enabled: s("D"),
                definition: s(
                    "CREATE TRIGGER allergies_set_updated_at BEFORE UPDATE ON health.allergies FOR EACH ROW EXECUTE FUNCTION set_updated_at()",
                ),
            }],
            functions: vec![Function {
                schema: s("public"),
                signature: s("set_updated_at()"),
                body_hash: Some(s("0123")),
                settings: vec![s("search_path=public, pg_temp")],
            }],
            policies: vec![Policy {
                schema: s("health"),
                table: s("allergies"),
                name: s("allergies_owner"),
                permissive: true,
                command: s("ALL"),
                roles: vec![s("app_user")],
                using: Some(s("(x)")),
                with_check: None,
            }],
            grants: vec![Grant {
                schema: s("health"),
                table: s("allergies"),
                role: s("app_user"),
                privilege: s("SELECT"),
                grantable: false,
            }],
        }
    }

    #[test]
    fn every_object_renders_as_one_line_of_its_kind() {
        let lines: Vec<String> = catalog().snapshot().lines.into_iter().collect();
        assert_eq!(
            lines,
            [
                "column health.allergies.updatedAt #2 timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP",
                "constraint health.allergies allergies_pkey PRIMARY KEY (id)",
                "enum health.Severity MILD,SEVERE",
                "function public.set_updated_at() 0123 SET search_path=public, pg_temp",
                "grant health.allergies app_user SELECT",
                "index CREATE UNIQUE INDEX allergies_pkey ON health.allergies USING btree (id) INVALID",
                "policy health.allergies allergies_owner AS PERMISSIVE FOR ALL TO app_user USING (x)",
                "rls health.allergies true true",
                "schema health",
                "schema public",
                "table health.allergies",
                "trigger CREATE TRIGGER allergies_set_updated_at BEFORE UPDATE ON health.allergies FOR EACH ROW EXECUTE FUNCTION set_updated_at() [disabled]",
            ]
        );
    }

    #[test]
    fn the_reference_ddl_filters_drop_only_what_schema_md_allows() {
        let mut with_stray = catalog();
        with_stray.functions.push(Function {
            schema: "public".into(),
            signature: "stray()".into(),
            body_hash: Some("4567".into()),
            settings: Vec::new(),
        });
        let filtered = with_stray
            .without_updated_at_defaults()
            .without_triggers()
            .snapshot();
        let kept = |kind| filtered.of_kind(kind).cloned().collect::<Vec<_>>();
        assert_eq!(
            kept("column"),
            ["column health.allergies.updatedAt #2 timestamp(3) without time zone NOT NULL"]
        );
        assert!(kept("trigger").is_empty());
        assert_eq!(kept("function"), ["function public.stray() 4567"]);
    }

    #[test]
    fn the_diff_names_each_side() {
        let before = catalog().snapshot();
        let mut changed = catalog();
        changed.triggers[0].enabled = "O".into();
        let diff = before.diff(&changed.snapshot(), "before", "after");
        assert_eq!(diff.lines().count(), 2, "{diff}");
        assert!(diff.contains("only in before: trigger ") && diff.contains("[disabled]"));
        assert!(diff.contains("only in after: trigger "));
        assert_eq!(before.diff(&catalog().snapshot(), "a", "b"), "");
    }
}
