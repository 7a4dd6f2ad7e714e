//! Batched backfills: a column of a big table filled in short, key-ranged transactions that
//! resume where they stopped and pause while the standbys fall behind.
//!
//! One `UPDATE` over a whole table holds its row locks until it commits, writes all its WAL at
//! once, and starts again from nothing after a kill. A backfill instead walks the table's
//! primary key in batches of `batch_size` rows, each its own transaction with a
//! `lock_timeout`, and records in the same transaction how far it got, in the bookkeeping
//! table [`PROGRESS`] (`seaql_backfills`). A batch and its progress commit together, so a run
//! killed at any moment, then run again, updates every row exactly once. Between batches it
//! waits while a standby replays too far behind ([`super::replicas`]).
//!
//! It is the middle step of an expand/backfill/contract change
//! (`docs/online-changes.md`): rows written after a batch passed them are the application's
//! to fill, which it does once the expand step is deployed.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sea_orm::{
    ConnectionTrait, DbErr, RuntimeErr, Statement, TransactionSession, TransactionTrait, Value,
};

use super::quote;
use super::replicas::ReplicaLag;

/// The bookkeeping table of backfills: one row per backfill, with the key its last committed
/// batch ended at.
pub const PROGRESS: &str = "seaql_backfills";

/// Rows per batch unless told otherwise: a few milliseconds of locks and WAL each.
pub const DEFAULT_BATCH: u64 = 1_000;

/// How often a batch whose rows stay locked is tried again before the backfill gives up.
const ATTEMPTS: u32 = 5;

/// How often progress is logged where no progress bar is drawn.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// A column (or several) to fill, row by row, over a table with a one-column primary key.
#[derive(Clone, Debug)]
pub struct Backfill<'a> {
    /// Names the backfill in [`PROGRESS`]: a second run with the same name resumes it, and
    /// one run after it finished does nothing.
    pub name: &'a str,
    pub schema: &'a str,
    pub table: &'a str,
    /// The assignments of the `UPDATE`, e.g. `"charCount" = length("content")`.
    pub set: &'a str,
    /// Which rows of a batch to update, e.g. `"charCount" IS NULL` (None: all of them).
    pub only: Option<&'a str>,
    /// Rows per batch (each batch is one transaction).
    pub batch_size: u64,
    /// How long a batch waits for a row lock before it is rolled back and tried again.
    pub lock_timeout: Duration,
    /// Pause while a standby replays more than this behind (zero: do not check); `None`: the
    /// process's `--max-replica-lag`.
    pub max_replica_lag: Option<Duration>,
}

impl<'a> Backfill<'a> {
    /// A backfill of `schema.table` setting `set`, with default batches, a 2 s lock timeout
    /// and the process's replica-lag bound.
    pub fn new(name: &'a str, schema: &'a str, table: &'a str, set: &'a str) -> Self {
        Self {
            name,
            schema,
            table,
            set,
            only: None,
            batch_size: DEFAULT_BATCH,
            lock_timeout: Duration::from_secs(2),
            max_replica_lag: None,
        }
    }

    fn qualified(&self) -> String {
        format!("{}.{}", quote(self.schema), quote(self.table))
    }

    /// What the backfill does, as a SQL comment: the name, the table, the assignments and
    /// the filter (not the batch size or timeouts, which are tuning, not the change).
    fn description(&self) -> String {
        let only = self
            .only
            .map(|only| format!(" WHERE {only}"))
            .unwrap_or_default();
        let text = format!(
            "backfill {}: UPDATE {} SET {}{only}, in key-ranged batches",
            self.name,
            self.qualified(),
            self.set
        );
        // PostgreSQL nests block comments: neither an opening nor a closing one may remain.
        format!("/* {} */", text.replace("/*", "/ *").replace("*/", "* /"))
    }
}

/// What a backfill run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filled {
    /// Rows this run updated.
    pub rows: u64,
    /// Batches this run committed.
    pub batches: u64,
    /// Rows updated over every run of this backfill.
    pub total_rows: u64,
    /// The key an earlier run had reached, when this one resumed.
    pub resumed_after: Option<String>,
    /// Whether an earlier run had already finished it, so this one did nothing.
    pub already_done: bool,
}

/// The primary key this backfill walks.
struct Key {
    column: String,
    /// Its type as `format_type` writes it, for casting the recorded key back.
    sql_type: String,
}

/// One committed batch.
struct Batch {
    /// Keys visited; zero when the table had no rows left.
    visited: u64,
    updated: u64,
    last: Option<String>,
}

