//! Row-level security's price: p95 of each critical query as `app_user` (acting for the user
//! who owns the rows asked for) beside the same query as the owner, on the loaded database,
//! for a typical user and, for each query of one user's rows, for the largest tenant.
//!
//! The queries are `dbcheck::verify::critical_queries()`. Under row-level security a query
//! for another user's rows finds nothing quickly, so each run acts for the owner of its
//! parameters: the user asked for, the long conversation's owner, the account's owner. The
//! support queue is the staff's screen and runs as `app_admin`.

use std::time::{Duration, Instant};

use anyhow::Context;
use dbcheck::verify::{CriticalQuery, Param, critical_queries};
use sea_orm::sqlx::{self, PgConnection};

use super::queries::Tenant;
use super::{Bench, Figure, ms, percentile, queries};

/// The queries of the support staff's screens, timed as `app_admin`.
const STAFF_QUERIES: &[&str] = &["tickets_by_status"];

/// The bench's parameter values ([`queries::Ctx`]), with the owner of the long conversation.
struct Ctx {
    values: queries::Ctx,
    conversation_owner: String,
}

impl Ctx {
    /// The parameters of run `i` as text, and the user they belong to.
    fn values(&self, q: &CriticalQuery, i: u64) -> (Vec<String>, String) {
        let mut owner = self.values.user(i);
        for param in q.params {
            match param {
                Param::Conversation => owner = self.conversation_owner.clone(),
                Param::Account => owner = self.values.account(i).1.clone(),
                _ => {}
            }
        }
        let values = q.params.iter().map(|p| self.values.value(*p, i)).collect();
        (values, owner)
    }
}

/// p95 of every critical query as the owner and under row-level security, one figure each,
/// for a typical user and then for the largest tenant.
pub async fn run(bench: &Bench, url: &str) -> anyhow::Result<Vec<Figure>> {
    let db = dbconn::connect(url).await?;
    let pool = db.get_postgres_connection_pool();
    let mut conn = pool.acquire().await?;
    let runs: u64 = if bench.quick { 20 } else { 300 };
    let mut figures = Vec::new();
    for tenant in [Tenant::Typical, Tenant::Largest] {
        let ctx = context(&mut conn, bench.scale, tenant).await?;
        for q in critical_queries() {
            if tenant == Tenant::Largest && !queries::per_user(&q) {
                continue;
            }
            figures.push(figure(&mut conn, &q, &ctx, runs).await?);
        }
    }
    drop(conn);
    db.close().await.ok();
    Ok(figures)
}

/// One query's figure: p95 under row-level security, the owner's beside it.
async fn figure(
    conn: &mut PgConnection,
    q: &CriticalQuery,
    ctx: &Ctx,
    runs: u64,
) -> anyhow::Result<Figure> {
    let role = if STAFF_QUERIES.contains(&q.name) {
        "app_admin"
    } else {
        "app_user"
    };
    let owner = p95(conn, q, ctx, runs, None).await?;
    let rls = p95(conn, q, ctx, runs, Some(role)).await?;
    let target = match ctx.values.tenant {
        Tenant::Typical => Duration::from_millis(5),
        Tenant::Largest => queries::largest_target(q),
    };
    Ok(Figure::new(
        format!(
            "query as {role}{}: {}",
            ctx.values.tenant.label(),
            q.purpose
        ),
        format!("p95 {} (owner {})", ms(rls), ms(owner)),
    )
    .target(&format!("p95 < {} ms", target.as_millis()), rls < target))
}

/// p95 of `runs` runs of `q`, each in a transaction acting as `role` (or as the owner).
async fn p95(
    conn: &mut PgConnection,
    q: &CriticalQuery,
    ctx: &Ctx,
    runs: u64,
    role: Option<&str>,
) -> anyhow::Result<Duration> {
    // Warm the plan cache and the buffers, as a running service has them.
    for i in 0..5 {
        execute(conn, q, ctx, i, role).await?;
    }
    let mut samples = Vec::with_capacity(runs as usize);
    for i in 0..runs {
        let started = Instant::now();
        execute(conn, q, ctx, i, role).await?;
        samples.push(started.elapsed());
    }
    samples.sort();
    Ok(percentile(&samples, 95))
}

/// One run, with the role switch and the setting inside the timed transaction, as the
/// application pays them on every request.
async fn execute(
    conn: &mut PgConnection,
    q: &CriticalQuery,
    ctx: &Ctx,
    i: u64,
    role: Option<&str>,
) -> anyhow::Result<()> {
    let (values, owner) = ctx.values(q, i);
    let mut txn = sqlx::Connection::begin(&mut *conn).await?;
    if let Some(role) = role {
        // The role is one of two constants of this file, never input.
        sqlx::query(sqlx::AssertSqlSafe(format!("SET LOCAL ROLE {role}")))
            .execute(&mut *txn)
            .await?;
        sqlx::query("SELECT set_config('app.current_user_id', $1, true)")
            .bind(owner)
            .execute(&mut *txn)
            .await?;
    }
    let mut query = sqlx::query(q.template);
    for value in values {
        query = query.bind(value);
    }
    query
        .fetch_all(&mut *txn)
        .await
        .with_context(|| format!("query `{}`", q.name))?;
    txn.rollback().await?;
    Ok(())
}

async fn context(conn: &mut PgConnection, scale: u64, tenant: Tenant) -> anyhow::Result<Ctx> {
    let values = queries::context(conn, scale, tenant).await?;
    let conversation_owner: String = sqlx::query_scalar(
        r#"SELECT s."userId"::text FROM conversations c
           JOIN chat_sessions s ON s.id = c."chatSessionId" WHERE c.id = $1::uuid"#,
    )
    .bind(values.long_conversation())
    .fetch_one(&mut *conn)
    .await
    .context("find the long conversation's owner")?;
    Ok(Ctx {
        values,
        conversation_owner,
    })
}
