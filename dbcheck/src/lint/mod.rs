//! Migration lint: the SQL each migration renders, parsed and checked by squawk's rules (less
//! the noise, see `rules.rs`) plus ours. A finding on a table the same migration created is
//! dropped, since a brand-new table has no rows and no readers; tables of earlier migrations,
//! or of none, count as existing. The deployer's session settings count as the migration's.

mod allow;
mod rules;
mod statement;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::ops::Range;

use squawk_syntax::SourceFile;
use squawk_syntax::ast::{self, AstNode};

pub use allow::{ALLOWED, Allow};
pub use rules::{Rule, Squawk};

/// One rule broken by one migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub migration: String,
    pub rule: Rule,
    /// What broke it: the SQL and its table, `` `RENAME COLUMN "a" TO "b"` on users ``.
    pub subject: String,
    /// Why it is risky and what to do instead.
    pub fix: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Violation {
            migration,
            rule,
            subject,
            fix,
        } = self;
        write!(f, "{migration}: {rule}: {subject}: {fix}")
    }
}

/// Lints `migrations` (name, statements as rendered), in the order they apply; `session` is
/// what the runner sends before each migration (`SET lock_timeout = '5000ms'`: the deployer's
/// session settings count as the migration's own). Violations that `allowed` lists are left
/// out; an `allowed` entry that matches nothing is reported, so the list cannot outlive its
/// reason. Each line names the migration, the rule, the subject and the fix.
pub fn lint(
    migrations: &[(&str, &[String])],
    session: &[String],
    outside_transaction: &[&str],
    allowed: &[Allow],
) -> Vec<String> {
    let violations = violations(migrations, session, outside_transaction);
    let is_allowed = |a: &Allow, v: &Violation| a.migration == v.migration && a.rule == v.rule;
    let mut out: Vec<String> = violations
        .iter()
        .filter(|v| !allowed.iter().any(|a| is_allowed(a, v)))
        .map(ToString::to_string)
        .collect();
    for allow in allowed {
        if !violations.iter().any(|v| is_allowed(allow, v)) {
            out.push(format!(
                "{}: {}: allowed in dbcheck/src/lint/allow.rs but not broken: remove the entry",
                allow.migration, allow.rule
            ));
        }
    }
    out
}

/// Every violation of `migrations` run after `session`, allow-list ignored. Each runs in a
/// transaction, as SeaORM runs a migration, unless `outside_transaction` names it (its
/// `use_transaction()` is `Some(false)`, as for `CREATE INDEX CONCURRENTLY`).
pub fn violations(
    migrations: &[(&str, &[String])],
    session: &[String],
    outside_transaction: &[&str],
) -> Vec<Violation> {
    migrations
        .iter()
        .flat_map(|(name, sql)| {
            let in_transaction = !outside_transaction.contains(name);
            Script::new(session, sql).violations(name, in_transaction)
        })
        .collect()
}

/// One migration as the server sees it: the session statements, then the migration's.
struct Script {
    text: String,
    /// Where the migration's own statements start in `text`.
    own: usize,
}

/// What the lint knows of one statement of a script.
struct Statement {
    stmt: ast::Stmt,
    range: Range<usize>,
    /// The tables it changes; empty when it changes none or the lint cannot tell.
    tables: Vec<String>,
    /// Sent by the deployer's session, not by the migration: never reported.
    session: bool,
    /// It changes tables, all created earlier in this migration.
    new: bool,
    /// The tables this migration did not create that it may wait to lock: those it changes
    /// and those its foreign keys reference; `None` when the lint cannot tell, which counts as
    /// some.
    waits_on: Option<Vec<String>>,
}

impl Script {
    fn new(session: &[String], sql: &[String]) -> Script {
        let mut text = String::new();
        let mut push = |statements: &[String]| {
            for s in statements {
                // The `;` goes on a line of its own so that a trailing `--` comment cannot
                // swallow it.
                text.push_str(s.trim_end().trim_end_matches(';'));
                text.push_str("\n;\n");
            }
            text.len()
        };
        let own = push(session);
        push(sql);
        Script { text, own }
    }

