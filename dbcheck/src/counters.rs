//! The derived counters, what each one counts, and their read-only recount in short batches.
//!
//! This is the one definition of every derived value: `verify --deep` compares the stored
//! values with [`Counter::recount`], and the migration crate's `repair` writes the same
//! recount back. Each batch is its own read-only transaction over at most a batch of parent
//! rows, ranged by key, so a recount of a large table never holds a lock for long; the parent
//! row and its source rows are read in one snapshot, and the triggers change both in the same
//! transaction, so concurrent writers never show up as mismatches.

use std::fmt;

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait, Value};

/// One table's derived counters and the recount that defines them.
#[derive(Debug, Clone, Copy)]
pub struct Counter {
    /// The table holding the counters, in `public`.
    pub table: &'static str,
    /// Its unique uuid key: batches are ranged by it, and writers lock the rows in its order.
    pub key: &'static str,
    /// The counter columns, in the order [`Counter::recount`] gives their values.
    pub columns: &'static [&'static str],
    /// The table whose rows are counted, in `public`.
    pub source: &'static str,
    /// One row of bigints, one per column: the true values for the parent row aliased `p`.
    pub recount: &'static str,
}

/// Every counter the triggers of phase 5 keep; see docs/data-model.md, "Derived values".
pub const COUNTERS: &[Counter] = &[
    Counter {
        table: "conversations",
        key: "id",
        columns: &["messageCount", "tokenCount"],
        source: "messages",
        recount: r#"SELECT count(*)::bigint,
                   coalesce(sum(coalesce(m."tokensInput", 0) + coalesce(m."tokensOutput", 0)), 0)::bigint
              FROM public.messages m WHERE m."conversationId" = p."id""#,
    },
    Counter {
        table: "storage_quotas",
        key: "userId",
        columns: &["usedStorage", "fileCount"],
        source: "storage_files",
        recount: r#"SELECT coalesce(sum(f.size), 0)::bigint, count(*)::bigint
              FROM public.storage_files f WHERE f."userId" = p."userId" AND f."deletedAt" IS NULL"#,
    },
    Counter {
        table: "rag_documents",
        key: "id",
        columns: &["chunkCount"],
        source: "rag_chunks",
        recount: r#"SELECT count(*)::bigint FROM public.rag_chunks c WHERE c."documentId" = p."id""#,
    },
];

/// Parent rows per batch unless the caller says otherwise.
pub const BATCH: u64 = 1_000;

/// How long one batch may run; a batch reads at most [`BATCH`] parents and their rows.
pub const BATCH_TIMEOUT: &str = "60s";

/// A stored counter that differs from its recount, printed as one line:
/// `conversations id=<uuid> messageCount: stored 5, actual 6`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub table: &'static str,
    pub key_column: &'static str,
    pub key: String,
    pub column: &'static str,
    pub stored: i64,
    pub actual: i64,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}={} {}: stored {}, actual {}",
            self.table, self.key_column, self.key, self.column, self.stored, self.actual
        )
    }
}

/// What one batch read: how many parent rows, the last key (where the next batch starts) and
/// the rows whose counters differ from their recount.
#[derive(Debug, Default)]
pub struct Batch {
    pub rows: u64,
    pub last: Option<String>,
    pub mismatches: Vec<Mismatch>,
}

impl Counter {
    /// `a(c0, c1, ...)`: the alias under which the recount's values are selected.
    pub fn recount_alias(&self) -> String {
        let names: Vec<String> = (0..self.columns.len()).map(|i| format!("c{i}")).collect();
        format!("a({})", names.join(", "))
    }

