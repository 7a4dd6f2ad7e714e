//! The `load` profile: realistic, deterministic bulk data for benchmarks and load tests,
//! streamed through `COPY ... FROM STDIN` at the speed of the server.
//!
//! Scale N means N users; the default gives about a million messages and a million usage logs.
//! Tenants are not alike: a few large ones own most of the RAG chunks and tens of thousands of
//! messages each (`tenants.rs`), the rest a few or none.
//! Every table is generated user by user from random streams keyed by what they describe, so
//! memory stays flat whatever N, and two tables that must agree (conversations and messages,
//! usage logs and monthly usage, files and quotas) derive the same facts independently.
//!
//! Counters: the counter triggers are switched off for the load of the tables on both ends
//! (conversations and messages, quotas and files), inside each table's transaction, and the
//! loader writes the exact values they would have kept: with them on, a new conversation or
//! quota row would start from its recount, zero, before its messages or files exist. RAG
//! documents and chunks keep theirs, and the chunk trigger counts each COPY once per
//! statement. `updatedAt` triggers fire on UPDATE only, so COPY does not meet them.
//! The messages' search-vector trigger (phase 6) stays on through their COPY, so every loaded
//! message can be found by its words.
//!
//! Idempotence: a completed load ends with a marker row in `audit_logs`; a second run finds
//! it and writes nothing. A load that was interrupted leaves rows without the marker, and the
//! next run refuses with the command that clears them.

mod copy;
mod core;
mod data;
mod health_finance;
mod ids;
mod rag;
mod support_storage;
mod tenants;
mod usage;

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{MultiProgress, ProgressDrawTarget};
use sea_orm::sqlx::{self, PgPool};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use self::copy::{Rows, Table, load};
use self::data::Kind;

pub use self::copy::KEPT_TRIGGERS;
pub use self::copy::{build_bulk_indexes, drop_bulk_indexes, set_user_triggers};
pub use self::core::{
    COMMON_WORD, LONG_CONVERSATION_MESSAGES, RARE_EVERY, RARE_WORD, long_conversation_id,
};
pub use self::ids::user_id;
pub use self::rag::{CHUNKS as ORDINARY_CHUNKS, question};
pub use self::tenants::{LARGEST_TENANT, extra as tenant_extra};

/// The default scale: users, about 200 messages and 200 usage logs each.
pub const DEFAULT_SCALE: u64 = 5_000;

/// What a load wrote, table by table, and how long it took.
#[derive(Debug, Default)]
pub struct Report {
    pub tables: Vec<(String, u64)>,
    pub elapsed: Duration,
    /// Set when the database already held a completed load, so nothing was written.
    pub already_loaded: Option<u64>,
}

impl Report {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(scale) = self.already_loaded {
            return write!(
                f,
                "the load profile is already present (scale {scale}): nothing written"
            );
        }
        for (table, rows) in &self.tables {
            writeln!(f, "  {table:<30} {rows:>10} rows")?;
        }
        let secs = self.elapsed.as_secs_f64();
        write!(
            f,
            "  {} rows in {secs:.1} s, {:.0} rows/s",
            self.rows(),
            self.rows() as f64 / secs.max(1e-9)
        )
    }
}

/// Every table the load profile fills, in an order that respects foreign keys, and whether
/// its user triggers are off while it is copied.
pub const TABLES: &[(&str, bool)] = &[
    ("public.users", false),
    ("public.agents", false),
    ("public.chat_sessions", false),
    ("public.conversations", true),
    ("public.messages", true),
    ("public.usage_logs", false),
    ("public.monthly_usage", false),
    ("public.support_tickets", false),
    ("public.storage_quotas", true),
    ("public.storage_files", true),
    ("health.health_measurements", false),
    ("health.allergies", false),
    ("finance.financial_accounts", false),
    ("finance.transactions", false),
    ("public.rag_documents", false),
    ("public.rag_chunks", false),
];

const MARKER_ACTION: &str = "seed.load.complete";

