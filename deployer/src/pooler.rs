//! Refusing a connection that does not keep its session, such as PgBouncer in transaction
//! mode, before the migration lock is taken on it.
//!
//! The migration lock is a session-level advisory lock: it protects the run only if every
//! later statement of the lock's connection runs in the same server session. A transaction
//! pooler hands each transaction whichever server session is free, so the lock would stay
//! behind on a session that other clients then use, and migrators would no longer exclude
//! each other. A pooler cannot be asked what it is, so the probe makes it show itself: it
//! opens a second client, keeps a transaction open on it (which pins one server session), and
//! asks the first client for its server session again. On a direct connection the first
//! client keeps its own session and the second gets another; through a transaction pooler
//! the second client is handed the first one's session (it was free), or the first is moved
//! to another, or, with a pool of one, it waits.

use std::time::Duration;

use std::sync::atomic::Ordering;

use anyhow::{Context, bail};
use sea_orm::DatabaseConnection;
use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::{self, Connection, PgConnection};

use dbconn::url::redact;

use crate::deploy::Deployer;

/// How long the first client may take to answer while the second holds its transaction: a
/// direct server answers at once; a pool of one never does.
const ANSWER_WITHIN: Duration = Duration::from_secs(3);

impl Deployer {
    /// Fails, naming the fix, when connections to `db` do not keep their session. Every run
    /// that takes the migration lock checks first; a caller may check earlier, before any
    /// other statement, since through a transaction pooler even a plain query can fail with
    /// the pooler's errors (another client's prepared statement), which name no fix.
    pub async fn require_session(&self, db: &DatabaseConnection) -> anyhow::Result<()> {
        if self.session_kept.load(Ordering::Relaxed) {
            return Ok(());
        }
        let options = db.get_postgres_connection_pool().connect_options();
        let url = self.url.as_deref().unwrap_or("the database");
        require_session(&options, url).await?;
        self.session_kept.store(true, Ordering::Relaxed);
        Ok(())
    }
}

/// Fails, naming the fix, when connections made with `options` do not keep their session.
/// `url` is only for the message.
async fn require_session(options: &PgConnectOptions, url: &str) -> anyhow::Result<()> {
    match probe(options).await {
        Ok(None) => Ok(()),
        Ok(Some(evidence)) => bail!("{}", refusal(url, &evidence)),
        // PgBouncer refuses startup parameters it does not know, and transactions in
        // statement mode, in words of its own.
        Err(err)
            if ["unsupported startup parameter", "pooling mode"]
                .iter()
                .any(|words| format!("{err:#}").contains(words)) =>
        {
            let evidence = format!("it answered `{}`, as PgBouncer does", err.root_cause());
            bail!("{}", refusal(url, &evidence))
        }
        Err(err) => Err(err),
    }
}

fn refusal(url: &str, evidence: &str) -> String {
    format!(
        "refusing to migrate through a connection pooler: {} does not keep its session \
         ({evidence}), so the migration lock cannot be held: set DIRECT_URL or \
         MIGRATION_DATABASE_URL to the PostgreSQL server itself, not the pooler",
        redact(url)
    )
}

/// `None` when the session is kept, otherwise what showed it is not. Statements go through
/// the simple query protocol, which every pooler passes on whatever its mode.
async fn probe(options: &PgConnectOptions) -> anyhow::Result<Option<String>> {
    let mut first = PgConnection::connect_with(options)
        .await
        .context("open a connection to check that it keeps its session")?;
    let before = backend_pid(&mut first).await?;
    let mut second = PgConnection::connect_with(options)
        .await
        .context("open a second connection to check that the first keeps its session")?;
    sqlx::raw_sql("BEGIN").execute(&mut second).await?;
    let other = backend_pid(&mut second).await?;
    let after = tokio::time::timeout(ANSWER_WITHIN, backend_pid(&mut first)).await;
    let evidence = match after {
        Err(_) => Some(format!(
            "it did not answer within {}s while another client held a transaction, as a \
             pool of one server session does",
            ANSWER_WITHIN.as_secs()
        )),
        Ok(after) => {
            let after = after?;
            if other == before {
                Some(format!(
                    "another client's transaction ran in its server session, pid {before}"
                ))
            } else if after != before {
                Some(format!(
                    "two statements on one connection ran in server sessions {before} and {after}"
                ))
            } else {
                None
            }
        }
    };
    sqlx::raw_sql("ROLLBACK").execute(&mut second).await.ok();
    second.close().await.ok();
    // A first client still waiting in a pool of one is dropped, not closed politely.
    if evidence.is_none() {
        first.close().await.ok();
    }
    Ok(evidence)
}

async fn backend_pid(conn: &mut PgConnection) -> anyhow::Result<i64> {
    use sqlx::Row;
    let row = sqlx::raw_sql("SELECT pg_backend_pid()::text")
        .fetch_one(conn)
        .await
        .context("ask for the server session")?;
    let pid: String = row.try_get(0)?;
    pid.trim().parse().context("read the server session's pid")
}
