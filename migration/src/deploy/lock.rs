//! The advisory lock that lets one migrator at a time touch a database.
//!
//! It is a session lock held on a connection of its own for the whole run, so it covers
//! migrations that run outside a transaction too, and PostgreSQL releases it by itself when
//! the process dies and its connection closes.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sea_orm::sqlx::{self, Connection, PgConnection, PgPool};

/// The lock's two keys: "agnt" and 1, for the migrations of the agents platform.
const CLASS: i32 = 0x6167_6e74;
const OBJECT: i32 = 1;

/// A held migration lock; [`MigrationLock::release`] gives it back, and so does dropping it
/// (by closing its connection).
pub struct MigrationLock {
    conn: PgConnection,
}

impl MigrationLock {
    /// Takes the lock, polling while another migrator holds it, for at most `wait`.
    pub async fn acquire(pool: &PgPool, wait: Duration) -> anyhow::Result<Self> {
        // A connection of its own, outside the pool, so the lock lives exactly as long as it.
        let mut conn = pool
            .acquire()
            .await
            .context("open the lock connection")?
            .detach();
        // Named, so a waiting migrator can say who holds the lock.
        sqlx::query("SET application_name = 'agents-db migrator'")
            .execute(&mut conn)
            .await
            .context("name the lock connection")?;
        let start = Instant::now();
        let mut announced = false;
        loop {
            let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
                .bind(CLASS)
                .bind(OBJECT)
                .fetch_one(&mut conn)
                .await
                .context("take the migration lock")?;
            if got {
                return Ok(Self { conn });
            }
            let holder = holder(&mut conn).await.unwrap_or_default();
            if start.elapsed() >= wait {
                bail!(
                    "another migrator still holds the migration lock after {}s{holder}: \
                     wait for it to finish, or raise --lock-timeout",
                    wait.as_secs()
                );
            }
            if !announced {
                tracing::info!("another migrator is running{holder}; waiting for it");
                announced = true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Releases the lock and closes its connection.
    pub async fn release(mut self) -> anyhow::Result<()> {
        sqlx::query("SELECT pg_advisory_unlock($1, $2)")
            .bind(CLASS)
            .bind(OBJECT)
            .execute(&mut self.conn)
            .await
            .context("release the migration lock")?;
        self.conn.close().await.ok();
        Ok(())
    }
}

/// Who holds the lock, as " (pid N, application X)", for the messages of a waiting migrator.
async fn holder(conn: &mut PgConnection) -> anyhow::Result<String> {
    let row: Option<(i32, String)> = sqlx::query_as(
        "SELECT a.pid, coalesce(a.application_name, '') FROM pg_locks l \
         JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::oid \
           AND l.objid = $2::oid AND l.database = \
             (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .bind(i64::from(CLASS))
    .bind(i64::from(OBJECT))
    .fetch_optional(conn)
    .await?;
    Ok(row.map_or(String::new(), |(pid, app)| {
        format!(" (pid {pid}, application `{app}`)")
    }))
}
