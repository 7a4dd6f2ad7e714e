//! `verify --deep` and `repair`: the derived counters recounted (dbcheck, read-only) and, with
//! `repair --apply`, set back to their recount in short batches.
//!
//! Repair is allowed on production: it destroys nothing, and every value it writes is the one
//! the triggers define (a recount of the source rows, made under the counter row's lock). It
//! is a dry run unless `--apply` is given.

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use dbcheck::counters::{self, COUNTERS, Counter, Mismatch};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, TransactionTrait};

/// The flags of `verify`.
#[derive(Args, Clone, Debug)]
pub struct VerifyArgs {
    /// Also recount every derived counter from its source rows, in short read-only batches,
    /// and print each mismatch (table, key, stored, actual).
    #[arg(long)]
    pub deep: bool,
    /// Parent rows per batch of `--deep` (each batch is its own short transaction).
    #[arg(long, default_value_t = counters::BATCH)]
    pub batch_size: u64,
}

/// The flags of `repair`.
#[derive(Args, Clone, Debug)]
pub struct RepairArgs {
    /// Write the fixes; without it, only print what differs and change nothing.
    #[arg(long)]
    pub apply: bool,
    /// Parent rows per batch; each fix is its own short transaction.
    #[arg(long, default_value_t = counters::BATCH)]
    pub batch_size: u64,
}

/// `verify` with its flags: the post-deploy check, and with `--deep` the counters' recount.
pub async fn verify(
    db: &DatabaseConnection,
    origin: &str,
    args: &VerifyArgs,
) -> anyhow::Result<()> {
    crate::known::require(db, origin).await?;
    if args.deep {
        dbcheck::verify::report_deep(db, origin, args.batch_size).await
    } else {
        dbcheck::verify::report(db, origin).await
    }
}

/// What a repair found and changed.
#[derive(Debug, Default)]
pub struct Repaired {
    /// Counter values that differed from their recount when read.
    pub found: Vec<Mismatch>,
    /// Rows written (with `apply`); fewer than found when writers fixed some meanwhile.
    pub rows_fixed: u64,
    /// Parent rows recounted.
    pub rows: u64,
}

/// Recounts every counter in batches of `size` parent rows (dbcheck's read-only batches) and,
/// when `apply`, sets the rows of each batch that differ to their recount, one short
/// transaction per batch, each written only while the standbys keep up
/// (`--max-replica-lag`).
pub async fn repair(db: &DatabaseConnection, apply: bool, size: u64) -> anyhow::Result<Repaired> {
    let size = size.max(1);
    let mut repaired = Repaired::default();
    let mut lag = deployer::online::ReplicaLag::with_default();
    for counter in COUNTERS {
        if !counters::present(db, counter).await? {
            continue;
        }
        let mut after: Option<String> = None;
        loop {
            let batch = counters::batch(db, counter, after.as_deref(), size).await?;
            repaired.rows += batch.rows;
            if apply && !batch.mismatches.is_empty() {
                let mut keys: Vec<&str> = batch.mismatches.iter().map(|m| m.key.as_str()).collect();
                keys.dedup();
                lag.wait(db, "repair").await?;
                repaired.rows_fixed += fix(db, counter, &keys).await?;
            }
            repaired.found.extend(batch.mismatches);
            match batch.last {
                Some(last) if batch.rows == size => after = Some(last),
                _ => break,
            }
        }
    }
    Ok(repaired)
}

/// How often a batch whose rows stay locked is tried again before repair gives up.
const ATTEMPTS: u32 = 4;

/// Sets the counters of the `counter.table` rows keyed `keys` to their recount, retrying when
/// a writer holds the rows longer than the lock timeout; returns the rows written.
async fn fix(db: &DatabaseConnection, counter: &Counter, keys: &[&str]) -> anyhow::Result<u64> {
    let mut attempt = 1;
    loop {
        match fix_once(db, counter, keys).await {
            Ok(rows) => return Ok(rows),
            Err(err) if attempt < ATTEMPTS && busy(&err) => {
                tokio::time::sleep(Duration::from_millis(200) * 2u32.pow(attempt)).await;
                attempt += 1;
            }
            Err(err) => {
                return Err(err).with_context(|| format!("repair a batch of {}", counter.table));
            }
        }
    }
}

