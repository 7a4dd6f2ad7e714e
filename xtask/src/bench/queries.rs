//! Queries: p50/p95/p99 of the critical queries at load scale.
//!
//! The queries are `dbcheck::verify::critical_queries()`, the list verify checks for an index
//! path. Parameters vary from one run to the next (another user, another account), as they
//! would in production; the keyset page starts nine tenths into the long conversation, and
//! full-text search looks for a word about a third of the messages hold.

use std::time::{Duration, Instant};

use anyhow::Context;
use dbcheck::verify::{CriticalQuery, Param, critical_queries};
use sea_orm::sqlx::{self, PgConnection};

use super::{Bench, Figure, ms, percentile};

/// Values the parameters are drawn from.
pub(super) struct Ctx {
    scale: u64,
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
        seed::load::user_id((i * 7919) % self.scale).to_string()
    }
}

impl Ctx {
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

/// Measures every critical query.
pub async fn run(bench: &Bench, url: &str) -> anyhow::Result<Vec<Figure>> {
    let db = dbconn::connect(url).await?;
    let pool = db.get_postgres_connection_pool();
    let mut conn = pool.acquire().await?;
    sqlx::query("ANALYZE").execute(&mut *conn).await?;
    let ctx = context(&mut conn, bench.scale).await?;
    let mut figures = Vec::new();
    for q in critical_queries() {
        let samples = time(&mut conn, &q, &ctx, runs(bench)).await?;
        let p95 = percentile(&samples, 95);
        figures.push(
            Figure::new(format!("query: {}", q.purpose), spread(&samples))
                .target("p95 < 5 ms", p95 < Duration::from_millis(5)),
        );
    }
    drop(conn);
    db.close().await.ok();
    Ok(figures)
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

pub(super) async fn context(conn: &mut PgConnection, scale: u64) -> anyhow::Result<Ctx> {
    let long = seed::load::long_conversation_id().to_string();
    // Nine tenths of the way into the long conversation.
    let deep = (seed::load::LONG_CONVERSATION_MESSAGES * 9 / 10) as i64;
    let deep_cursor: (String, String) = sqlx::query_as(
        r#"SELECT "timestamp"::text, id::text FROM messages WHERE "conversationId" = $1::uuid
           ORDER BY "timestamp", id OFFSET $2 LIMIT 1"#,
    )
    .bind(&long)
    .bind(deep)
    .fetch_one(&mut *conn)
    .await
    .context("find the deep cursor")?;
    let accounts: Vec<(String, String)> = sqlx::query_as(
        r#"SELECT id::text, "userId"::text FROM finance.financial_accounts LIMIT 1000"#,
    )
    .fetch_all(&mut *conn)
    .await?;
    let embedding: String = sqlx::query_scalar("SELECT embedding::text FROM rag_chunks LIMIT 1")
        .fetch_one(&mut *conn)
        .await
        .context("read an embedding")?;
    Ok(Ctx {
        scale,
        long_conversation: long,
        deep_cursor,
        accounts,
        embedding,
        words: seed::load::COMMON_WORD.to_owned(),
    })
}
