//! Migration lint: the SQL each migration emits, checked against the rules users know from
//! squawk and strong_migrations. Purely textual: the input is SQL already rendered per
//! migration, in order, and a table counts as existing once an earlier migration created it
//! (or when no migration creates it). Migrations that only create tables pass; the rules bite
//! where a migration changes a table that may already hold rows in production.

mod allow;
mod scan;

use std::collections::BTreeSet;
use std::fmt;

pub use allow::{ALLOWED, Allow};
use scan::{Token, name_at, split_top_level};

/// What a rule guards against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// `CREATE INDEX` without `CONCURRENTLY` on an existing table blocks its writes.
    NonConcurrentIndex,
    /// `ADD COLUMN ... NOT NULL` without a `DEFAULT` fails on a table with rows.
    NotNullWithoutDefault,
    /// A foreign key added to an existing table without `NOT VALID` scans it under lock.
    ForeignKeyWithoutNotValid,
    /// Renaming a column or table breaks the code still deployed.
    Rename,
    /// `ALTER COLUMN ... TYPE` rewrites the table under an exclusive lock.
    TypeChange,
    /// Dropping a column or table breaks the code still deployed, and loses data.
    Drop,
    /// A migration that locks an existing table without `SET lock_timeout` first can queue
    /// every query behind it.
    MissingLockTimeout,
}

impl Rule {
    /// Every rule, in the order they are reported.
    pub const ALL: &[Rule] = &[
        Rule::NonConcurrentIndex,
        Rule::NotNullWithoutDefault,
        Rule::ForeignKeyWithoutNotValid,
        Rule::Rename,
        Rule::TypeChange,
        Rule::Drop,
        Rule::MissingLockTimeout,
    ];

    /// The rule's name as printed: `non-concurrent-index`.
    pub fn code(self) -> &'static str {
        match self {
            Rule::NonConcurrentIndex => "non-concurrent-index",
            Rule::NotNullWithoutDefault => "not-null-without-default",
            Rule::ForeignKeyWithoutNotValid => "foreign-key-without-not-valid",
            Rule::Rename => "rename",
            Rule::TypeChange => "type-change",
            Rule::Drop => "drop",
            Rule::MissingLockTimeout => "missing-lock-timeout",
        }
    }

    /// What to do instead.
    pub fn fix(self) -> &'static str {
        match self {
            Rule::NonConcurrentIndex => {
                "use CREATE INDEX CONCURRENTLY in a migration without a transaction"
            }
            Rule::NotNullWithoutDefault => {
                "add the column nullable or with a DEFAULT, backfill, then SET NOT NULL"
            }
            Rule::ForeignKeyWithoutNotValid => {
                "add it NOT VALID, then VALIDATE CONSTRAINT in a later migration"
            }
            Rule::Rename => "add the new name, copy, switch the code, drop the old one later",
            Rule::TypeChange => "add a column of the new type, backfill, switch, drop the old one",
            Rule::Drop => "stop using it in the code first, drop it in a later release",
            Rule::MissingLockTimeout => "start the migration with SET lock_timeout = '5s'",
        }
    }
}

/// One rule broken by one migration.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    pub migration: String,
    pub rule: Rule,
    /// What broke it: `index "x" on users`.
    pub subject: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}: {}",
            self.migration,
            self.rule.code(),
            self.subject,
            self.rule.fix()
        )
    }
}

/// Lints `migrations` (name, statements as rendered), in the order they apply; `session` is
/// what the runner sends before each migration (`SET lock_timeout = '5000ms'`: the deployer's
/// session settings count as the migration's own). Violations that `allowed` lists are left
/// out; an `allowed` entry that matches nothing is reported, so the list cannot outlive its
/// reason. Each line names the migration, the rule and the fix.
pub fn lint(
    migrations: &[(&str, &[String])],
    session: &[String],
    allowed: &[Allow],
) -> Vec<String> {
    let violations = violations(migrations, session);
    let mut out: Vec<String> = violations
        .iter()
        .filter(|v| {
            !allowed
                .iter()
                .any(|a| a.migration == v.migration && a.rule == v.rule)
        })
        .map(ToString::to_string)
        .collect();
    for allow in allowed {
        if !violations
            .iter()
            .any(|v| v.migration == allow.migration && v.rule == allow.rule)
        {
            out.push(format!(
                "{}: {}: allowed in dbcheck/src/lint/allow.rs but not broken: remove the entry",
                allow.migration,
                allow.rule.code()
            ));
        }
    }
    out
}