/// Loads `scale` users' worth of data into a migrated database, with a progress bar per table
/// when `progress` is set.
pub async fn run(db: &DatabaseConnection, scale: u64, progress: bool) -> anyhow::Result<Report> {
    if scale == 0 {
        bail!("--scale must be at least 1");
    }
    // Its marker and its COPY both need every row: one hidden by row-level security would
    // load a second copy, and PostgreSQL refuses COPY into such a table for such a role.
    dbconn::visibility::require_every_row_visible(db, "the seed").await?;
    if let Some(loaded) = previous_load(db).await? {
        return Ok(Report {
            already_loaded: Some(loaded),
            ..Report::default()
        });
    }
    let phases = Phases {
        support_storage: crate::tables_exist(db, support_storage::TABLES).await?,
        health_finance: crate::tables_exist(db, health_finance::TABLES).await?,
        rag: crate::tables_exist(db, rag::TABLES).await?,
        message_owner: message_owner_exists(db).await?,
    };
    let bars = MultiProgress::with_draw_target(if progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let pool = db.get_postgres_connection_pool();
    let started = Instant::now();
    let tables = load_all(pool, &bars, scale, phases).await?;
    mark_complete(pool, scale).await?;
    Ok(Report {
        tables,
        elapsed: started.elapsed(),
        already_loaded: None,
    })
}

/// The scale of a completed earlier load, if the database holds one. Fails when the database
/// is not migrated, or holds rows of an interrupted load.
async fn previous_load(db: &DatabaseConnection) -> anyhow::Result<Option<u64>> {
    crate::ensure_migrated(db, crate::dev::TABLES).await?;
    if let Some(loaded) = completed_scale(db).await? {
        return Ok(Some(loaded));
    }
    if crate::tables_exist(db, &["users"]).await? && user_present(db).await? {
        bail!(
            "a previous load was interrupted (load users exist but not the completion marker): \
             run `cargo xtask reset` and load again"
        );
    }
    Ok(None)
}

/// Which later phases' tables exist, and so are loaded.
#[derive(Clone, Copy)]
struct Phases {
    support_storage: bool,
    health_finance: bool,
    rag: bool,
    /// Phase 8's `messages."userId"`, which the loader then writes.
    message_owner: bool,
}

/// Whether `messages` has phase 8's owner column.
async fn message_owner_exists(db: &DatabaseConnection) -> anyhow::Result<bool> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT EXISTS (SELECT 1 FROM pg_attribute
                             WHERE attrelid = 'public.messages'::regclass
                               AND attname = 'userId' AND NOT attisdropped)",
        ))
        .await
        .context("read the columns of messages")?
        .context("no answer")?;
    Ok(row.try_get_by_index(0)?)
}

/// `table`, generated once per user.
fn per_user(table: Table<'static>, scale: u64) -> Table<'static> {
    Table {
        units: scale,
        ..table
    }
}

/// Loads every table, users and agents first (everything else points at them), then two
/// lanes on two connections: conversations and messages, and everything else.
async fn load_all(
    pool: &PgPool,
    bars: &MultiProgress,
    scale: u64,
    phases: Phases,
) -> anyhow::Result<Vec<(String, u64)>> {
    let mut tables = Vec::new();
    tables.push(step(pool, bars, &per_user(core::USERS, scale), core::user).await?);
    let agents = |a: u64, rows: &mut Rows| core::agent(a, scale, rows);
    tables.push(step(pool, bars, &core::AGENT_TABLE, agents).await?);
    let (a, b) = tokio::try_join!(
        conversation_lane(pool, bars, scale, phases.message_owner),
        other_lane(pool, bars, scale, phases)
    )?;
    tables.extend(a);
    tables.extend(b);
    Ok(tables)
}

/// Chat sessions, conversations and their messages.
async fn conversation_lane(
    pool: &PgPool,
    bars: &MultiProgress,
    scale: u64,
    owner: bool,
) -> anyhow::Result<Vec<(String, u64)>> {
    let per_user = |t: Table<'static>| per_user(t, scale);
    let sessions = |u: u64, rows: &mut Rows| core::sessions(u, scale, rows);
    let conversations = |u: u64, rows: &mut Rows| core::conversation_rows(u, scale, rows);
    let messages = |u: u64, rows: &mut Rows| core::message_rows(u, scale, owner, rows);
    let message_table = if owner {
        core::MESSAGES_WITH_OWNER
    } else {
        core::MESSAGES
    };
    Ok(vec![
        step(pool, bars, &per_user(core::SESSIONS), sessions).await?,
        step(pool, bars, &per_user(core::CONVERSATIONS), conversations).await?,
        step(pool, bars, &per_user(message_table), messages).await?,
    ])
}

/// Usage, then each later phase whose tables exist.
async fn other_lane(
    pool: &PgPool,
    bars: &MultiProgress,
    scale: u64,
    phases: Phases,
) -> anyhow::Result<Vec<(String, u64)>> {
    let per_user = |t: Table<'static>| per_user(t, scale);
    let mut done = vec![
        step(pool, bars, &per_user(usage::LOGS), usage::log_rows).await?,
        step(pool, bars, &per_user(usage::MONTHLY), usage::monthly_rows).await?,
    ];
    if phases.support_storage {
        use support_storage as s;
        done.push(step(pool, bars, &per_user(s::TICKETS), s::ticket_rows).await?);
        done.push(step(pool, bars, &per_user(s::QUOTAS), s::quota_rows).await?);
        done.push(step(pool, bars, &per_user(s::FILES), s::file_rows).await?);
    }
    if phases.health_finance {
        use health_finance as h;
        let m = per_user(h::MEASUREMENT_TABLE);
        done.push(step(pool, bars, &m, h::measurement_rows).await?);
        let ring = crate::keys::dev_keyring()?;
        let a = per_user(h::ALLERGY_TABLE);
        done.push(step(pool, bars, &a, h::allergy_rows(&ring)).await?);
        done.push(step(pool, bars, &per_user(h::ACCOUNTS), h::account_rows).await?);
        let t = per_user(h::TRANSACTIONS);
        done.push(step(pool, bars, &t, h::transaction_rows).await?);
    }
    if phases.rag {
        let documents = |u: u64, rows: &mut Rows| rag::document_rows(u, scale, rows);
        let chunks = |unit: u64, rows: &mut Rows| rag::chunk_rows(unit, scale, rows);
        done.push(step(pool, bars, &per_user(rag::DOCUMENTS), documents).await?);
        done.push(step(pool, bars, &rag::chunk_table(scale), chunks).await?);
    }
    Ok(done)
}

async fn step(
    pool: &PgPool,
    bars: &MultiProgress,
    table: &Table<'_>,
    generate: impl FnMut(u64, &mut Rows),
) -> anyhow::Result<(String, u64)> {
    let rows = load(pool, bars, table, generate)
        .await
        .with_context(|| format!("load {}", table.name))?;
    Ok((table.name.to_string(), rows))
}

/// The scale of a completed load, from its marker row.
async fn completed_scale(db: &DatabaseConnection) -> anyhow::Result<Option<u64>> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            r#"SELECT ("details"->>'scale')::bigint AS scale FROM public.audit_logs
               WHERE "id" = $1 AND "action" = $2"#,
            [marker_id().into(), MARKER_ACTION.into()],
        ))
        .await
        .context("look for a completed load")?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "scale"))
        .transpose()?
        .map(|s| s as u64))
}

