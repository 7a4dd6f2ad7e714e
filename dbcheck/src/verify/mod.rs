//! Post-deploy verification, read-only and safe on production: the owned schemas, tables,
//! indexes and foreign keys are all there (by name), no index is invalid, no foreign key is
//! left unvalidated, no orphan rows where the seed document looks for them, pgvector is
//! recent enough, row-level security guards health and finance, and every critical query
//! has an index path: on a small database one exists (`enable_seqscan = off`), on a large one
//! the planner's own plan uses it and sorts no unbounded row set ([`PlanMode`]).

mod queries;

use std::collections::BTreeSet;
use std::fmt;

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};

pub use queries::{CriticalQuery, Param, critical_queries};

use crate::catalog::{Catalog, qualified, rows};
use schema_facts::SCHEMAS;

/// A failed check, printed as `check: what is wrong` (`indexes: missing
/// messages_conversationId_idx on messages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The check that failed: `schemas`, `tables`, `indexes`, `foreign keys`, `invalid
    /// indexes`, `orphans`, `pgvector`, `row-level security`, or `query <name>`.
    pub check: String,
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.check, self.message)
    }
}

/// The index and foreign-key names a fully migrated database has, one `index <table> <name>`
/// or `fk <table> <name>` a line; `cargo xtask erd` writes it from a migrated database and
/// the smoke suite fails when it is stale.
pub const EXPECTED: &str = include_str!("expected.txt");

/// The oldest pgvector with HNSW indexes, which `rag_chunks` uses.
pub const MIN_PGVECTOR: (u32, u32) = (0, 5);

/// Foreign keys checked for orphan rows (child table, column, parent table): the seed
/// document's validation script looks for conversations without their chat session; the
/// others are the chains the platform reads most. With their constraints valid no orphan can
/// exist, so a hit means a constraint was dropped, disabled or added `NOT VALID`.
pub const ORPHAN_CHECKS: &[(&str, &str, &str)] = &[
    ("conversations", "chatSessionId", "chat_sessions"),
    ("chat_sessions", "userId", "users"),
    ("messages", "conversationId", "conversations"),
    ("usage_logs", "userId", "users"),
    ("rag_chunks", "documentId", "rag_documents"),
];

/// Runs [`check`] on `db` and prints each failure on stdout; fails when any check did.
/// `origin` says which database, password redacted. The shared body of `cargo xtask verify`
/// and `migration verify`.
pub async fn report(db: &DatabaseConnection, origin: &str) -> anyhow::Result<()> {
    let failures = check(db).await.context("verify the database")?;
    for failure in &failures {
        println!("{failure}");
    }
    if !failures.is_empty() {
        anyhow::bail!("{} check(s) failed on {origin}", failures.len());
    }
    let catalog = crate::catalog::Catalog::load(db).await?;
    let modes = plan_modes(db).await?;
    let real = modes
        .iter()
        .filter(|(_, mode)| *mode == PlanMode::RealPlan)
        .count();
    eprintln!(
        "verify: every check passed on {origin}: {} tables, {} indexes, {} foreign keys, {} \
         critical queries ({real} by their real plan, tables over {REAL_PLAN_ROWS} rows; {} by \
         an index path with enable_seqscan off)",
        catalog.tables.len(),
        catalog.indexes.len(),
        catalog.foreign_keys.len(),
        modes.len(),
        modes.len() - real
    );
    Ok(())
}

/// [`report`], then the recount of every derived counter ([`crate::counters::report`]) in
/// batches of `batch` parent rows: `verify --deep`. Both run even when the first fails, so one
/// run lists every problem.
pub async fn report_deep(db: &DatabaseConnection, origin: &str, batch: u64) -> anyhow::Result<()> {
    let structure = report(db, origin).await;
    let counters = crate::counters::report(db, origin, batch).await;
    structure.and(counters)
}