/// A lock timeout or a deadlock: the batch can simply be tried again.
fn busy(err: &DbErr) -> bool {
    let text = err.to_string();
    text.contains("lock timeout") || text.contains("deadlock detected")
}

/// One transaction: lock the rows in the triggers' order (by key, in one statement), then
/// recount under those locks and write the values that differ. A writer's delta applied after
/// this commits lands on the recounted value, and one committed before is in the recount.
async fn fix_once(db: &DatabaseConnection, counter: &Counter, keys: &[&str]) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let (table, key) = (counter.table, counter.key);
    let keys = keys.join(",");
    let txn = db.begin().await?;
    txn.execute_unprepared("SET LOCAL lock_timeout = '2s'; SET LOCAL statement_timeout = '60s'")
        .await?;
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        format!(
            r#"SELECT 1 FROM public.{table} WHERE "{key}" = ANY (string_to_array($1, ',')::uuid[])
               ORDER BY "{key}" FOR NO KEY UPDATE"#
        ),
        [keys.clone().into()],
    ))
    .await?;
    let written = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            update_sql(counter),
            [keys.into()],
        ))
        .await?
        .rows_affected();
    txn.commit().await?;
    Ok(written)
}

/// The UPDATE that sets the counters of the rows keyed `$1` (comma-separated) to their
/// recount, where they differ.
fn update_sql(counter: &Counter) -> String {
    let (table, key) = (counter.table, counter.key);
    let columns = counter.columns.iter().enumerate();
    let set: Vec<String> = columns
        .clone()
        .map(|(i, c)| format!(r#""{c}" = r.c{i}"#))
        .collect();
    let stored: Vec<String> = columns
        .clone()
        .map(|(_, c)| format!(r#"t."{c}""#))
        .collect();
    let actual: Vec<String> = columns.map(|(i, _)| format!("r.c{i}")).collect();
    format!(
        r#"UPDATE public.{table} t SET {set}
             FROM (SELECT p."{key}" AS k, a.* FROM public.{table} p
                   CROSS JOIN LATERAL ({recount}) {alias}
                   WHERE p."{key}" = ANY (string_to_array($1, ',')::uuid[])) r
            WHERE t."{key}" = r.k AND ({stored}) IS DISTINCT FROM ({actual})"#,
        set = set.join(", "),
        recount = counter.recount,
        alias = counter.recount_alias(),
        stored = stored.join(", "),
        actual = actual.join(", "),
    )
}

/// `repair` with its flags: prints each counter that differs, as `verify --deep` does, and
/// what was done. `origin` says which database, password redacted.
pub async fn report(
    db: &DatabaseConnection,
    origin: &str,
    args: &RepairArgs,
) -> anyhow::Result<()> {
    crate::known::require(db, origin).await?;
    let repaired = repair(db, args.apply, args.batch_size)
        .await
        .context("repair the counters")?;
    for mismatch in &repaired.found {
        println!("counters: {mismatch}");
    }
    let found = repaired.found.len();
    if !args.apply {
        eprintln!(
            "repair: dry run on {origin}: {found} counter value(s) differ from their recount \
             in {} rows; nothing changed (pass --apply to fix them)",
            repaired.rows
        );
    } else {
        eprintln!(
            "repair: {found} counter value(s) differed on {origin}; {} row(s) set to their \
             recount ({} rows recounted)",
            repaired.rows_fixed, repaired.rows
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_update_recounts_under_its_own_alias_and_writes_only_what_differs() {
        let sql = update_sql(&COUNTERS[0]);
        assert!(
            sql.contains(r#"SET "messageCount" = r.c0, "tokenCount" = r.c1"#),
            "{sql}"
        );
        assert!(
            sql.contains(r#"(t."messageCount", t."tokenCount") IS DISTINCT FROM (r.c0, r.c1)"#)
        );
        // A single column is compared as a plain value, not a one-field row.
        let chunks = update_sql(&COUNTERS[2]);
        assert!(
            chunks.contains(r#"(t."chunkCount") IS DISTINCT FROM (r.c0)"#),
            "{chunks}"
        );
    }
}
