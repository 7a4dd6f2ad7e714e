//! Search: full-text search of a user's messages for a common and a rare word, and RAG
//! retrieval of a user's nearest chunks with its recall@10 against exact search, beside the
//! same retrieval through the HNSW index with pgvector's iterative scan.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::Context;
use dbcheck::verify::{CriticalQuery, critical_queries};
use sea_orm::sqlx::{self, Acquire, PgConnection};

use super::queries::{self, Ctx};
use super::{Bench, Figure, percentile};

/// A user's chunks, exactly: the distance is wrapped (`+ 0`) so that no index can order it,
/// and every chunk of the user's documents is compared.
const EXACT: &str = r#"SELECT c."id"::text FROM rag_chunks c
    JOIN rag_documents d ON d."id" = c."documentId"
    WHERE d."userId" = $1::uuid
    ORDER BY (c."embedding" <=> $2::vector) + 0 LIMIT 10"#;

/// How many (user, embedding) pairs recall is averaged over.
const RECALL_SAMPLES: usize = 50;

pub async fn run(bench: &Bench, url: &str) -> anyhow::Result<Vec<Figure>> {
    let db = dbconn::connect(url).await?;
    let mut conn = db.get_postgres_connection_pool().acquire().await?;
    let mut ctx = queries::context(&mut conn, bench.scale).await?;
    let mut figures = Vec::new();
    for (label, word) in [
        ("a common word", seed::load::COMMON_WORD),
        ("a rare word", seed::load::RARE_WORD),
    ] {
        ctx.words = word.to_owned();
        figures.push(full_text(&mut conn, &ctx, bench, label).await?);
    }
    figures.extend(rag(&mut conn, bench).await?);
    drop(conn);
    db.close().await.ok();
    Ok(figures)
}

fn query(name: &str) -> anyhow::Result<CriticalQuery> {
    critical_queries()
        .into_iter()
        .find(|q| q.name == name)
        .with_context(|| format!("no critical query {name}"))
}

/// The full-text query's latency for `ctx.words`, with how many rows a page had (median).
async fn full_text(
    conn: &mut PgConnection,
    ctx: &Ctx,
    bench: &Bench,
    label: &str,
) -> anyhow::Result<Figure> {
    let q = query("messages_of_user_by_words")?;
    let samples = queries::time(conn, &q, ctx, queries::runs(bench)).await?;
    let mut hits = Vec::new();
    for i in 0..20 {
        let rows = sqlx::query(q.template)
            .bind(ctx.user(i))
            .bind(&ctx.words)
            .fetch_all(&mut *conn)
            .await?;
        hits.push(rows.len());
    }
    hits.sort_unstable();
    let p95 = percentile(&samples, 95);
    Ok(Figure::new(
        format!(
            "full-text search of a user's messages, {label} (\"{}\", median {} hits on the page)",
            ctx.words,
            hits[hits.len() / 2]
        ),
        queries::spread(&samples),
    )
    .target("p95 < 20 ms", p95 < Duration::from_millis(20)))
}

/// Users with chunks, each with a query embedding (another document's chunk).
async fn rag_samples(conn: &mut PgConnection) -> anyhow::Result<Vec<(String, String)>> {
    let users: Vec<String> = sqlx::query_scalar(
        r#"SELECT DISTINCT "userId"::text FROM rag_documents WHERE "chunkCount" > 0
           ORDER BY 1 LIMIT 200"#,
    )
    .fetch_all(&mut *conn)
    .await
    .context("read users with chunks")?;
    let embeddings: Vec<String> =
        sqlx::query_scalar("SELECT embedding::text FROM rag_chunks ORDER BY id LIMIT 50")
            .fetch_all(&mut *conn)
            .await
            .context("read query embeddings")?;
    anyhow::ensure!(
        !users.is_empty() && !embeddings.is_empty(),
        "the load has no chunks"
    );
    Ok((0..users.len().max(RECALL_SAMPLES))
        .map(|i| {
            (
                users[i % users.len()].clone(),
                embeddings[(i * 7) % embeddings.len()].clone(),
            )
        })
        .collect())
}

/// The RAG top 10 as the critical query runs it, and through HNSW with an iterative scan.
async fn rag(conn: &mut PgConnection, bench: &Bench) -> anyhow::Result<Vec<Figure>> {
    let samples = rag_samples(conn).await?;
    let chunks: i64 = sqlx::query_scalar("SELECT count(*) FROM rag_chunks")
        .fetch_one(&mut *conn)
        .await?;
    let q = query("nearest_chunks_of_user")?;
    let runs = queries::runs(bench) as usize;
    let (latency, recall) = retrieve(conn, q.template, &samples, runs, &[]).await?;
    let p95 = percentile(&latency, 95);
    let mut figures = vec![
        Figure::new(
            format!(
                "RAG top 10 of a user's chunks ({chunks} chunks), exact over the user's documents"
            ),
            format!("{}; recall@10 {recall:.3}", queries::spread(&latency)),
        )
        .target(
            "p95 < 10 ms, recall@10 >= 0.95",
            p95 < Duration::from_millis(10) && recall >= 0.95,
        ),
    ];
    for iterative in ["off", "strict_order"] {
        figures.push(hnsw(conn, &q, &samples, runs, iterative).await?);
    }
    Ok(figures)
}