/// Runs `job` to its end, resuming an earlier run of the same name, and returns what this run
/// did. `db` may be a migration's connection (run the migration outside a transaction:
/// `use_transaction() -> Some(false)`, as each batch commits on its own).
pub async fn backfill<C>(db: &C, job: &Backfill<'_>) -> anyhow::Result<Filled>
where
    C: ConnectionTrait + TransactionTrait,
{
    let what = format!("backfill {}", job.name);
    install(db).await.context("create the backfill table")?;
    if !answers(db).await? {
        // Only the recording connection that renders migrations (render.rs) answers nothing:
        // describe the work in a comment, so checksums catch an edit of it and --dry-run
        // shows it; a comment is harmless wherever it goes.
        db.execute_unprepared(&job.description()).await?;
        return Ok(Filled::default());
    }
    let key = primary_key(db, job).await?;
    let mut filled = start(db, job).await.with_context(|| what.clone())?;
    if filled.already_done {
        tracing::info!("{what}: already finished, nothing to do");
        return Ok(filled);
    }
    match &filled.resumed_after {
        Some(after) => tracing::info!("{what}: resuming after key {after}"),
        None => tracing::info!("{what}: starting on {}", job.qualified()),
    }
    let mut lag = ReplicaLag::new(
        job.max_replica_lag
            .unwrap_or_else(super::replicas::default_max_lag),
    );
    let bar = progress_bar(db, job).await;
    let mut logged = Instant::now();
    loop {
        lag.wait(db, &what).await?;
        let batch = retried(db, job, &key).await?;
        if batch.visited == 0 {
            break;
        }
        filled.rows += batch.updated;
        filled.total_rows += batch.updated;
        filled.batches += 1;
        bar.inc(batch.visited);
        if bar.is_hidden() && logged.elapsed() >= LOG_EVERY {
            tracing::info!(
                "{what}: {} rows so far, at key {}",
                filled.total_rows,
                batch.last.unwrap_or_default()
            );
            logged = Instant::now();
        }
    }
    bar.finish_and_clear();
    tracing::info!(
        "{what}: done, {} rows updated in {} batches by this run",
        filled.rows,
        filled.batches
    );
    Ok(filled)
}

/// Forgets a backfill, so that its next run starts again from the first row: for the `down`
/// of a migration that ran it.
pub async fn forget<C: ConnectionTrait>(db: &C, name: &str) -> Result<(), DbErr> {
    install(db).await?;
    db.execute_raw(stmt(
        &format!("DELETE FROM {PROGRESS} WHERE name = $1"),
        [name.into()],
    ))
    .await?;
    Ok(())
}

/// Whether `db` is a database: a real one answers every query that always returns a row.
async fn answers<C: ConnectionTrait>(db: &C) -> Result<bool, DbErr> {
    Ok(db
        .query_one_raw(stmt("SELECT 1 AS one", []))
        .await?
        .is_some())
}

/// Creates the bookkeeping table if it is missing.
async fn install<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    db.execute_unprepared(&format!(
        "CREATE TABLE IF NOT EXISTS {PROGRESS} (name varchar NOT NULL PRIMARY KEY, \
         target text NOT NULL, last_key text, rows_updated bigint NOT NULL DEFAULT 0, \
         batches bigint NOT NULL DEFAULT 0, started_at timestamptz NOT NULL DEFAULT now(), \
         updated_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz)"
    ))
    .await?;
    Ok(())
}

/// The table's one-column primary key and its type.
async fn primary_key<C: ConnectionTrait>(db: &C, job: &Backfill<'_>) -> anyhow::Result<Key> {
    let sql = "SELECT a.attname::text AS column, format_type(a.atttypid, a.atttypmod) AS sql_type
                 FROM pg_index i
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                WHERE i.indrelid = to_regclass($1) AND i.indisprimary";
    let rows = db
        .query_all_raw(stmt(sql, [job.qualified().into()]))
        .await
        .with_context(|| format!("read the primary key of {}", job.qualified()))?;
    match rows.as_slice() {
        [row] => Ok(Key {
            column: row.try_get("", "column")?,
            sql_type: row.try_get("", "sql_type")?,
        }),
        [] => bail!(
            "backfill {}: {} has no primary key (or does not exist): a backfill walks the primary key",
            job.name,
            job.qualified()
        ),
        _ => bail!(
            "backfill {}: {} has a primary key of {} columns: a backfill needs a one-column key",
            job.name,
            job.qualified(),
            rows.len()
        ),
    }
}