async fn user_present(db: &DatabaseConnection) -> anyhow::Result<bool> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            r#"SELECT 1 AS one FROM public.users WHERE "id" = $1"#,
            [user_id(0).into()],
        ))
        .await
        .context("look for load users")?;
    Ok(row.is_some())
}

fn marker_id() -> uuid::Uuid {
    data::id(Kind::Marker, 0, 0, 0)
}

async fn mark_complete(pool: &PgPool, scale: u64) -> anyhow::Result<()> {
    sqlx::query(
        r#"INSERT INTO public.audit_logs ("id", "adminId", "action", "details", "timestamp")
           VALUES ($1, $2, $3, jsonb_build_object('scale', $4::bigint), $5)"#,
    )
    .bind(marker_id())
    .bind(user_id(0))
    .bind(MARKER_ACTION)
    .bind(scale as i64)
    .bind(data::epoch())
    .execute(pool)
    .await
    .context("record the completed load")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_list_names_every_loaded_table_with_its_trigger_setting() {
        let loaded = [
            core::USERS,
            core::AGENT_TABLE,
            core::SESSIONS,
            core::CONVERSATIONS,
            core::MESSAGES,
            usage::LOGS,
            usage::MONTHLY,
            support_storage::TICKETS,
            support_storage::QUOTAS,
            support_storage::FILES,
            health_finance::MEASUREMENT_TABLE,
            health_finance::ALLERGY_TABLE,
            health_finance::ACCOUNTS,
            health_finance::TRANSACTIONS,
            rag::DOCUMENTS,
            rag::CHUNK_TABLE,
        ];
        let listed: Vec<(&str, bool)> = loaded
            .iter()
            .map(|t| (t.name, t.without_triggers))
            .collect();
        assert_eq!(listed, TABLES);
    }

    #[test]
    fn default_scale_gives_about_a_million_messages_and_usage_logs() {
        let messages: u64 = (0..DEFAULT_SCALE)
            .flat_map(|u| core::conversations(u, DEFAULT_SCALE))
            .map(|c| c.messages)
            .sum();
        let logs: u64 = (0..DEFAULT_SCALE)
            .step_by(10)
            .map(|u| usage::logs(u).len() as u64)
            .sum();
        let logs = logs * 10;
        eprintln!("{messages} messages and about {logs} usage logs");
        assert!((800_000..1_200_000).contains(&messages), "{messages}");
        assert!((800_000..1_200_000).contains(&logs), "{logs}");
    }
}