    /// The batch query: key, stored values and recounted values of at most `$2` parent rows
    /// with a key above `$1` (or from the first when `from_start`), in key order.
    pub fn batch_sql(&self, from_start: bool) -> String {
        let key = self.key;
        let stored: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!(r#"p."{c}"::bigint"#))
            .collect();
        let recounted: Vec<String> = (0..self.columns.len()).map(|i| format!("a.c{i}")).collect();
        let columns: Vec<String> = self.columns.iter().map(|c| format!(r#""{c}""#)).collect();
        let range = if from_start {
            "$1::uuid IS NULL".to_owned()
        } else {
            format!(r#""{key}" > $1::uuid"#)
        };
        format!(
            r#"SELECT p."{key}"::text, {stored}, {recounted}
                 FROM (SELECT "{key}", {columns} FROM public.{table}
                        WHERE {range} ORDER BY "{key}" LIMIT $2) p
                 CROSS JOIN LATERAL ({recount}) {alias}
                ORDER BY p."{key}""#,
            stored = stored.join(", "),
            recounted = recounted.join(", "),
            columns = columns.join(", "),
            table = self.table,
            recount = self.recount,
            alias = self.recount_alias(),
        )
    }
}

/// Whether the counter's tables exist (a database migrated only through an earlier phase
/// lacks some); missing ones are skipped, and `verify` reports missing tables itself.
pub async fn present(db: &impl ConnectionTrait, counter: &Counter) -> anyhow::Result<bool> {
    let sql = format!(
        "SELECT to_regclass('public.{}') IS NOT NULL AND to_regclass('public.{}') IS NOT NULL",
        counter.table, counter.source
    );
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .with_context(|| format!("look for {}", counter.table))?;
    Ok(row
        .map(|r| r.try_get_by_index::<bool>(0))
        .transpose()?
        .unwrap_or(false))
}

/// Reads one batch of `counter`: at most `size` parent rows with a key after `after` (from
/// the first when `None`), in a read-only transaction of its own.
pub async fn batch(
    db: &DatabaseConnection,
    counter: &Counter,
    after: Option<&str>,
    size: u64,
) -> anyhow::Result<Batch> {
    let sql = counter.batch_sql(after.is_none());
    let values: Vec<Value> = vec![
        after.map(str::to_owned).into(),
        i64::try_from(size).unwrap_or(i64::MAX).into(),
    ];
    let txn = db.begin().await.context("begin a read-only transaction")?;
    txn.execute_unprepared("SET TRANSACTION READ ONLY").await?;
    txn.execute_unprepared(&format!(
        "SET LOCAL statement_timeout = '{BATCH_TIMEOUT}'; SET LOCAL lock_timeout = '5s'"
    ))
    .await?;
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await;
    txn.rollback().await.context("roll back")?;
    let rows = rows.with_context(|| format!("recount {}", counter.table))?;
    let n = counter.columns.len();
    let mut out = Batch::default();
    for row in &rows {
        let key: String = row.try_get_by_index(0)?;
        for (i, column) in counter.columns.iter().enumerate() {
            let stored: i64 = row.try_get_by_index(1 + i)?;
            let actual: i64 = row.try_get_by_index(1 + n + i)?;
            if stored != actual {
                out.mismatches.push(Mismatch {
                    table: counter.table,
                    key_column: counter.key,
                    key: key.clone(),
                    column,
                    stored,
                    actual,
                });
            }
        }
        out.rows += 1;
        out.last = Some(key);
    }
    Ok(out)
}

/// What a full recount found.
#[derive(Debug, Default)]
pub struct Recount {
    /// Parent rows recounted, over every counter table.
    pub rows: u64,
    /// Batches read, each its own short transaction.
    pub batches: u64,
    pub mismatches: Vec<Mismatch>,
}

/// Recounts every counter of every present table, in batches of `size` parent rows.
pub async fn check(db: &DatabaseConnection, size: u64) -> anyhow::Result<Recount> {
    // Hidden rows would make a counter and its recount agree on nothing.
    dbconn::visibility::require_every_row_visible(db, "verify --deep").await?;
    let mut recount = Recount::default();
    for counter in COUNTERS {
        if !present(db, counter).await? {
            continue;
        }
        let mut after: Option<String> = None;
        loop {
            let batch = batch(db, counter, after.as_deref(), size.max(1)).await?;
            recount.batches += 1;
            recount.rows += batch.rows;
            recount.mismatches.extend(batch.mismatches);
            match batch.last {
                Some(last) if batch.rows == size.max(1) => after = Some(last),
                _ => break,
            }
        }
    }
    Ok(recount)
}

/// Runs [`check`] and prints each mismatch on stdout as `counters: <mismatch>`; fails when
/// any counter differs. `origin` says which database, password redacted.
pub async fn report(db: &DatabaseConnection, origin: &str, size: u64) -> anyhow::Result<()> {
    let recount = check(db, size).await.context("recount the counters")?;
    for mismatch in &recount.mismatches {
        println!("counters: {mismatch}");
    }
    if !recount.mismatches.is_empty() {
        anyhow::bail!(
            "{} counter(s) differ from their recount on {origin}: `repair --apply` fixes them",
            recount.mismatches.len()
        );
    }
    eprintln!(
        "verify --deep: every counter equals its recount on {origin}: {} rows in {} batches",
        recount.rows, recount.batches
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mismatch_is_one_line_naming_table_key_stored_and_actual() {
        let m = Mismatch {
            table: "conversations",
            key_column: "id",
            key: "0a".into(),
            column: "messageCount",
            stored: 5,
            actual: 6,
        };
        assert_eq!(
            m.to_string(),
            "conversations id=0a messageCount: stored 5, actual 6"
        );
    }

    #[test]
    fn batches_are_ranged_by_key_and_recount_every_column() {
        let quotas = &COUNTERS[1];
        let sql = quotas.batch_sql(false);
        assert!(sql.contains(r#"WHERE "userId" > $1::uuid ORDER BY "userId" LIMIT $2"#));
        assert!(sql.contains("a(c0, c1)"), "{sql}");
        assert!(COUNTERS[0].batch_sql(true).contains("$1::uuid IS NULL"));
    }
}