/// Runs every check; an empty list means the database passed.
pub async fn check(db: &DatabaseConnection) -> anyhow::Result<Vec<Failure>> {
    // Hidden rows would make the orphan counts zero whatever the data holds.
    dbconn::visibility::require_every_row_visible(db, "verify").await?;
    let catalog = Catalog::load(db).await?;
    let mut failures = structure(&catalog, EXPECTED);
    failures.extend(orphans(db, &catalog).await?);
    failures.extend(pgvector(db).await?);
    for query in critical_queries() {
        failures.extend(index_path(db, &query).await?);
    }
    let schemas = rows(db, "SELECT nspname::text FROM pg_namespace")
        .await
        .context("read schemas")?
        .iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect::<Result<BTreeSet<_>, _>>()?;
    for schema in SCHEMAS {
        if !schemas.contains(*schema) {
            failures.insert(0, fail("schemas", format!("schema {schema} missing")));
        }
    }
    Ok(failures)
}

fn fail(check: &str, message: String) -> Failure {
    Failure {
        check: check.to_owned(),
        message,
    }
}

/// The manifest of `catalog`, in the form of [`EXPECTED`].
pub fn manifest(catalog: &Catalog) -> String {
    let mut lines: Vec<String> = catalog
        .indexes
        .iter()
        .map(|i| format!("index {} {}", qualified(&i.schema, &i.table), i.name))
        .chain(
            catalog
                .foreign_keys
                .iter()
                .map(|f| format!("fk {} {}", qualified(&f.schema, &f.table), f.name)),
        )
        .collect();
    lines.sort();
    let mut text = String::from(
        "# Generated by `cargo xtask erd` from a fully migrated database: the indexes and\n\
         # foreign keys `cargo xtask verify` expects. Do not edit.\n",
    );
    for line in lines {
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// Tables, indexes and foreign keys by name against `expected` (a manifest), invalid indexes,
/// unvalidated foreign keys, and row-level security on health and finance.
pub fn structure(catalog: &Catalog, expected: &str) -> Vec<Failure> {
    let mut failures = missing_tables(catalog);
    failures.extend(missing_from_manifest(catalog, expected));
    failures.extend(unfinished_builds(catalog));
    failures.extend(unprotected_tables(catalog));
    failures
}

/// Every table the entities define that the database lacks.
fn missing_tables(catalog: &Catalog) -> Vec<Failure> {
    crate::entities::expected()
        .into_iter()
        .filter(|table| {
            !catalog
                .tables
                .iter()
                .any(|t| t.schema == table.schema && t.name == table.name)
        })
        .map(|table| {
            fail(
                "tables",
                format!("{} missing", qualified(&table.schema, &table.name)),
            )
        })
        .collect()
}

/// Each index and foreign key of the manifest that the database lacks, with how many of its
/// kind are there, so a wholesale loss reads differently from one dropped index.
fn missing_from_manifest(catalog: &Catalog, expected: &str) -> Vec<Failure> {
    let live: BTreeSet<String> = manifest(catalog)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let mut failures = Vec::new();
    for (kind, check) in [("index", "indexes"), ("fk", "foreign keys")] {
        let prefix = format!("{kind} ");
        let wanted: Vec<&str> = expected
            .lines()
            .filter(|l| l.starts_with(&prefix))
            .collect();
        let missing: Vec<&str> = wanted
            .iter()
            .filter(|l| !live.contains(**l))
            .copied()
            .collect();
        let present = live.iter().filter(|l| l.starts_with(&prefix)).count();
        for line in &missing {
            let mut parts = line.splitn(3, ' ').skip(1);
            let (table, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            failures.push(fail(
                check,
                format!(
                    "missing {name} on {table} ({} of {} expected present, {present} in all)",
                    wanted.len() - missing.len(),
                    wanted.len()
                ),
            ));
        }
    }
    failures
}

/// Indexes left INVALID by a failed concurrent build and foreign keys never validated.
fn unfinished_builds(catalog: &Catalog) -> Vec<Failure> {
    let indexes = catalog.indexes.iter().filter(|i| !i.valid).map(|index| {
        fail(
            "invalid indexes",
            format!(
                "{} on {} is invalid (a failed CREATE INDEX CONCURRENTLY): drop and recreate it",
                index.name,
                qualified(&index.schema, &index.table)
            ),
        )
    });
    let fks = catalog
        .foreign_keys
        .iter()
        .filter(|f| !f.validated)
        .map(|fk| {
            fail(
                "foreign keys",
                format!(
                    "{} on {} is NOT VALID: run ALTER TABLE ... VALIDATE CONSTRAINT",
                    fk.name,
                    qualified(&fk.schema, &fk.table)
                ),
            )
        });
    indexes.chain(fks).collect()
}

/// Health and finance tables without row-level security both enabled and forced.
fn unprotected_tables(catalog: &Catalog) -> Vec<Failure> {
    catalog
        .tables
        .iter()
        .filter(|t| t.schema == "health" || t.schema == "finance")
        .filter(|t| !t.row_security || !t.force_row_security)
        .map(|table| {
            fail(
                "row-level security",
                format!(
                    "{} lacks ENABLE and FORCE ROW LEVEL SECURITY",
                    qualified(&table.schema, &table.name)
                ),
            )
        })
        .collect()
}

/// How long one orphan count may run: it reads the whole child table, so on a very large one
/// it is reported as not finished rather than holding the deploy.
pub const ORPHAN_TIMEOUT: &str = "60s";

async fn orphans(db: &DatabaseConnection, catalog: &Catalog) -> anyhow::Result<Vec<Failure>> {
    let mut failures = Vec::new();
    let exists = |table: &str| {
        catalog
            .tables
            .iter()
            .any(|t| t.schema == "public" && t.name == table)
    };
    for (child, column, parent) in ORPHAN_CHECKS {
        // A missing table is reported by the `tables` check already.
        if !exists(child) || !exists(parent) {
            continue;
        }
        // The count stops at 1000: on a large table the number matters less than the fact.
        let sql = format!(
            r#"SELECT count(*) FROM (SELECT 1 FROM "{child}" c WHERE c."{column}" IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM "{parent}" p WHERE p."id" = c."{column}") LIMIT 1000) o"#
        );
        let txn = db.begin().await.context("begin a read-only transaction")?;
        txn.execute_unprepared("SET TRANSACTION READ ONLY").await?;
        txn.execute_unprepared(&format!("SET LOCAL statement_timeout = '{ORPHAN_TIMEOUT}'"))
            .await?;
        let counted = txn
            .query_one_raw(Statement::from_string(db.get_database_backend(), &sql))
            .await;
        txn.rollback().await.context("roll back")?;
        let found = match counted {
            Ok(row) => row
                .map(|r| r.try_get_by_index::<i64>(0))
                .transpose()?
                .unwrap_or(0),
            Err(err) if err.to_string().contains("statement timeout") => {
                failures.push(fail(
                    "orphans",
                    format!(
                        "counting orphans of {child}.{column} took over {ORPHAN_TIMEOUT}: \
                         run the query by hand at a quiet time"
                    ),
                ));
                continue;
            }
            Err(err) => {
                return Err(err).with_context(|| format!("count orphans of {child}.{column}"));
            }
        };
        if found > 0 {
            failures.push(fail(
                "orphans",
                format!("{found} row(s) of {child} whose {column} has no {parent} row"),
            ));
        }
    }
    Ok(failures)
}

async fn pgvector(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Failure>> {
    let version = rows(
        db,
        "SELECT extversion::text FROM pg_extension WHERE extname = 'vector'",
    )
    .await
    .context("read the pgvector version")?
    .first()
    .map(|r| r.try_get_by_index::<String>(0))
    .transpose()?;
    let Some(version) = version else {
        return Ok(vec![fail(
            "pgvector",
            "the vector extension is not installed".into(),
        )]);
    };
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if (major, minor) < MIN_PGVECTOR {
        return Ok(vec![fail(
            "pgvector",
            format!(
                "version {version} is older than {}.{} (HNSW indexes)",
                MIN_PGVECTOR.0, MIN_PGVECTOR.1
            ),
        )]);
    }
    Ok(Vec::new())
}

/// Above this many rows in a critical query's table, verify checks the plan the planner
/// really picks; below it, the planner rightly prefers sequential scans, and verify only checks
/// that an index path exists.
pub const REAL_PLAN_ROWS: f64 = 10_000.0;

/// A Sort over at most this many estimated rows is bounded (a user's few conversations or
/// chunks); over more, the query reads and sorts what an index should have kept in order.
pub const BOUNDED_SORT_ROWS: f64 = 1_000.0;

/// How verify checked a critical query's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanMode {
    /// With `enable_seqscan = off`: an index path exists (small or empty tables).
    IndexPath,
    /// With the planner's normal settings: the plan a large table really gets uses the named
    /// indexes and sorts no unbounded row set.
    RealPlan,
}

impl fmt::Display for PlanMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PlanMode::IndexPath => "index path, enable_seqscan off",
            PlanMode::RealPlan => "real plan",
        })
    }
}

