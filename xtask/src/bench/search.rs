//! Search: full-text search of a user's messages for a common and a rare word, and RAG
//! retrieval of a user's nearest chunks with its recall@10 against exact search, each for a
//! typical user and for the largest tenant; beside the application's RAG query, the ways it
//! did not take, measured on the same samples (docs/search.md).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::Context;
use dbcheck::verify::{CriticalQuery, critical_queries};
use sea_orm::sqlx::{self, Acquire, PgConnection};

use super::queries::{self, Ctx, Tenant};
use super::{Bench, Figure, percentile};

/// A user's chunks, exactly: the distance is wrapped (`+ 0`) so that no index can order it,
/// and every chunk of the user's documents is compared.
const EXACT: &str = r#"SELECT c."id", c."documentId" FROM rag_chunks c
    JOIN rag_documents d ON d."id" = c."documentId"
    WHERE d."userId" = $1::uuid
    ORDER BY (c."embedding" <=> (SELECT $2::vector)) + 0 LIMIT 10"#;

/// The same top 10 as one statement the planner may serve from the HNSW index.
const ONE_STATEMENT: &str = r#"SELECT c."id", c."documentId" FROM rag_chunks c
    JOIN rag_documents d ON d."id" = c."documentId"
    WHERE d."userId" = $1::uuid
    ORDER BY c."embedding" <=> (SELECT $2::vector) LIMIT 10"#;

/// How many (user, embedding) pairs recall is averaged over.
const RECALL_SAMPLES: usize = 50;

/// A RAG sample: whose chunks, the query embedding, and the exact top 10's ids.
struct Sample {
    user: String,
    embedding: String,
    truth: HashSet<String>,
}

pub async fn run(bench: &Bench, url: &str) -> anyhow::Result<Vec<Figure>> {
    let db = dbconn::connect(url).await?;
    let mut conn = db.get_postgres_connection_pool().acquire().await?;
    let mut figures = Vec::new();
    for tenant in [Tenant::Typical, Tenant::Largest] {
        let mut ctx = queries::context(&mut conn, bench.scale, tenant).await?;
        for (label, word) in [
            ("a common word", seed::load::COMMON_WORD),
            ("a rare word", seed::load::RARE_WORD),
        ] {
            ctx.words = word.to_owned();
            figures.push(full_text(&mut conn, &ctx, bench, label).await?);
        }
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
            "full-text search of a user's messages{}, {label} (\"{}\", median {} hits on the page)",
            ctx.tenant.label(),
            ctx.words,
            hits[hits.len() / 2]
        ),
        queries::spread(&samples),
    )
    .target("p95 < 20 ms", p95 < Duration::from_millis(20)))
}

/// Typical users (an ordinary document, none of the large tenants' extra ones), spread over
/// all users, each asking a question of their document.
fn typical_samples(scale: u64) -> Vec<(String, String)> {
    (0..scale)
        .map(|k| (k * 7919) % scale)
        .filter(|u| seed::load::tenant_extra(*u, scale) == 0)
        .filter_map(|u| {
            let question = seed::load::question(u, scale, u)?;
            Some((
                seed::load::user_id(u).to_string(),
                seed::embedding::text(&question),
            ))
        })
        .take(RECALL_SAMPLES.max(200))
        .collect()
}

/// The largest tenant, asking questions of its documents in turn.
fn largest_samples(scale: u64) -> Vec<(String, String)> {
    let user = seed::load::LARGEST_TENANT;
    (0..RECALL_SAMPLES as u64)
        .filter_map(|i| {
            let question = seed::load::question(user, scale, i)?;
            Some((
                seed::load::user_id(user).to_string(),
                seed::embedding::text(&question),
            ))
        })
        .collect()
}

