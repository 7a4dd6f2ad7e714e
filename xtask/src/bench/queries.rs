//! Queries: p50/p95/p99 of the critical queries at load scale, for a typical user and, for
//! each query of one user's rows, again for the largest tenant.
//!
//! The queries are `dbcheck::verify::critical_queries()`, the list verify checks for an index
//! path. For a typical user, parameters vary from one run to the next (another user, another
//! account), as they would in production, and the keyset page starts nine tenths into the
//! long conversation; for the largest tenant every run asks for its rows, and the page starts
//! nine tenths into its longest conversation. Full-text search looks for a word about a third
//! of the messages hold.

use std::time::{Duration, Instant};

use anyhow::Context;
use dbcheck::verify::{CriticalQuery, Param, critical_queries};
use sea_orm::sqlx::{self, PgConnection};

use super::{Bench, Figure, ms, percentile};

/// Whose rows the runs ask for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Tenant {
    /// A different user at each run, drawn from all of them.
    Typical,
    /// The load profile's largest tenant at every run.
    Largest,
}

impl Tenant {
    /// How a figure's name says whose rows it measured.
    pub(super) fn label(self) -> &'static str {
        match self {
            Tenant::Typical => "",
            Tenant::Largest => ", largest tenant",
        }
    }
}

/// Values the parameters are drawn from.
pub(super) struct Ctx {
    scale: u64,
    pub(super) tenant: Tenant,
    long_conversation: String,
    /// (timestamp, id) of the row the deep page starts after.
    deep_cursor: (String, String),
    /// (id, owner) of financial accounts; the owner is who may read it under row-level security.
    accounts: Vec<(String, String)>,
    embedding: String,
    /// The words full-text search looks for.
    pub(super) words: String,
}

impl Ctx {
    pub(super) fn user(&self, i: u64) -> String {
        let user = match self.tenant {
            Tenant::Typical => (i * 7919) % self.scale,
            Tenant::Largest => seed::load::LARGEST_TENANT,
        };
        seed::load::user_id(user).to_string()
    }
}

impl Ctx {
    /// The conversation the keyset page reads.
    pub(super) fn long_conversation(&self) -> &str {
        &self.long_conversation
    }

    /// The account of run `i`, with its owner.
    pub(super) fn account(&self, i: u64) -> &(String, String) {
        &self.accounts[(i as usize * 31) % self.accounts.len()]
    }

    /// The value of `param` for run `i`, as text (the query casts it).
    pub(super) fn value(&self, param: Param, i: u64) -> String {
        match param {
            Param::User => self.user(i),
            Param::Conversation => self.long_conversation.clone(),
            Param::CursorTimestamp => self.deep_cursor.0.clone(),
            Param::CursorId => self.deep_cursor.1.clone(),
            Param::Account => self.account(i).0.clone(),
            Param::Embedding => self.embedding.clone(),
            Param::SearchWords => self.words.clone(),
        }
    }
}

/// Measures every critical query for a typical user, and each query of one user's rows
/// again for the largest tenant.
pub async fn run(bench: &Bench, url: &str) -> anyhow::Result<Vec<Figure>> {
    let db = dbconn::connect(url).await?;
    let pool = db.get_postgres_connection_pool();
    let mut conn = pool.acquire().await?;
    sqlx::query("ANALYZE").execute(&mut *conn).await?;
    let typical = context(&mut conn, bench.scale, Tenant::Typical).await?;
    let largest = context(&mut conn, bench.scale, Tenant::Largest).await?;
    let mut figures = Vec::new();
    for q in critical_queries() {
        let samples = time(&mut conn, &q, &typical, runs(bench)).await?;
        let p95 = percentile(&samples, 95);
        figures.push(
            Figure::new(format!("query: {}", q.purpose), spread(&samples))
                .target("p95 < 5 ms", p95 < Duration::from_millis(5)),
        );
        if !per_user(&q) {
            continue;
        }
        let big = time(&mut conn, &q, &largest, runs(bench)).await?;
        let big_p95 = percentile(&big, 95);
        let target = largest_target(&q);
        figures.push(
            Figure::new(
                format!("query, largest tenant: {}", q.purpose),
                spread(&big),
            )
            .target(
                &format!("p95 < {} ms", target.as_millis()),
                big_p95 < target,
            )
            .plot(q.purpose, p95, big_p95, target),
        );
    }
    drop(conn);
    db.close().await.ok();
    Ok(figures)
}

