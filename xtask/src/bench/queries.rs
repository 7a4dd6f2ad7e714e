//! Queries: p50/p95/p99 of the critical queries at load scale.
//!
//! The list mirrors `dbcheck::verify::critical_queries()` (issue 6), which is not on main yet;
//! the two are to be unified when both are merged. Parameters vary from one run to the next
//! (another user, another account), as they would in production.

use std::time::{Duration, Instant};

use anyhow::Context;
use sea_orm::sqlx::{self, PgConnection};

use super::{Bench, Figure, ms, percentile};

/// A critical query and how to pick its parameters (text, cast in the SQL) for run `i`.
struct Query {
    name: &'static str,
    sql: &'static str,
    params: fn(&Ctx, u64) -> Vec<String>,
}

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

const QUERIES: &[Query] = &[
    Query {
        name: "conversations of a user, latest first",
        sql: r#"SELECT c.id, c.title, c."messageCount", c."updatedAt" FROM conversations c
                JOIN chat_sessions s ON s.id = c."chatSessionId"
                WHERE s."userId" = $1::uuid ORDER BY c."updatedAt" DESC LIMIT 20"#,
        params: |c, i| vec![c.user(i)],
    },
    Query {
        name: "messages of a long conversation, keyset page deep in it",
        sql: r#"SELECT id, role, content, "timestamp" FROM messages
                WHERE "conversationId" = $1::uuid AND ("timestamp", id) > ($2::timestamp, $3::uuid)
                ORDER BY "timestamp", id LIMIT 50"#,
        params: |c, _| {
            vec![
                c.long_conversation.clone(),
                c.deep_cursor.0.clone(),
                c.deep_cursor.1.clone(),
            ]
        },
    },
    Query {
        name: "usage logs of a user, latest first",
        sql: r#"SELECT id, "totalTokens", "totalCost", "timestamp" FROM usage_logs
                WHERE "userId" = $1::uuid ORDER BY "timestamp" DESC LIMIT 50"#,
        params: |c, i| vec![c.user(i)],
    },
    Query {
        name: "monthly usage of a user",
        sql: r#"SELECT "totalMessages", "totalTokens", "totalCost" FROM monthly_usage
                WHERE "userId" = $1::uuid AND year = 2025 AND month = 10"#,
        params: |c, i| vec![c.user(i)],
    },
    Query {
        name: "open tickets, newest first",
        sql: r#"SELECT id, subject, "createdAt" FROM support_tickets
                WHERE status = 'OPEN' ORDER BY "createdAt" DESC LIMIT 50"#,
        params: |_, _| Vec::new(),
    },
    Query {
        name: "files of a user, newest first",
        sql: r#"SELECT id, name, size FROM storage_files
                WHERE "userId" = $1::uuid AND "deletedAt" IS NULL ORDER BY "createdAt" DESC LIMIT 50"#,
        params: |c, i| vec![c.user(i)],
    },
    Query {
        name: "transactions of an account, latest first",
        sql: r#"SELECT id, type, amount, "occurredAt" FROM finance.transactions
                WHERE "accountId" = $1::uuid ORDER BY "occurredAt" DESC LIMIT 50"#,
        params: |c, i| vec![c.accounts[(i as usize * 31) % c.accounts.len()].clone()],
    },
    Query {
        name: "nearest RAG chunks to an embedding",
        // The parameter arrives as text: a scalar subquery casts it once (an InitPlan); a
        // bare `$1::vector` in a generic plan is parsed again for every distance computed.
        sql: r#"SELECT id, "documentId" FROM rag_chunks
                ORDER BY embedding <=> (SELECT $1::vector) LIMIT 5"#,
        params: |c, _| vec![c.embedding.clone()],
    },
];

/// Measures every critical query, or those whose name contains `only`, with `note` appended
/// to their names.
pub async fn run(
    bench: &Bench,
    url: &str,
    only: Option<&str>,
    note: &str,
) -> anyhow::Result<Vec<Figure>> {
    let db = devdb::connect(url).await?;
    let pool = db.get_postgres_connection_pool();
    let mut conn = pool.acquire().await?;
    sqlx::query("ANALYZE").execute(&mut *conn).await?;
    let ctx = context(&mut conn, bench.scale).await?;
    let runs: u64 = if bench.quick { 20 } else { 300 };
    let mut figures = Vec::new();
    for q in QUERIES
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
                format!("query: {}{note}", q.name),
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

async fn execute(conn: &mut PgConnection, q: &Query, ctx: &Ctx, i: u64) -> anyhow::Result<()> {
    let mut query = sqlx::query(q.sql);
    for p in (q.params)(ctx, i) {
        query = query.bind(p);
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
