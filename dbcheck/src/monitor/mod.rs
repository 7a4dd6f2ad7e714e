//! `monitor`: what an operator watches after a deploy, read-only and safe on production.
//!
//! One read-only transaction, bounded by a short `lock_timeout` and `statement_timeout` so the
//! monitor answers during an incident instead of queueing behind it, reads: the slowest
//! statements (`pg_stat_statements`), table and index sizes of the owned schemas, unused,
//! duplicate, overlapping and invalid indexes, dead rows and the last (auto)vacuum and
//! (auto)analyze of each table, long transactions, sessions waiting on locks and what blocks
//! them, connections against `max_connections`, and replication lag. Each problem becomes a
//! [`Finding`] whose [`Level`] comes from [`Thresholds`]; the caller prints the [`Report`] as a
//! table ([`render::text`]) or JSON ([`render::json`]) and turns `--fail-on` into an exit code
//! ([`Report::alert`]).

mod activity;
mod indexes;
pub mod render;
mod statements;
mod tables;
mod thresholds;

use std::fmt;

use anyhow::Context;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, QueryResult, Statement,
    TransactionTrait,
};

pub use activity::{Activity, Blocker, Connections, LockWait, Replica, Replication, Transaction};
pub use indexes::IndexStats;
pub use statements::{NOT_CREATED, NOT_LOADED, QueryStats, SlowQueries};
pub use tables::{TableStats, Tables};
pub use thresholds::{
    Level, MIN_CALLS, MIN_CHANGED_ROWS, MIN_DEAD_ROWS, NEVER_ANALYZED_ROWS, Threshold, Thresholds,
    Unit, duration,
};

/// What to read and how to judge it.
#[derive(Debug, Clone)]
pub struct Options {
    /// How many rows the size and slow-query lists keep (findings are never cut).
    pub top: usize,
    pub thresholds: Thresholds,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            top: 20,
            thresholds: Thresholds::default(),
        }
    }
}

/// One problem (or one fact worth knowing, at [`Level::Info`]), on one object.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub level: Level,
    /// The kind: `transaction`, `lock wait`, `connections`, `replication`, `analyze`,
    /// `dead rows`, `invalid index`, `duplicate index`, `overlapping index`, `unused index`,
    /// `slow query`, `pg_stat_statements`.
    pub check: &'static str,
    /// The object: a table, an index, a session (`pid 123`), or the server.
    pub subject: String,
    /// What is wrong and what to do, in one sentence.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}: {}",
            self.level, self.check, self.subject, self.message
        )
    }
}

/// Everything the monitor read, with its findings worst first.
#[derive(Debug, Clone)]
pub struct Report {
    pub database: String,
    pub server_version: String,
    /// When this database's statistics were last reset (UTC), if ever: usage counters such as
    /// index scans count from then.
    pub stats_reset: Option<String>,
    pub statements: SlowQueries,
    pub tables: Tables,
    pub indexes: Vec<IndexStats>,
    pub activity: Activity,
    pub findings: Vec<Finding>,
    /// The thresholds that set the findings' levels.
    pub thresholds: Thresholds,
}

impl Report {
    /// The worst level among the findings, `Info` when there are none.
    pub fn worst(&self) -> Level {
        self.findings
            .iter()
            .map(|f| f.level)
            .max()
            .unwrap_or(Level::Info)
    }

    /// How many findings are at `level`.
    pub fn count(&self, level: Level) -> usize {
        self.findings.iter().filter(|f| f.level == level).count()
    }

    /// The `--fail-on` verdict: an [`Alert`] when any finding is at `fail_on` or worse.
    pub fn alert(&self, fail_on: Level) -> Option<Alert> {
        let count = self.findings.iter().filter(|f| f.level >= fail_on).count();
        (count > 0).then(|| Alert {
            worst: self.worst(),
            count,
            fail_on,
        })
    }
}

/// Findings at or above `--fail-on`: an error whose exit code says how bad the worst one is,
/// 2 for warn and 3 for crit (1 stays "the monitor could not run", as for every command).
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub worst: Level,
    pub count: usize,
    pub fail_on: Level,
}

impl Alert {
    pub fn exit_code(&self) -> u8 {
        match self.worst {
            Level::Crit => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} finding(s) at {} or worse (the worst: {}), exit code {}",
            self.count,
            self.fail_on,
            self.worst,
            self.exit_code()
        )
    }
}

impl std::error::Error for Alert {}

/// Reads everything in one read-only transaction, rolled back at the end, and judges it.
pub async fn collect(db: &DatabaseConnection, options: &Options) -> anyhow::Result<Report> {
    let txn = db.begin().await.context("begin a read-only transaction")?;
    txn.execute_unprepared("SET TRANSACTION READ ONLY").await?;
    // A monitor is run during incidents: it must not queue behind the lock it should report,
    // nor run for long on a struggling server.
    txn.execute_unprepared("SET LOCAL lock_timeout = '1s'")
        .await?;
    txn.execute_unprepared("SET LOCAL statement_timeout = '30s'")
        .await?;
    let report = read(&txn, options).await;
    txn.rollback().await.ok();
    report
}

