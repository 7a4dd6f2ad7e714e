//! Post-deploy verification, read-only and safe on production: the owned schemas, tables,
//! indexes and foreign keys are all there (by name), no index is invalid, no foreign key is
//! left unvalidated, no orphan rows where the seed document looks for them, pgvector is
//! recent enough, row-level security guards health and finance, and every critical query
//! has an accepted index and a bounded plan, which reaches its large tables through an
//! accepted index (`plans.rs`).

mod plans;
mod queries;

use std::collections::BTreeSet;
use std::fmt;

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};

pub use plans::{BOUNDED_SCAN_ROWS, BOUNDED_SORT_ROWS, Node, explain, nodes};
pub use queries::{Accepted, CriticalQuery, Param, critical_queries};

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
    let large = plans::on_large_tables(db, &catalog).await?;
    eprintln!(
        "verify: every check passed on {origin}: {} tables, {} indexes, {} foreign keys, {} \
         critical queries with bounded plans (no scan over {BOUNDED_SCAN_ROWS} estimated rows, \
         no sort over {BOUNDED_SORT_ROWS}; {large} reach a table over {BOUNDED_SCAN_ROWS} rows \
         through an accepted index)",
        catalog.tables.len(),
        catalog.indexes.len(),
        catalog.foreign_keys.len(),
        critical_queries().len(),
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
    failures.extend(plans::check(db, &catalog).await?);
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

/// Tables that hold users' rows without the isolation phase 7 gives every such table:
/// row-level security enabled and forced, and a permissive policy for `app_user`. A table
/// holds users' rows when it is `users`, has a NOT NULL `"userId"` (a nullable one names an
/// actor, not the owner), or has a foreign key to such a table other than `users` (a plain
/// reference to a user names a role, not the owner); the health and finance schemas hold
/// nothing else.
fn unprotected_tables(catalog: &Catalog) -> Vec<Failure> {
    user_tables(catalog)
        .into_iter()
        .filter_map(|(schema, name)| {
            let table = catalog
                .tables
                .iter()
                .find(|t| t.schema == schema && t.name == name)?;
            let policy = catalog.policies.iter().any(|p| {
                p.schema == schema
                    && p.table == name
                    && p.permissive
                    && p.roles.iter().any(|r| r == "app_user")
            });
            let mut lacks = Vec::new();
            if !table.row_security || !table.force_row_security {
                lacks.push("ENABLE and FORCE ROW LEVEL SECURITY");
            }
            if !policy {
                lacks.push("a policy for app_user");
            }
            (!lacks.is_empty()).then(|| {
                fail(
                    "row-level security",
                    format!(
                        "{} holds users' rows but lacks {}: add a migration that gives it what \
                         phase 7 gives every such table (m20261201_000602_isolate_user_tables: \
                         forced row-level security, the owner policy, the grants)",
                        qualified(&schema, &name),
                        lacks.join(" and ")
                    ),
                )
            })
        })
        .collect()
}

/// The tables holding users' rows (see [`unprotected_tables`]), as (schema, table).
fn user_tables(catalog: &Catalog) -> Vec<(String, String)> {
    let mut owned: Vec<(String, String)> = catalog
        .tables
        .iter()
        .filter(|t| {
            (t.schema == "public" && t.name == "users")
                || t.schema == "health"
                || t.schema == "finance"
                || catalog.columns.iter().any(|c| {
                    c.schema == t.schema && c.table == t.name && c.name == "userId" && c.not_null
                })
        })
        .map(|t| (t.schema.clone(), t.name.clone()))
        .collect();
    // Children of owned tables, through foreign keys other than to `users`, to a fixed point.
    loop {
        let before = owned.len();
        for fk in &catalog.foreign_keys {
            let parent = (fk.ref_schema.clone(), fk.ref_table.clone());
            let child = (fk.schema.clone(), fk.table.clone());
            let to_users = parent.0 == "public" && parent.1 == "users";
            if !to_users && owned.contains(&parent) && !owned.contains(&child) {
                owned.push(child);
            }
        }
        if owned.len() == before {
            return owned;
        }
    }
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