/// Each sample with its exact top 10.
async fn with_truth(
    conn: &mut PgConnection,
    pairs: Vec<(String, String)>,
) -> anyhow::Result<Vec<Sample>> {
    let mut samples = Vec::with_capacity(pairs.len());
    for (i, (user, embedding)) in pairs.into_iter().enumerate() {
        let truth = if i < RECALL_SAMPLES {
            answer(conn, EXACT, &user, &embedding, &[]).await?.0
        } else {
            HashSet::new()
        };
        samples.push(Sample {
            user,
            embedding,
            truth,
        });
    }
    Ok(samples)
}

/// The application's RAG query for typical users and for the largest tenant, then, for the
/// largest tenant, the ways not taken.
async fn rag(conn: &mut PgConnection, bench: &Bench) -> anyhow::Result<Vec<Figure>> {
    let chunks: i64 = sqlx::query_scalar("SELECT count(*) FROM rag_chunks")
        .fetch_one(&mut *conn)
        .await?;
    let q = query("nearest_chunks_of_user")?;
    let runs = queries::runs(bench) as usize;
    let typical = with_truth(conn, typical_samples(bench.scale)).await?;
    anyhow::ensure!(
        !typical.is_empty(),
        "the load has no typical user with chunks"
    );
    let largest = with_truth(conn, largest_samples(bench.scale)).await?;
    anyhow::ensure!(!largest.is_empty(), "the largest tenant has no chunks");
    let (small, small_recall) = retrieve(conn, q.template, &typical, runs, &[]).await?;
    let (big, big_recall) = retrieve(conn, q.template, &largest, runs, &[]).await?;
    let (small_p95, big_p95) = (percentile(&small, 95), percentile(&big, 95));
    let mut figures = vec![
        Figure::new(
            format!(
                "RAG top 10 of a typical user's chunks ({chunks} chunks in all), `nearest_chunks`"
            ),
            format!("{}; recall@10 {small_recall:.3}", queries::spread(&small)),
        )
        .target(
            "p95 < 1 ms, recall@10 1.000",
            small_p95 < Duration::from_millis(1) && small_recall >= 1.0,
        ),
        Figure::new(
            format!(
                "RAG top 10 of the largest tenant's chunks ({} of them), `nearest_chunks`",
                seed::load::tenant_extra(seed::load::LARGEST_TENANT, bench.scale)
            ),
            format!("{}; recall@10 {big_recall:.3}", queries::spread(&big)),
        )
        .target(
            "p95 < 20 ms, recall@10 >= 0.95",
            big_p95 < Duration::from_millis(20) && big_recall >= 0.95,
        )
        .plot(q.purpose, small_p95, big_p95, Duration::from_millis(20)),
    ];
    let fewer = if bench.quick { 5 } else { 40 };
    figures.extend(rejected(conn, &largest, fewer).await?);
    Ok(figures)
}

/// The largest tenant's top 10 the ways `nearest_chunks` does not take for it: every chunk
/// compared, and the HNSW index without and with pgvector's iterative scan at its default
/// `hnsw.ef_search`.
async fn rejected(
    conn: &mut PgConnection,
    samples: &[Sample],
    runs: usize,
) -> anyhow::Result<Vec<Figure>> {
    let name = "RAG top 10 of the largest tenant's chunks, not taken:";
    let (latency, recall) = retrieve(conn, ONE_STATEMENT, samples, runs, &[]).await?;
    let mut figures = vec![Figure::new(
        format!("{name} one statement, every chunk of the tenant compared"),
        format!("{}; recall@10 {recall:.3}", queries::spread(&latency)),
    )];
    for iterative in ["off", "strict_order"] {
        figures.push(hnsw(conn, samples, runs, iterative, name).await?);
    }
    Ok(figures)
}

