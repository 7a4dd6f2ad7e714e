//! The rules the lint applies: squawk's, less those that are noise for this project (each with
//! its reason), and the two of our own that squawk does not have in the form we need.

use std::fmt;

pub use squawk_linter::Rule as Squawk;
use squawk_linter::{Linter, LinterSettings};

/// A rule a migration can break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// One of squawk's rules, printed under squawk's name (`require-concurrent-index-creation`).
    Squawk(Squawk),
    /// A statement that may lock a table the migration did not create, with no `lock_timeout`
    /// set before it. Ours because squawk's `require-lock-timeout` reports only the first slow
    /// statement of a script, which may be on a table the migration created and so be
    /// exempt, hiding a later one on an existing table.
    MissingLockTimeout,
    /// SQL the parser cannot read: the lint cannot vouch for a statement it did not understand.
    Unparsable,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Squawk(rule) => rule.fmt(f),
            Rule::MissingLockTimeout => f.write_str("missing-lock-timeout"),
            Rule::Unparsable => f.write_str("unparsable"),
        }
    }
}

/// The PostgreSQL version the rules assume: the oldest the smoke tests run on (pg17), so
/// "safe since version N" exceptions hold on every server we deploy to.
const PG_VERSION: &str = "17";

/// squawk's rules that are on by default but noise for this project, and why.
pub const OFF: &[(Squawk, &str)] = &[
    // The type preferences: the Phase-1 schema is fixed by the spec's reference DDL
    // (smoke-tests/fixtures/phase1-reference.sql), which the migrations must reproduce, so
    // these rules would flag the spec itself.
    (
        Squawk::PreferBigintOverInt,
        "column types follow the spec's reference DDL",
    ),
    (
        Squawk::PreferBigintOverSmallint,
        "column types follow the spec's reference DDL",
    ),
    (
        Squawk::PreferIdentity,
        "column types follow the spec's reference DDL",
    ),
    (
        Squawk::PreferTextField,
        "varchar(n) lengths are part of the spec's reference DDL",
    ),
    (
        Squawk::PreferTimestampTz,
        "timestamp(3) without time zone is the spec's reference DDL",
    ),
    (
        Squawk::BanCharField,
        "column types follow the spec's reference DDL",
    ),
    (
        Squawk::RequireLockTimeout,
        "replaced by missing-lock-timeout, which skips tables the migration created",
    ),
    (
        Squawk::RequireStatementTimeout,
        "the deployer sets statement_timeout on every migration session itself \
         (migration::deploy::Settings), and the lint's session input carries only lock_timeout",
    ),
    (
        Squawk::PreferRobustStmts,
        "a migration runs in one transaction and is recorded in the ledger, so it is never \
         re-run half done; IF NOT EXISTS on a concurrent index would keep the INVALID index a \
         failed build leaves, which verify reports instead",
    ),
];

/// squawk's rules that also hold on a table the migration created: they judge the SQL
/// itself, not what it does to rows and readers, so the new-table exemption does not apply.
const ON_NEW_TABLES_TOO: &[Squawk] = &[
    // PostgreSQL silently truncates the name, so code and migrations disagree about it.
    Squawk::IdentifierTooLong,
    // The statement fails inside a transaction whatever the table.
    Squawk::BanConcurrentIndexCreationInTransaction,
];

/// Whether a finding of `rule` is dropped on a table the migration created itself.
pub fn exempt_on_new_tables(rule: Squawk) -> bool {
    !ON_NEW_TABLES_TOO.contains(&rule)
}

/// squawk's linter with this project's rules and settings; one per script, since a linter
/// keeps what it found. `in_transaction` is whether the migration runs in the transaction
/// SeaORM gives it by default: CONCURRENTLY fails there, and squawk also skips index and
/// constraint rules on tables created earlier in it, comparing bare names: `health.users`
/// would hide `users`. No two schemas here share a table name, and the lint's own exemption
/// compares qualified names.
pub fn squawk(in_transaction: bool) -> Linter {
    let off: Vec<Squawk> = OFF.iter().map(|(rule, _)| *rule).collect();
    let mut linter = Linter::with_rules(&[], &off);
    linter.settings = LinterSettings {
        pg_version: PG_VERSION.parse().expect("PG_VERSION is a version"),
        assume_in_transaction: in_transaction,
    };
    linter
}
