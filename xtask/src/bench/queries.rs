//! Queries: p50/p95/p99 of the critical queries at load scale.
//!
//! The queries are `dbcheck::verify::critical_queries()`, the list verify checks for an index
//! path. Parameters vary from one run to the next (another user, another account), as they
//! would in production; the keyset page starts nine tenths into the long conversation.

use std::time::{Duration, Instant};

use anyhow::Context;
use dbcheck::verify::{CriticalQuery, Param, critical_queries};
use sea_orm::sqlx::{self, PgConnection};

use super::{Bench, Figure, ms, percentile};

/// Values the parameters are drawn from.
struct Ctx {
    scale: u64,
    long_conversation: String,
    /// (timestamp, id) of the row the deep page starts after.
    deep_cursor: (String, String),
    accounts: Vec<String>,
    embedding: String,
}

impl Ctx {
    fn user(&self, i: u64) -> String {
        seed::load::user_id((i * 7919) % self.scale).to_string()
    }
}

impl Ctx {
    /// The value of `param` for run `i`, as text (the query casts it).
    fn value(&self, param: Param, i: u64) -> String {
        match param {
            Param::User => self.user(i),
            Param::Conversation => self.long_conversation.clone(),
            Param::CursorTimestamp => self.deep_cursor.0.clone(),
            Param::CursorId => self.deep_cursor.1.clone(),
            Param::Account => self.accounts[(i as usize * 31) % self.accounts.len()].clone(),
            Param::Embedding => self.embedding.clone(),
        }
    }
}

/// Measures every critical query, or those whose name contains `only`, with `note` appended
/// to their names.
pub async fn run(
    bench: &Bench,
    url: &str,
    only: Option<&str>,
    note: &str,
) -> anyhow::Result<Vec<Figure>> {
    let db = dbconn::connect(url).await?;
    let pool = db.get_postgres_connection_pool();
    let mut conn = pool.acquire().await?;
    sqlx::query("ANALYZE").execute(&mut *conn).await?;
    let ctx = context(&mut conn, bench.scale).await?;
    let runs: u64 = if bench.quick { 20 } else { 300 };
    let mut figures = Vec::new();
    for q in critical_queries()
        .iter()
        .filter(|q| only.is_none_or(|o| q.name.contains(o)))
    {
        // Warm the plan cache and the buffers, as a running service has them.
        for i in 0..5 {
            execute(&mut conn, q, &ctx, i).await?;
        }
        let mut samples = Vec::with_capacity(runs as usize);
        for i in 0..runs {
            let started = Instant::now();
            execute(&mut conn, q, &ctx, i).await?;
            samples.push(started.elapsed());
        }
        samples.sort();
        let p95 = percentile(&samples, 95);
        figures.push(
            Figure::new(
                format!("query: {}{note}", q.purpose),
                format!(
                    "p50 {} / p95 {} / p99 {}",
                    ms(percentile(&samples, 50)),
                    ms(p95),
                    ms(percentile(&samples, 99))
                ),
            )
            .target("p95 < 5 ms", p95 < Duration::from_millis(5)),
        );
    }
    drop(conn);
    db.close().await.ok();
    Ok(figures)
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

async fn context(conn: &mut PgConnection, scale: u64) -> anyhow::Result<Ctx> {
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
    let accounts: Vec<String> =
        sqlx::query_scalar("SELECT id::text FROM finance.financial_accounts LIMIT 1000")
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
    })
}