/// [`ONE_STATEMENT`] made to take the HNSW index (sorting disabled), with pgvector 0.8's
/// iterative scan `off` (the graph's `ef_search` nearest of all users, then filtered) or on
/// (it goes on reading the graph until the user's rows fill the LIMIT).
async fn hnsw(
    conn: &mut PgConnection,
    samples: &[Sample],
    runs: usize,
    iterative: &str,
    name: &str,
) -> anyhow::Result<Figure> {
    let name = format!("{name} one statement through HNSW, hnsw.iterative_scan = {iterative}");
    let iterative = format!("SET LOCAL hnsw.iterative_scan = {iterative}");
    let version: String =
        sqlx::query_scalar("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            .fetch_one(&mut *conn)
            .await?;
    let settings = [iterative.as_str(), "SET LOCAL enable_sort = off"];
    let plan = match explain(conn, &samples[0], &settings).await {
        Ok(plan) => plan,
        Err(err) => {
            return Ok(Figure::new(
                name,
                format!("not measured: {} (pgvector {version})", err.root_cause()),
            ));
        }
    };
    if !plan.contains("rag_chunks_embedding_hnsw_idx") {
        return Ok(Figure::new(
            name,
            format!("not measured: the planner did not take the HNSW index (pgvector {version})"),
        ));
    }
    let (latency, recall) = retrieve(conn, ONE_STATEMENT, samples, runs, &settings).await?;
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
    sample: &Sample,
    settings: &[&str],
) -> anyhow::Result<String> {
    let mut tx = conn.begin().await?;
    for setting in settings {
        sqlx::query(sqlx::AssertSqlSafe(*setting))
            .execute(&mut *tx)
            .await?;
    }
    let lines: Vec<String> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {ONE_STATEMENT}")))
            .bind(&sample.user)
            .bind(&sample.embedding)
            .fetch_all(&mut *tx)
            .await?;
    tx.rollback().await?;
    Ok(lines.join("\n"))
}

/// The ids `sql` answers for one user and embedding, in a transaction with `settings`, and
/// how long the query alone took.
async fn answer(
    conn: &mut PgConnection,
    sql: &str,
    user: &str,
    embedding: &str,
    settings: &[&str],
) -> anyhow::Result<(HashSet<String>, Duration)> {
    let mut tx = conn.begin().await?;
    for setting in settings {
        sqlx::query(sqlx::AssertSqlSafe(*setting))
            .execute(&mut *tx)
            .await?;
    }
    let started = Instant::now();
    let rows: Vec<(sqlx::types::Uuid, sqlx::types::Uuid)> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned()))
            .persistent(settings.is_empty())
            .bind(user)
            .bind(embedding)
            .fetch_all(&mut *tx)
            .await
            .context("RAG query")?;
    let took = started.elapsed();
    tx.rollback().await?;
    Ok((rows.iter().map(|(id, _)| id.to_string()).collect(), took))
}

/// Latencies (sorted) of `runs` runs of `template` over `samples`, each in a transaction with
/// `settings`, and the mean recall@10 of its answers against the samples' exact top 10.
async fn retrieve(
    conn: &mut PgConnection,
    template: &str,
    samples: &[Sample],
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
    // One untimed pass over the samples warms the buffers each question reads, as a running
    // service has them. The graph of 100,000 chunks is several times shared_buffers: with five
    // warm-up runs, the first of each question's six runs set the p95 (scale 20,000: p50
    // 3.9 ms, p95 88 ms; by hand, a first pass over the 50 questions p95 69-76 ms, the
    // second 5-10 ms).
    let warm = samples.len();
    for i in 0..runs + warm {
        let sample = &samples[i % samples.len()];
        let (found, took) = answer(conn, &sql, &sample.user, &sample.embedding, settings).await?;
        if i >= warm {
            latency.push(took);
        }
        if i < samples.len().min(RECALL_SAMPLES) && !sample.truth.is_empty() {
            let hit = sample.truth.iter().filter(|id| found.contains(*id)).count();
            recall.push(hit as f64 / sample.truth.len() as f64);
        }
    }
    latency.sort();
    let mean = recall.iter().sum::<f64>() / recall.len().max(1) as f64;
    Ok((latency, mean))
}