/// The mode for `query`: [`PlanMode::RealPlan`] when its table has more than
/// [`REAL_PLAN_ROWS`] rows by the statistics (the planner's own estimate, free to read).
pub async fn plan_mode(db: &DatabaseConnection, query: &CriticalQuery) -> anyhow::Result<PlanMode> {
    let rows = estimated_rows(db, &format!("c.oid = to_regclass('{}')", query.table)).await?;
    Ok(match rows {
        Some(rows) if rows > REAL_PLAN_ROWS => PlanMode::RealPlan,
        _ => PlanMode::IndexPath,
    })
}

/// The estimated rows of the table `condition` picks out of `pg_class c`, if there is one:
/// the larger of the last ANALYZE's count and the live rows counted since.
async fn estimated_rows(db: &DatabaseConnection, condition: &str) -> anyhow::Result<Option<f64>> {
    let sql = format!(
        "SELECT GREATEST(c.reltuples::float8, coalesce(s.n_live_tup, 0)::float8)
           FROM pg_class c LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
          WHERE {condition}"
    );
    let rows = rows(db, &sql).await.context("read a table's size")?;
    Ok(rows
        .first()
        .map(|r| r.try_get_by_index::<f64>(0))
        .transpose()?)
}

/// The named indexes `query`'s plan must use in `mode`. In [`PlanMode::RealPlan`] an index of
/// a table of at most [`REAL_PLAN_ROWS`] rows is left out: on a few pages the planner rightly
/// reads the table instead (a load with a handful of users has a handful of chat sessions).
async fn required_indexes(
    db: &DatabaseConnection,
    query: &CriticalQuery,
    mode: PlanMode,
) -> anyhow::Result<Vec<&'static str>> {
    let mut required = Vec::new();
    for entry in query.indexes {
        let mut small = true;
        for index in entry.split(" | ") {
            let table = format!(
                "c.oid = (SELECT i.indrelid FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
                           WHERE x.relname = '{index}')"
            );
            small &= estimated_rows(db, &table)
                .await?
                .is_some_and(|rows| rows <= REAL_PLAN_ROWS);
        }
        if mode == PlanMode::IndexPath || !small {
            required.push(*entry);
        }
    }
    Ok(required)
}