async fn read(txn: &DatabaseTransaction, options: &Options) -> anyhow::Result<Report> {
    let header = first_row(
        txn,
        "SELECT current_database()::text, current_setting('server_version'), \
         (SELECT to_char(stats_reset AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') \
          FROM pg_stat_database WHERE datname = current_database())",
    )
    .await?;
    let stats_reset: Option<String> = header.try_get_by_index(2)?;
    let statements = statements::read(txn, options.top)
        .await
        .context("read pg_stat_statements")?;
    let tables = tables::read(txn).await.context("read table statistics")?;
    let indexes = indexes::read(txn).await.context("read index statistics")?;
    let activity = activity::read(txn).await.context("read server activity")?;
    let t = &options.thresholds;
    let mut findings = activity::findings(&activity, t);
    findings.extend(tables::findings(&tables.list, t));
    findings.extend(indexes::findings(&indexes, stats_reset.as_deref()));
    findings.extend(statements::findings(&statements, t));
    // Worst first; within a level, grouped by check, in a stable order.
    findings.sort_by(|a, b| (b.level, a.check, &a.subject).cmp(&(a.level, b.check, &b.subject)));
    Ok(Report {
        database: header.try_get_by_index(0)?,
        server_version: header.try_get_by_index(1)?,
        stats_reset,
        statements,
        tables,
        indexes,
        activity,
        findings,
        thresholds: options.thresholds.clone(),
    })
}

/// Runs a query and returns its rows.
async fn rows(txn: &DatabaseTransaction, sql: &str) -> anyhow::Result<Vec<QueryResult>> {
    Ok(txn
        .query_all_raw(Statement::from_string(txn.get_database_backend(), sql))
        .await?)
}

/// Runs a query that must return one row.
async fn first_row(txn: &DatabaseTransaction, sql: &str) -> anyhow::Result<QueryResult> {
    rows(txn, sql)
        .await?
        .into_iter()
        .next()
        .context("the query returned no row")
}

/// Runs `sql` under a savepoint, so that its failure (a lock timeout, a view that cannot be
/// read) leaves the transaction usable; the caller judges the error.
async fn attempt(
    txn: &DatabaseTransaction,
    sql: &str,
) -> anyhow::Result<Result<Vec<QueryResult>, DbErr>> {
    let savepoint = txn.begin().await?;
    let result = savepoint
        .query_all_raw(Statement::from_string(txn.get_database_backend(), sql))
        .await;
    match result {
        Ok(_) => savepoint.commit().await?,
        Err(_) => savepoint.rollback().await?,
    }
    Ok(result)
}

/// Sizes measured exactly when possible. `pg_relation_size` takes a lock on the relation, so
/// behind a session holding an exclusive lock it times out; the catalog's page counts (as of
/// the last vacuum or analyze) answer instead, and the report says the sizes are estimates.
async fn exact_or_estimated(
    txn: &DatabaseTransaction,
    exact: &str,
    estimated: &str,
) -> anyhow::Result<(Vec<QueryResult>, bool)> {
    match attempt(txn, exact).await? {
        Ok(rows) => Ok((rows, false)),
        Err(err) if is_lock_timeout(&err) => Ok((rows(txn, estimated).await?, true)),
        Err(err) => Err(err.into()),
    }
}

fn is_lock_timeout(err: &DbErr) -> bool {
    err.to_string().contains("lock timeout")
}

/// SQL that renders a timestamp as UTC ISO 8601, or NULL.
fn utc(expression: &str) -> String {
    format!("to_char(({expression}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
}

/// SQL for a statement's text on one line, cut to 160 characters.
fn one_line(expression: &str) -> String {
    format!("left(regexp_replace(coalesce({expression}, ''), '\\s+', ' ', 'g'), 160)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(level: Level) -> Finding {
        Finding {
            level,
            check: "transaction",
            subject: "pid 1".into(),
            message: "open".into(),
        }
    }

    fn report(findings: Vec<Finding>) -> Report {
        Report {
            database: "db".into(),
            server_version: "18.3".into(),
            stats_reset: None,
            statements: SlowQueries::Unavailable(NOT_LOADED.into()),
            tables: Tables::default(),
            indexes: Vec::new(),
            activity: Activity::default(),
            findings,
            thresholds: Thresholds::default(),
        }
    }

    #[test]
    fn fail_on_exits_by_the_worst_finding() {
        let quiet = report(vec![finding(Level::Info)]);
        assert_eq!(quiet.alert(Level::Warn), None);
        let warned = report(vec![finding(Level::Info), finding(Level::Warn)]);
        assert_eq!(warned.alert(Level::Crit), None);
        assert_eq!(warned.alert(Level::Warn).unwrap().exit_code(), 2);
        let critical = report(vec![finding(Level::Warn), finding(Level::Crit)]);
        let alert = critical.alert(Level::Warn).unwrap();
        assert_eq!((alert.count, alert.exit_code()), (2, 3));
        assert_eq!(critical.alert(Level::Crit).unwrap().count, 1);
    }
}