/// Whether `q` reads one user's rows (the support queue is everybody's).
pub(super) fn per_user(q: &CriticalQuery) -> bool {
    !q.params.is_empty()
}

/// The largest tenant's target: a search ranks or compares many of its rows and may take
/// 20 ms; the keyset page reads one page whatever the conversation's length.
pub(super) fn largest_target(q: &CriticalQuery) -> Duration {
    match q.name {
        "messages_of_user_by_words" | "nearest_chunks_of_user" => Duration::from_millis(20),
        "messages_of_conversation_by_time" => Duration::from_millis(1),
        _ => Duration::from_millis(5),
    }
}

/// How many timed runs each query gets.
pub(super) fn runs(bench: &Bench) -> u64 {
    if bench.quick { 20 } else { 300 }
}

/// The sorted latencies of `runs` runs of `q`, after five to warm the plan cache and the
/// buffers, as a running service has them.
pub(super) async fn time(
    conn: &mut PgConnection,
    q: &CriticalQuery,
    ctx: &Ctx,
    runs: u64,
) -> anyhow::Result<Vec<Duration>> {
    for i in 0..5 {
        execute(conn, q, ctx, i).await?;
    }
    let mut samples = Vec::with_capacity(runs as usize);
    for i in 0..runs {
        let started = Instant::now();
        execute(conn, q, ctx, i).await?;
        samples.push(started.elapsed());
    }
    samples.sort();
    Ok(samples)
}

/// p50 / p95 / p99 of sorted samples.
pub(super) fn spread(samples: &[Duration]) -> String {
    format!(
        "p50 {} / p95 {} / p99 {}",
        ms(percentile(samples, 50)),
        ms(percentile(samples, 95)),
        ms(percentile(samples, 99))
    )
}

async fn execute(
    conn: &mut PgConnection,
    q: &CriticalQuery,
    ctx: &Ctx,
    i: u64,
) -> anyhow::Result<()> {
    let mut query = sqlx::query(q.template);
    for &param in q.params {
        query = query.bind(ctx.value(param, i));
    }
    query
        .fetch_all(&mut *conn)
        .await
        .with_context(|| format!("query `{}`", q.name))?;
    Ok(())
}

pub(super) async fn context(
    conn: &mut PgConnection,
    scale: u64,
    tenant: Tenant,
) -> anyhow::Result<Ctx> {
    let long = match tenant {
        Tenant::Typical => seed::load::long_conversation_id().to_string(),
        Tenant::Largest => longest_conversation(conn).await?,
    };
    let deep_cursor: (String, String) = sqlx::query_as(
        r#"SELECT "timestamp"::text, id::text FROM messages WHERE "conversationId" = $1::uuid
           ORDER BY "timestamp", id
           OFFSET (SELECT count(*) * 9 / 10 FROM messages WHERE "conversationId" = $1::uuid)
           LIMIT 1"#,
    )
    .bind(&long)
    .fetch_one(&mut *conn)
    .await
    .context("find the deep cursor")?;
    let owner = (tenant == Tenant::Largest)
        .then(|| seed::load::user_id(seed::load::LARGEST_TENANT).to_string());
    let accounts: Vec<(String, String)> = sqlx::query_as(
        r#"SELECT id::text, "userId"::text FROM finance.financial_accounts
           WHERE $1::uuid IS NULL OR "userId" = $1::uuid LIMIT 1000"#,
    )
    .bind(owner)
    .fetch_all(&mut *conn)
    .await?;
    anyhow::ensure!(!accounts.is_empty(), "the load has no financial accounts");
    let embedding: String = sqlx::query_scalar("SELECT embedding::text FROM rag_chunks LIMIT 1")
        .fetch_one(&mut *conn)
        .await
        .context("read an embedding")?;
    Ok(Ctx {
        scale,
        tenant,
        long_conversation: long,
        deep_cursor,
        accounts,
        embedding,
        words: seed::load::COMMON_WORD.to_owned(),
    })
}

/// The largest tenant's longest conversation.
async fn longest_conversation(conn: &mut PgConnection) -> anyhow::Result<String> {
    sqlx::query_scalar(
        r#"SELECT c.id::text FROM conversations c
           JOIN chat_sessions s ON s.id = c."chatSessionId"
           WHERE s."userId" = $1::uuid ORDER BY c."messageCount" DESC, c.id LIMIT 1"#,
    )
    .bind(seed::load::user_id(seed::load::LARGEST_TENANT).to_string())
    .fetch_one(&mut *conn)
    .await
    .context("find the largest tenant's longest conversation")
}