/// Whether `plan` uses the index `entry` names, or one of them (`a | b`).
fn uses(plan: &str, entry: &str) -> bool {
    entry.split(" | ").any(|index| plan.contains(index))
}

/// `EXPLAIN`s `sql` inside a read-only transaction that is rolled back; in
/// [`PlanMode::IndexPath`] with sequential scans disabled, which checks that an index path
/// *exists*, not which plan a large production table would get.
pub async fn explain(db: &DatabaseConnection, sql: &str, mode: PlanMode) -> anyhow::Result<String> {
    let txn = db.begin().await.context("begin a read-only transaction")?;
    txn.execute_unprepared("SET TRANSACTION READ ONLY").await?;
    if mode == PlanMode::IndexPath {
        txn.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await?;
    }
    let plan = rows(&txn, &format!("EXPLAIN {sql}")).await.map(|rows| {
        rows.iter()
            .filter_map(|r| r.try_get_by_index::<String>(0).ok())
            .collect::<Vec<_>>()
            .join("\n")
    });
    txn.rollback().await.context("roll back")?;
    plan
}

async fn index_path(
    db: &DatabaseConnection,
    query: &CriticalQuery,
) -> anyhow::Result<Vec<Failure>> {
    let mode = plan_mode(db, query).await?;
    let check = format!("query {} ({mode})", query.name);
    let plan = match explain(db, &query.sample_sql(), mode).await {
        Ok(plan) => plan,
        Err(err) => {
            return Ok(vec![fail(
                &check,
                format!("EXPLAIN failed: {}", err.root_cause()),
            )]);
        }
    };
    let mut failures = Vec::new();
    if mode == PlanMode::IndexPath
        && let Some(line) = plan.lines().find(|l| l.contains("Seq Scan"))
    {
        failures.push(fail(
            &check,
            format!(
                "sequential scan even with enable_seqscan off: {}",
                line.trim()
            ),
        ));
    }
    for index in required_indexes(db, query, mode).await? {
        if !uses(&plan, index) {
            failures.push(fail(&check, format!("plan does not use {index}")));
        }
    }
    if mode == PlanMode::RealPlan {
        failures.extend(
            unbounded_sorts(&plan)
                .into_iter()
                .map(|(rows, line)| fail(&check, format!("sorts ~{rows:.0} rows: {line}"))),
        );
    }
    Ok(failures)
}