/// The same query made to take the HNSW index (sorting disabled), with pgvector 0.8's
/// iterative scan `off` (the graph's `ef_search` nearest of all users, then filtered) or on
/// (it goes on reading the graph until the user's rows fill the LIMIT).
async fn hnsw(
    conn: &mut PgConnection,
    q: &CriticalQuery,
    samples: &[(String, String)],
    runs: usize,
    iterative: &str,
) -> anyhow::Result<Figure> {
    let name =
        format!("RAG top 10 of a user's chunks through HNSW, hnsw.iterative_scan = {iterative}");
    let iterative = format!("SET LOCAL hnsw.iterative_scan = {iterative}");
    let version: String =
        sqlx::query_scalar("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            .fetch_one(&mut *conn)
            .await?;
    let settings = [iterative.as_str(), "SET LOCAL enable_sort = off"];
    let plan = explain(conn, q, &samples[0], &settings).await;
    let plan = match plan {
        Ok(plan) => plan,
        Err(err) => {
            return Ok(Figure::new(
                name,
                format!("not measured: {} (pgvector {version})", err.root_cause()),
            ));
        }
    };
    if !plan.contains("rag_chunks_embedding_idx") {
        return Ok(Figure::new(
            name,
            format!("not measured: the planner did not take the HNSW index (pgvector {version})"),
        ));
    }
    let (latency, recall) = retrieve(conn, q.template, samples, runs, &settings).await?;
    Ok(Figure::new(
        name,
        format!(
            "{}; recall@10 {recall:.3} (pgvector {version})",
            queries::spread(&latency)
        ),
    ))
}

async fn explain(
    conn: &mut PgConnection,
    q: &CriticalQuery,
    sample: &(String, String),
    settings: &[&str],
) -> anyhow::Result<String> {
    let mut tx = conn.begin().await?;
    for setting in settings {
        sqlx::query(sqlx::AssertSqlSafe(*setting))
            .execute(&mut *tx)
            .await?;
    }
    let lines: Vec<String> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {}", q.template)))
            .bind(&sample.0)
            .bind(&sample.1)
            .fetch_all(&mut *tx)
            .await?;
    tx.rollback().await?;
    Ok(lines.join("\n"))
}

/// Latencies (sorted) of `runs` runs of `template` over `samples`, each in a transaction with
/// `settings`, and the mean recall@10 of its answers against [`EXACT`].
async fn retrieve(
    conn: &mut PgConnection,
    template: &'static str,
    samples: &[(String, String)],
    runs: usize,
    settings: &[&str],
) -> anyhow::Result<(Vec<Duration>, f64)> {
    // With settings, an unnamed statement of its own text, planned under them at every run.
    // A prepared statement keeps the generic plan it cached in runs without them
    // (PostgreSQL does not replan for enable_sort or hnsw.iterative_scan), and sqlx hands out
    // its cached statement for a known text even to a query marked not persistent: without
    // both, an "HNSW" figure times and scores the exact plan.
    let sql = if settings.is_empty() {
        template.to_owned()
    } else {
        format!("{template}\n-- under: {}", settings.join("; "))
    };
    let mut latency = Vec::with_capacity(runs);
    let mut recall = Vec::new();
    for i in 0..runs + 5 {
        let (user, embedding) = &samples[i % samples.len()];
        let mut tx = conn.begin().await?;
        for setting in settings {
            sqlx::query(sqlx::AssertSqlSafe(*setting))
                .execute(&mut *tx)
                .await?;
        }
        let started = Instant::now();
        let rows: Vec<(sqlx::types::Uuid, sqlx::types::Uuid)> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .persistent(settings.is_empty())
                .bind(user)
                .bind(embedding)
                .fetch_all(&mut *tx)
                .await
                .context("RAG query")?;
        let took = started.elapsed();
        tx.rollback().await?;
        // The first five warm the cache.
        if i >= 5 {
            latency.push(took);
        }
        if i < samples.len().min(RECALL_SAMPLES) {
            let found: HashSet<String> = rows.iter().map(|(id, _)| id.to_string()).collect();
            recall.extend(recall_at_10(conn, user, embedding, &found).await?);
        }
    }
    latency.sort();
    let mean = recall.iter().sum::<f64>() / recall.len().max(1) as f64;
    Ok((latency, mean))
}

/// The share of the exact top 10 that `found` holds; `None` when the user has no chunks.
async fn recall_at_10(
    conn: &mut PgConnection,
    user: &str,
    embedding: &str,
    found: &HashSet<String>,
) -> anyhow::Result<Option<f64>> {
    let exact: Vec<String> = sqlx::query_scalar(EXACT)
        .bind(user)
        .bind(embedding)
        .fetch_all(&mut *conn)
        .await
        .context("exact nearest chunks")?;
    if exact.is_empty() {
        return Ok(None);
    }
    let hit = exact.iter().filter(|id| found.contains(*id)).count();
    Ok(Some(hit as f64 / exact.len() as f64))
}