/// Every violation of `migrations` run after `session`, allow-list ignored.
pub fn violations(migrations: &[(&str, &[String])], session: &[String]) -> Vec<Violation> {
    let mut out = Vec::new();
    for (name, sql) in migrations {
        let mut mine: BTreeSet<String> = BTreeSet::new();
        let mut lock_timeout = false;
        let mut locked_without_timeout = None;
        // A table this migration did not create may hold rows: an earlier migration created
        // it, or it predates them all.
        let existing = |table: &str, mine: &BTreeSet<String>| !mine.contains(table);
        let mut report = |rule: Rule, subject: String| {
            out.push(Violation {
                migration: (*name).to_owned(),
                rule,
                subject,
            })
        };
        for statement in session
            .iter()
            .chain(sql.iter())
            .flat_map(|s| scan::statements(s))
        {
            let t = &statement[..];
            let locked = if starts(t, &["SET"]) {
                if t.iter().any(|x| x.is("LOCK_TIMEOUT")) {
                    lock_timeout = true;
                }
                None
            } else if starts(t, &["CREATE", "TABLE"]) {
                let at = skip(t, 2, &["IF", "NOT", "EXISTS"]);
                if let Some((table, _)) = name_at(t, at) {
                    mine.insert(table);
                }
                None
            } else if let Some(at) = create_index(t) {
                let concurrently = t[..at].iter().any(|x| x.is("CONCURRENTLY"));
                let index = t[at - 1]
                    .ident()
                    .filter(|_| !["INDEX", "CONCURRENTLY"].iter().any(|kw| t[at - 1].is(kw)))
                    .unwrap_or("(unnamed)")
                    .to_owned();
                let at = skip(t, at + 1, &["ONLY"]);
                match name_at(t, at) {
                    Some((table, _)) if existing(&table, &mine) && !concurrently => {
                        report(
                            Rule::NonConcurrentIndex,
                            format!("index \"{index}\" on {table}"),
                        );
                        Some(table)
                    }
                    _ => None,
                }
            } else if starts(t, &["ALTER", "TABLE"]) {
                let at = skip(t, skip(t, 2, &["IF", "EXISTS"]), &["ONLY"]);
                match name_at(t, at) {
                    Some((table, rest)) if existing(&table, &mine) => {
                        for action in split_top_level(&t[rest..]) {
                            alter_action(&table, action, &mut report);
                        }
                        Some(table)
                    }
                    _ => None,
                }
            } else if starts(t, &["DROP", "TABLE"]) {
                // `DROP TABLE a, b CASCADE`: every name up to the first word that is not one.
                let mut first = None;
                let mut at = skip(t, 2, &["IF", "EXISTS"]);
                while let Some((table, next)) = name_at(t, at) {
                    if existing(&table, &mine) {
                        report(Rule::Drop, format!("table {table}"));
                        first.get_or_insert(table);
                    }
                    if t.get(next) != Some(&Token::Punct(',')) {
                        break;
                    }
                    at = next + 1;
                }
                first
            } else if starts(t, &["CREATE", "TRIGGER"])
                || starts(t, &["CREATE", "OR", "REPLACE", "TRIGGER"])
                || starts(t, &["CREATE", "POLICY"])
            {
                // Both take a lock on their table; only the lock timeout matters.
                t.iter()
                    .position(|x| x.is("ON"))
                    .and_then(|on| name_at(t, on + 1))
                    .map(|(table, _)| table)
                    .filter(|table| existing(table, &mine))
            } else {
                None
            };
            if let Some(table) = locked
                && !lock_timeout
                && locked_without_timeout.is_none()
            {
                locked_without_timeout = Some(table);
            }
        }
        if let Some(table) = locked_without_timeout {
            report(
                Rule::MissingLockTimeout,
                format!("locks existing table {table} with no lock_timeout set before"),
            );
        }
    }
    out
}