/// The Sort nodes of a text `EXPLAIN` estimated over more than [`BOUNDED_SORT_ROWS`] rows,
/// with their lines. A Sort's row estimate is its input's (a Limit above it does not lower
/// it); an Incremental Sort sorts only groups its input already orders, so it is left alone.
pub fn unbounded_sorts(plan: &str) -> Vec<(f64, String)> {
    plan.lines()
        .filter_map(|line| {
            let node = line.trim().trim_start_matches("->").trim();
            let name = node.split("  (").next()?;
            if !(name == "Sort" || name.starts_with("Sort ")) {
                return None;
            }
            let rows: f64 = node
                .split(" rows=")
                .nth(1)?
                .split(' ')
                .next()?
                .parse()
                .ok()?;
            (rows > BOUNDED_SORT_ROWS).then(|| (rows, node.to_owned()))
        })
        .collect()
}

/// How each critical query's plan would be checked on `db`: for the summary line.
pub async fn plan_modes(db: &DatabaseConnection) -> anyhow::Result<Vec<(&'static str, PlanMode)>> {
    let mut modes = Vec::new();
    for query in critical_queries() {
        modes.push((query.name, plan_mode(db, &query).await?));
    }
    Ok(modes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sort_over_many_rows_is_unbounded_and_a_small_or_incremental_one_is_not() {
        let plan = "Limit  (cost=1.0..2.0 rows=50 width=8)
  ->  Sort  (cost=1.0..2.0 rows=10000 width=8)
        Sort Key: \"timestamp\", id
        ->  Bitmap Heap Scan on messages  (cost=1.0..2.0 rows=10000 width=8)
  ->  Sort  (cost=1.0..2.0 rows=40 width=8)
  ->  Incremental Sort  (cost=1.0..2.0 rows=90000 width=8)";
        let found = unbounded_sorts(plan);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 10_000.0);
        assert!(found[0].1.starts_with("Sort  (cost"));
    }
}