    /// The findings of this script, for the migration `name`.
    fn violations(&self, name: &str, in_transaction: bool) -> Vec<Violation> {
        let parse = SourceFile::parse(&self.text);
        let statements = self.statements(&parse.tree());
        let found = |at: usize| statements.iter().find(|s| s.range.contains(&at));
        let mut out = Vec::new();
        let mut report = |rule: Rule, range: Range<usize>, tables: &[String], fix: String| {
            out.push(Violation {
                migration: name.to_owned(),
                rule,
                subject: self.subject(range, tables),
                fix,
            });
        };
        for error in parse.errors() {
            let message = error.message().to_owned();
            report(Rule::Unparsable, error.range().into(), &[], message);
        }
        for v in rules::squawk(in_transaction).lint(&parse, &self.text) {
            let range: Range<usize> = v.text_range.into();
            let statement = found(range.start);
            if statement
                .is_some_and(|s| s.session || (s.new && rules::exempt_on_new_tables(v.code)))
            {
                continue;
            }
            let tables = statement.map_or(&[][..], |s| &s.tables);
            let fix = match v.help {
                Some(help) => format!("{} {help}", v.message),
                None => v.message,
            };
            report(Rule::Squawk(v.code), range, tables, fix);
        }
        if let Some((s, tables)) = missing_lock_timeout(&statements) {
            report(
                Rule::MissingLockTimeout,
                s.range.clone(),
                tables,
                "waiting for its lock queues every query on the table behind it: start the \
                 migration with SET lock_timeout (the deployer's session setting counts)"
                    .to_owned(),
            );
        }
        out
    }

    /// The statements of `file`, with the tables each touches and whether those are new.
    fn statements(&self, file: &SourceFile) -> Vec<Statement> {
        let mut created = HashSet::new();
        let mut indexes = HashMap::new();
        let mut out = Vec::new();
        for stmt in file.stmts() {
            let range: Range<usize> = stmt.syntax().text_range().into();
            let session = range.start < self.own;
            if !session {
                created.extend(statement::created_table(&stmt));
                indexes.extend(statement::created_index(&stmt));
            }
            let tables = statement::tables(&stmt, &indexes);
            let existing = |t: &&String| !created.contains(*t);
            let waits_on = tables.as_ref().map(|changed| {
                let referenced = statement::referenced_tables(&stmt);
                let locked: BTreeSet<&String> =
                    changed.iter().chain(&referenced).filter(existing).collect();
                locked.into_iter().cloned().collect()
            });
            let tables = tables.unwrap_or_default();
            let new = !tables.is_empty() && !tables.iter().any(|t| existing(&t));
            out.push(Statement {
                stmt,
                range,
                tables,
                session,
                new,
                waits_on,
            });
        }
        out
    }

    /// The SQL at `range` on one line, cut to a readable length, and the tables it concerns:
    /// `` `RENAME COLUMN "a" TO "b"` on users ``.
    fn subject(&self, range: Range<usize>, tables: &[String]) -> String {
        const MAX: usize = 100;
        let sql = self.text.get(range).unwrap_or_default();
        let mut sql = sql.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Some((cut, _)) = sql.char_indices().nth(MAX) {
            sql.truncate(cut);
            sql.push_str(" ...");
        }
        if tables.is_empty() {
            format!("`{sql}`")
        } else {
            format!("`{sql}` on {}", tables.join(", "))
        }
    }
}

/// The first statement of the migration that may wait for a lock on a table it did not
/// create, with no `lock_timeout` set before it, and the tables it waits on; squawk decides
/// which statements take locks.
fn missing_lock_timeout(statements: &[Statement]) -> Option<(&Statement, &[String])> {
    let mut lock_timeout = false;
    for s in statements {
        lock_timeout |= statement::sets_lock_timeout(&s.stmt);
        let waits_on = s.waits_on.as_deref();
        if !lock_timeout
            && !s.session
            && waits_on.is_none_or(|tables| !tables.is_empty())
            && squawk_linter::analyze::possibly_slow_stmt(&s.stmt)
        {
            return Some((s, waits_on.unwrap_or(&s.tables)));
        }
    }
    None
}

#[cfg(test)]
mod tests;