/// The rules of one `ALTER TABLE` action on an existing table.
fn alter_action(table: &str, action: &[Token], report: &mut impl FnMut(Rule, String)) {
    let has = |kw: &str| action.iter().any(|x| x.is(kw));
    if starts(action, &["ADD"]) {
        let is_constraint = action.get(1).is_some_and(|x| {
            x.is("CONSTRAINT")
                || x.is("FOREIGN")
                || x.is("UNIQUE")
                || x.is("PRIMARY")
                || x.is("CHECK")
        });
        if is_constraint {
            if has("FOREIGN") && !(has("NOT") && has("VALID")) {
                report(
                    Rule::ForeignKeyWithoutNotValid,
                    format!("foreign key on {table}"),
                );
            }
            // A unique or primary key builds its index under lock, unless it adopts one built
            // concurrently (`USING INDEX`).
            if (has("UNIQUE") || has("PRIMARY")) && !has("USING") {
                report(
                    Rule::NonConcurrentIndex,
                    format!("key constraint on {table}"),
                );
            }
            return;
        }
        let at = skip(
            action,
            skip(action, 1, &["COLUMN"]),
            &["IF", "NOT", "EXISTS"],
        );
        let column = action.get(at).and_then(Token::ident).unwrap_or("?");
        let not_null = action.windows(2).any(|w| w[0].is("NOT") && w[1].is("NULL"));
        if not_null && !has("DEFAULT") {
            report(
                Rule::NotNullWithoutDefault,
                format!("column {table}.{column}"),
            );
        }
        if has("REFERENCES") {
            report(
                Rule::ForeignKeyWithoutNotValid,
                format!("column {table}.{column} REFERENCES"),
            );
        }
    } else if starts(action, &["RENAME"]) && !action.get(1).is_some_and(|x| x.is("CONSTRAINT")) {
        report(Rule::Rename, format!("rename on {table}"));
    } else if starts(action, &["DROP"]) && !action.get(1).is_some_and(|x| x.is("CONSTRAINT")) {
        let at = skip(action, skip(action, 1, &["COLUMN"]), &["IF", "EXISTS"]);
        let column = action.get(at).and_then(Token::ident).unwrap_or("?");
        // `DROP DEFAULT`, `DROP NOT NULL` and friends belong to `ALTER COLUMN`, not here.
        report(Rule::Drop, format!("column {table}.{column}"));
    } else if starts(action, &["ALTER"]) && (has("TYPE")) {
        let at = skip(action, 1, &["COLUMN"]);
        let column = action.get(at).and_then(Token::ident).unwrap_or("?");
        report(Rule::TypeChange, format!("column {table}.{column}"));
    }
}

/// Whether `tokens` start with the keywords `kws`.
fn starts(tokens: &[Token], kws: &[&str]) -> bool {
    tokens.len() >= kws.len() && kws.iter().zip(tokens).all(|(kw, t)| t.is(kw))
}

/// The index after the optional keyword run `kws` at `at`.
fn skip(tokens: &[Token], at: usize, kws: &[&str]) -> usize {
    if starts(&tokens[at.min(tokens.len())..], kws) {
        at + kws.len()
    } else {
        at
    }
}