/// Records the backfill if it is new, and reads where earlier runs left it.
async fn start<C: ConnectionTrait>(db: &C, job: &Backfill<'_>) -> anyhow::Result<Filled> {
    db.execute_raw(stmt(
        &format!("INSERT INTO {PROGRESS} (name, target) VALUES ($1, $2) ON CONFLICT DO NOTHING"),
        [job.name.into(), job.qualified().into()],
    ))
    .await?;
    let row = db
        .query_one_raw(stmt(
            &format!(
                "SELECT target, last_key, rows_updated, finished_at IS NOT NULL AS done \
                 FROM {PROGRESS} WHERE name = $1"
            ),
            [job.name.into()],
        ))
        .await?
        .context("read the backfill's progress")?;
    let target: String = row.try_get("", "target")?;
    if target != job.qualified() {
        bail!(
            "backfill name `{}` was used for {target}: give this backfill of {} a name of its own",
            job.name,
            job.qualified()
        );
    }
    let total: i64 = row.try_get("", "rows_updated")?;
    Ok(Filled {
        total_rows: total.max(0) as u64,
        resumed_after: row.try_get("", "last_key")?,
        already_done: row.try_get("", "done")?,
        ..Filled::default()
    })
}

/// One batch, tried again with backoff while its rows stay locked by other sessions.
async fn retried<C>(db: &C, job: &Backfill<'_>, key: &Key) -> anyhow::Result<Batch>
where
    C: ConnectionTrait + TransactionTrait,
{
    let mut attempt = 1;
    loop {
        match batch(db, job, key).await {
            Ok(batch) => return Ok(batch),
            Err(err) if attempt < ATTEMPTS && busy(&err) => {
                tracing::warn!(
                    "backfill {}: rows of {} are locked by another session; batch rolled \
                     back, trying again",
                    job.name,
                    job.qualified()
                );
                tokio::time::sleep(Duration::from_millis(200) * 2u32.pow(attempt)).await;
                attempt += 1;
            }
            Err(err) if busy(&err) => bail!(
                "backfill {}: rows of {} stayed locked longer than {}ms, {ATTEMPTS} times; \
                 run it again to resume where it stopped",
                job.name,
                job.qualified(),
                job.lock_timeout.as_millis()
            ),
            Err(err) => {
                return Err(err).with_context(|| {
                    format!("backfill {}: a batch of {}", job.name, job.qualified())
                });
            }
        }
    }
}

/// One batch in one transaction: lock the progress row (so two runs never take the same
/// batch), find the batch's last key, update its rows, record the new position.
async fn batch<C>(db: &C, job: &Backfill<'_>, key: &Key) -> Result<Batch, DbErr>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let millis = job.lock_timeout.as_millis().max(1);
    txn.execute_unprepared(&format!("SET LOCAL lock_timeout = {millis}"))
        .await?;
    let after: Option<String> = txn
        .query_one_raw(stmt(
            &format!("SELECT last_key FROM {PROGRESS} WHERE name = $1 FOR UPDATE"),
            [job.name.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom(format!("backfill {} vanished from {PROGRESS}", job.name)))?
        .try_get("", "last_key")?;
    let (visited, last) = next_range(&txn, job, key, after.as_deref()).await?;
    let Some(last) = last else {
        txn.execute_raw(stmt(
            &format!(
                "UPDATE {PROGRESS} SET finished_at = now(), updated_at = now() WHERE name = $1"
            ),
            [job.name.into()],
        ))
        .await?;
        txn.commit().await?;
        return Ok(Batch {
            visited: 0,
            updated: 0,
            last: None,
        });
    };
    let updated = update_range(&txn, job, key, after.as_deref(), &last).await?;
    txn.execute_raw(stmt(
        &format!(
            "UPDATE {PROGRESS} SET last_key = $2, rows_updated = rows_updated + $3, \
             batches = batches + 1, updated_at = now() WHERE name = $1"
        ),
        [
            job.name.into(),
            last.clone().into(),
            (updated as i64).into(),
        ],
    ))
    .await?;
    txn.commit().await?;
    Ok(Batch {
        visited,
        updated,
        last: Some(last),
    })
}

/// How many keys the next batch holds and the last of them (as text), after `after`.
async fn next_range<T: ConnectionTrait>(
    txn: &T,
    job: &Backfill<'_>,
    key: &Key,
    after: Option<&str>,
) -> Result<(u64, Option<String>), DbErr> {
    let column = quote(&key.column);
    let (condition, mut values): (String, Vec<Value>) = match after {
        Some(after) => (
            format!("WHERE {column} > $2::{}", key.sql_type),
            vec![after.into()],
        ),
        None => (String::new(), Vec::new()),
    };
    values.insert(0, (job.batch_size.max(1) as i64).into());
    let sql = format!(
        "SELECT count(*) AS n, (array_agg(k ORDER BY k DESC))[1]::text AS last \
           FROM (SELECT {column} AS k FROM {table} {condition} ORDER BY {column} LIMIT $1) b",
        table = job.qualified()
    );
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            sql,
            values,
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("the batch query returned no row".into()))?;
    let visited: i64 = row.try_get("", "n")?;
    Ok((visited.max(0) as u64, row.try_get("", "last")?))
}

/// Applies `job.set` to the rows keyed in (`after`, `last`] that `job.only` selects.
async fn update_range<T: ConnectionTrait>(
    txn: &T,
    job: &Backfill<'_>,
    key: &Key,
    after: Option<&str>,
    last: &str,
) -> Result<u64, DbErr> {
    let column = quote(&key.column);
    let sql_type = &key.sql_type;
    let mut conditions = vec![format!("{column} <= $1::{sql_type}")];
    let mut values: Vec<Value> = vec![last.into()];
    if let Some(after) = after {
        conditions.push(format!("{column} > $2::{sql_type}"));
        values.push(after.into());
    }
    if let Some(only) = job.only {
        conditions.push(format!("({only})"));
    }
    let sql = format!(
        "UPDATE {} SET {} WHERE {}",
        job.qualified(),
        job.set,
        conditions.join(" AND ")
    );
    let result = txn
        .execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    Ok(result.rows_affected())
}

/// A progress bar over the table's estimated rows, drawn only on a terminal.
async fn progress_bar<C: ConnectionTrait>(db: &C, job: &Backfill<'_>) -> ProgressBar {
    // The planner's estimate: counting a big table would be a scan of its own.
    let estimate = db
        .query_one_raw(stmt(
            "SELECT greatest(reltuples, 0)::bigint AS n FROM pg_class WHERE oid = to_regclass($1)",
            [job.qualified().into()],
        ))
        .await
        .ok()
        .flatten()
        .and_then(|row| row.try_get::<i64>("", "n").ok())
        .unwrap_or(0);
    let bar =
        ProgressBar::with_draw_target(Some(estimate.max(0) as u64), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{prefix} {bar:30} {pos}/~{len} rows {per_sec} {eta}")
    {
        bar.set_style(style);
    }
    bar.set_prefix(format!("backfill {}", job.name));
    bar
}

/// A lock timeout or a deadlock: the batch can simply be tried again.
fn busy(err: &DbErr) -> bool {
    let code = match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned()),
        _ => None,
    };
    matches!(code.as_deref(), Some("55P03" | "40P01"))
}

fn stmt<const N: usize>(sql: &str, values: [Value; N]) -> Statement {
    Statement::from_sql_and_values(sea_orm::DbBackend::Postgres, sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_backfill_has_bounded_batches_and_a_lock_timeout() {
        let job = Backfill::new("chars", "public", "messages", r#""n" = length("content")"#);
        assert_eq!(job.batch_size, DEFAULT_BATCH);
        assert_eq!(job.lock_timeout, Duration::from_secs(2));
        assert_eq!(job.max_replica_lag, None);
        assert_eq!(job.qualified(), r#""public"."messages""#);
    }

    #[tokio::test]
    async fn a_rendered_backfill_describes_its_work_in_a_comment() {
        struct Fill;
        impl sea_orm_migration::MigrationName for Fill {
            fn name(&self) -> &str {
                "m1_fill"
            }
        }
        #[async_trait::async_trait]
        impl sea_orm_migration::MigrationTrait for Fill {
            async fn up(&self, manager: &sea_orm_migration::SchemaManager) -> Result<(), DbErr> {
                let job = Backfill {
                    only: Some(r#""n" IS NULL"#),
                    ..Backfill::new("fill_n", "public", "t", r#""n" = 1 /* one */"#)
                };
                backfill(manager.get_connection(), &job)
                    .await
                    .map(|_| ())
                    .map_err(|e| DbErr::Custom(e.to_string()))
            }
        }
        let sql = crate::render::render_up(&Fill).await.unwrap();
        assert!(
            sql[0].starts_with("CREATE TABLE IF NOT EXISTS seaql_backfills"),
            "{sql:?}"
        );
        assert_eq!(
            sql.last().unwrap(),
            r#"/* backfill fill_n: UPDATE "public"."t" SET "n" = 1 / * one * / WHERE "n" IS NULL, in key-ranged batches */"#
        );
    }
}