/// For `CREATE [UNIQUE] INDEX ...`, the position of its `ON`.
fn create_index(t: &[Token]) -> Option<usize> {
    let at = skip(t, 1, &["UNIQUE"]);
    (starts(t, &["CREATE"]) && t.get(at).is_some_and(|x| x.is("INDEX")))
        .then(|| t.iter().position(|x| x.is("ON")))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREATE: &str = r#"CREATE TABLE "users" ("id" uuid NOT NULL, "email" text NOT NULL);
        CREATE INDEX "users_email_idx" ON "users" ("email");
        ALTER TABLE "users" ADD CONSTRAINT "users_fkey" FOREIGN KEY ("id") REFERENCES "x" ("id")"#;

    /// The rules broken by `sql` as a second migration after one that creates `users`.
    fn broken(sql: &str) -> Vec<Rule> {
        let first = vec![CREATE.to_owned()];
        let second = vec![sql.to_owned()];
        let migrations: [(&str, &[String]); 2] = [("m1_create", &first), ("m2_change", &second)];
        let found = violations(&migrations, &[]);
        assert!(
            found.iter().all(|v| v.migration == "m2_change"),
            "{found:?}"
        );
        found.into_iter().map(|v| v.rule).collect()
    }

    const TIMEOUT: &str = "SET lock_timeout = '5s';";

    #[test]
    fn migrations_that_create_their_tables_pass() {
        assert_eq!(broken(""), []);
        assert_eq!(
            broken(
                r#"CREATE TABLE "tags" ("id" uuid NOT NULL); CREATE INDEX "t" ON "tags" ("id");
                      ALTER TABLE "tags" ADD COLUMN "n" int NOT NULL;
                      ALTER TABLE "tags" ADD FOREIGN KEY ("id") REFERENCES "users" ("id")"#
            ),
            []
        );
    }

    #[test]
    fn a_non_concurrent_index_on_an_existing_table_is_caught() {
        let sql = format!(r#"{TIMEOUT} CREATE INDEX "users_x_idx" ON "users" ("email")"#);
        assert_eq!(broken(&sql), [Rule::NonConcurrentIndex]);
        let sql = format!(r#"{TIMEOUT} CREATE INDEX CONCURRENTLY "users_x_idx" ON users (email)"#);
        assert_eq!(broken(&sql), []);
        let sql = format!(r#"{TIMEOUT} ALTER TABLE "users" ADD CONSTRAINT "k" UNIQUE ("email")"#);
        assert_eq!(broken(&sql), [Rule::NonConcurrentIndex]);
        let sql =
            format!(r#"{TIMEOUT} ALTER TABLE "users" ADD CONSTRAINT "k" UNIQUE USING INDEX "i""#);
        assert_eq!(broken(&sql), []);
    }

    #[test]
    fn a_not_null_column_without_default_is_caught() {
        let sql = format!(r#"{TIMEOUT} ALTER TABLE "users" ADD COLUMN "age" integer NOT NULL"#);
        assert_eq!(broken(&sql), [Rule::NotNullWithoutDefault]);
        let sql =
            format!(r#"{TIMEOUT} ALTER TABLE users ADD COLUMN age integer NOT NULL DEFAULT 0"#);
        assert_eq!(broken(&sql), []);
    }

    #[test]
    fn a_foreign_key_without_not_valid_is_caught() {
        let add = r#"ALTER TABLE "users" ADD CONSTRAINT "users_a_fkey" FOREIGN KEY ("a") REFERENCES "agents" ("id")"#;
        assert_eq!(
            broken(&format!("{TIMEOUT} {add}")),
            [Rule::ForeignKeyWithoutNotValid]
        );
        assert_eq!(broken(&format!("{TIMEOUT} {add} NOT VALID")), []);
        let inline = r#"ALTER TABLE "users" ADD COLUMN "a" uuid REFERENCES "agents" ("id")"#;
        assert_eq!(
            broken(&format!("{TIMEOUT} {inline}")),
            [Rule::ForeignKeyWithoutNotValid]
        );
    }

    #[test]
    fn renames_are_caught() {
        let sql = format!(r#"{TIMEOUT} ALTER TABLE "users" RENAME COLUMN "email" TO "mail""#);
        assert_eq!(broken(&sql), [Rule::Rename]);
        let sql = format!(r#"{TIMEOUT} ALTER TABLE public.users RENAME TO people"#);
        assert_eq!(broken(&sql), [Rule::Rename]);
        let sql = format!(r#"{TIMEOUT} ALTER TABLE users RENAME CONSTRAINT "a" TO "b""#);
        assert_eq!(broken(&sql), []);
    }

    #[test]
    fn a_type_change_is_caught() {
        let sql =
            format!(r#"{TIMEOUT} ALTER TABLE "users" ALTER COLUMN "email" TYPE varchar(100)"#);
        assert_eq!(broken(&sql), [Rule::TypeChange]);
        let sql = format!(r#"{TIMEOUT} ALTER TABLE "users" ALTER COLUMN "email" SET DEFAULT 'x'"#);
        assert_eq!(broken(&sql), []);
    }

    #[test]
    fn dropped_columns_and_tables_are_caught() {
        let sql = format!(r#"{TIMEOUT} ALTER TABLE "users" DROP COLUMN "email""#);
        assert_eq!(broken(&sql), [Rule::Drop]);
        let sql = format!(r#"{TIMEOUT} DROP TABLE IF EXISTS "users""#);
        assert_eq!(broken(&sql), [Rule::Drop]);
        let sql = format!(r#"{TIMEOUT} DROP TABLE "tags", public.users CASCADE"#);
        assert_eq!(broken(&sql), [Rule::Drop, Rule::Drop]);
        let sql = format!(r#"{TIMEOUT} ALTER TABLE "users" DROP CONSTRAINT "users_fkey""#);
        assert_eq!(broken(&sql), []);
    }

    #[test]
    fn locking_an_existing_table_without_lock_timeout_is_caught() {
        let sql = r#"ALTER TABLE "users" ENABLE ROW LEVEL SECURITY"#;
        assert_eq!(broken(sql), [Rule::MissingLockTimeout]);
        let sql = r#"CREATE TRIGGER t BEFORE UPDATE ON "users" FOR EACH ROW EXECUTE FUNCTION f()"#;
        assert_eq!(broken(sql), [Rule::MissingLockTimeout]);
        let late = r#"ALTER TABLE "users" ENABLE ROW LEVEL SECURITY; SET lock_timeout = '5s'"#;
        assert_eq!(broken(late), [Rule::MissingLockTimeout]);
        let first = format!(r#"{TIMEOUT} ALTER TABLE "users" ENABLE ROW LEVEL SECURITY"#);
        assert_eq!(broken(&first), []);
    }

    #[test]
    fn a_lock_timeout_the_runner_sets_counts() {
        let first = vec![CREATE.to_owned()];
        let second = vec![r#"ALTER TABLE "users" ENABLE ROW LEVEL SECURITY"#.to_owned()];
        let migrations: [(&str, &[String]); 2] = [("m1_create", &first), ("m2_change", &second)];
        let session = ["SET lock_timeout = '5000ms'".to_owned()];
        assert_eq!(violations(&migrations, &session), []);
    }

    #[test]
    fn the_allow_list_silences_one_rule_of_one_migration_and_must_be_used() {
        let first = vec![CREATE.to_owned()];
        let second = vec![r#"ALTER TABLE "users" DROP COLUMN "email""#.to_owned()];
        let migrations: [(&str, &[String]); 2] = [("m1_create", &first), ("m2_change", &second)];
        let allow = [Allow {
            migration: "m2_change",
            rule: Rule::Drop,
            reason: "test",
        }];
        let out = lint(&migrations, &[], &allow);
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(
            out[0].starts_with("m2_change: missing-lock-timeout: "),
            "{out:?}"
        );
        let stale = [Allow {
            migration: "m1_create",
            rule: Rule::Rename,
            reason: "test",
        }];
        let out = lint(&migrations[..1], &[], &stale);
        assert_eq!(
            out,
            [
                "m1_create: rename: allowed in dbcheck/src/lint/allow.rs but not broken: remove the entry"
            ]
        );
    }
}
