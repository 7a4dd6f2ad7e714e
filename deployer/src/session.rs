//! The migration session: a connection of its own with the deploy's timeouts, watched by the lock's heartbeat.
//!
//! The heartbeat runs on the lock's connection, so it cannot see this connection hang alone
//! (a NAT that lost only this flow). It watches the session's backend instead: when the
//! server has ended it (its idle-in-transaction limit, waiting for a migrator that was
//! waiting for it) while the migrator still counts on it, the run is lost. The session is
//! unwatched while it idles on purpose (a backup, a pause before a retry), since the server
//! may end an idle session, and the pool then opens a new one.
//!
//! Its `lock_timeout` stays below the server's `deadlock_timeout` ([`lock_timeout`]), so in a
//! lock cycle with an application's writer the migration gives up first and the writer is
//! never the transaction PostgreSQL aborts.

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sea_orm::sqlx::{ConnectOptions, Connection};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::settings::Settings;

/// The backend pid of the session the migrator counts on; 0 while unwatched.
pub type Watched = Arc<AtomicI32>;

/// The connection migrations run on.
pub struct Session {
    db: DatabaseConnection,
    pid: Watched,
    settings: Settings,
    /// The `lock_timeout` each connection of the pool set, in milliseconds.
    lock_timeout: Arc<AtomicU64>,
    /// Whether the run said which `lock_timeout` its migrations wait with.
    announced: AtomicBool,
}

impl Deref for Session {
    type Target = DatabaseConnection;

    fn deref(&self) -> &DatabaseConnection {
        &self.db
    }
}

impl Session {
    /// Opens the session on the server of `server`, with the deploy's timeouts set for the
    /// whole session, so statements outside a transaction get them too, and the bounds on a
    /// lost peer, so the server ends it when its migrator falls silent mid-transaction.
    pub async fn open(
        server: &PgConnectOptions,
        settings: &Settings,
        application: &str,
    ) -> anyhow::Result<Self> {
        let liveness = settings.liveness();
        let base = liveness.apply(server.clone()).application_name(application);
        // The chosen lock_timeout is the connections' default, given at startup, and not only
        // a SET after connecting: a step that sets its own and then RESETs it (the online
        // helpers do, around each index build) returns to the default, and with
        // `--ddl-lock-timeout` there every later migration waited past the deadlock_timeout
        // (a writer queued 1 s behind a lock the migration was still waiting for).
        let ddl = settings.ddl_lock_timeout;
        let first = base
            .clone()
            .options([("lock_timeout", millis(ddl))])
            .connect()
            .await
            .context("open the migration session")?;
        let chosen = below_deadlock_timeout(first, ddl).await?;
        let options = base.options([
            ("lock_timeout", millis(chosen)),
            ("statement_timeout", millis(settings.statement_timeout)),
        ]);
        let lock_timeout = Arc::new(AtomicU64::new(chosen.as_millis() as u64));
        let set = Arc::clone(&lock_timeout);
        // One connection, tested before each use: the server may end it while it idles, and
        // the pool then opens a new one with the same settings.
        let pool = PgPoolOptions::new()
            .after_connect(move |conn, _| {
                let set = Arc::clone(&set);
                Box::pin(async move {
                    // Again on every new connection, in case the server's deadlock_timeout
                    // changed since the session opened.
                    let chosen = lower_below_deadlock_timeout(conn, ddl).await?;
                    set.store(chosen.as_millis() as u64, Ordering::SeqCst);
                    Ok(())
                })
            })
            .max_connections(1)
            .min_connections(0)
            .acquire_timeout(liveness.bound())
            .idle_timeout(None)
            .max_lifetime(None)
            .test_before_acquire(true)
            .connect_with(options)
            .await
            .context("open the migration session")?;
        let session = Self {
            db: sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool),
            pid: Watched::default(),
            settings: settings.clone(),
            lock_timeout,
            announced: AtomicBool::new(false),
        };
        session.watch().await?;
        Ok(session)
    }

    /// The connection, for functions generic over `ConnectionTrait`.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The `lock_timeout` the session's statements wait for a lock with: `--ddl-lock-timeout`,
    /// lowered below the server's `deadlock_timeout` ([`lock_timeout`]).
    pub fn lock_timeout(&self) -> Duration {
        Duration::from_millis(self.lock_timeout.load(Ordering::SeqCst))
    }

    /// Says once per session which `lock_timeout` migrations wait with, and why when it is
    /// below `--ddl-lock-timeout`.
    pub fn announce_lock_timeout(&self) {
        if self.announced.swap(true, Ordering::SeqCst) {
            return;
        }
        let (chosen, ddl) = (self.lock_timeout(), self.settings.ddl_lock_timeout);
        if chosen < ddl {
            tracing::info!(
                "migrations wait at most {}ms for a lock (--ddl-lock-timeout {}ms, lowered \
                 below the server's deadlock_timeout so that a writer is never a deadlock's victim)",
                chosen.as_millis(),
                ddl.as_millis()
            );
        } else {
            tracing::debug!(
                "migrations wait at most {}ms for a lock",
                chosen.as_millis()
            );
        }
    }

    /// The pid the heartbeat checks, shared with it.
    pub fn watched(&self) -> Watched {
        Arc::clone(&self.pid)
    }

    /// Awaits `idle` (a backup, a pause) with the session unwatched, then watches whichever
    /// connection the session has afterwards.
    pub async fn idle<T>(&self, idle: impl Future<Output = T>) -> anyhow::Result<T> {
        self.pid.store(0, Ordering::SeqCst);
        let out = idle.await;
        self.watch().await?;
        Ok(out)
    }

    /// Cancels this database's autovacuum workers, except those preventing wraparound, and
    /// returns what each was doing. PostgreSQL cancels an autovacuum that blocks a lock request
    /// for longer than `deadlock_timeout`, but the session's waits end before that
    /// ([`lock_timeout`]), so after a big backfill a migration could time out behind the
    /// table's autovacuum on every retry. Called after a lock timeout; the workers come back
    /// at their next round. A role that may not signal them (PostgreSQL 18 needs
    /// `pg_signal_autovacuum_worker`) cancels none, and the retry waits as before.
    pub async fn cancel_autovacuum(&self) -> Vec<String> {
        // The workers are chosen first (MATERIALIZED): in one WHERE clause the planner may
        // call pg_cancel_backend on any backend before the other conditions rule it out.
        let sql = "WITH vacuums AS MATERIALIZED (
                     SELECT a.pid, a.query FROM pg_stat_activity a
                      WHERE a.backend_type = 'autovacuum worker'
                        AND a.datname = current_database()
                        AND a.query NOT LIKE '%to prevent wraparound%')
                   SELECT v.query FROM vacuums v WHERE pg_cancel_backend(v.pid)";
        let statement = Statement::from_string(self.db.get_database_backend(), sql);
        match self.db.query_all_raw(statement).await {
            Ok(rows) => rows
                .iter()
                .filter_map(|row| row.try_get_by_index::<String>(0).ok())
                .collect(),
            Err(err) => {
                tracing::warn!("could not cancel autovacuum: {err}");
                Vec::new()
            }
        }
    }

    /// Closes the session's pool, waiting at most the bound on a server that may be gone.
    pub async fn close(self) {
        let liveness = self.settings.liveness();
        let closing = async { self.db.close().await };
        liveness
            .deadline("closing the migration session", closing)
            .await
            .ok();
    }

    async fn watch(&self) -> anyhow::Result<()> {
        let query = self.db.query_one_raw(Statement::from_string(
            self.db.get_database_backend(),
            "SELECT pg_backend_pid() AS pid",
        ));
        let row = self
            .settings
            .liveness()
            .deadline("reading the session's pid", query)
            .await
            .context("watch the migration session")?
            .context("pg_backend_pid() returned no row")?;
        let pid: i32 = row.try_get("", "pid")?;
        self.pid.store(pid, Ordering::SeqCst);
        Ok(())
    }
}

/// The `lock_timeout` of a migration session: `ddl`, but at most half the server's
/// `deadlock_timeout` (and at least 1 ms, since 0 would mean no limit; a `ddl` of 0, no limit
/// asked, gets the half too).
///
/// PostgreSQL looks for a deadlock once per lock wait, `deadlock_timeout` after the wait
/// began, and aborts the transaction of the session that looks. A writer that waits for a
/// table the migration holds, while the migration waits for one the writer holds, would look
/// first if the migration waited longer than `deadlock_timeout`: the writer's transaction
/// would be aborted. A migration that gives up sooner rolls back, releasing its locks, and
/// the deployer retries it: the writer goes on. Half leaves room for the writer having
/// started to wait a little before the migration did.
pub fn lock_timeout(ddl: Duration, deadlock_timeout: Duration) -> Duration {
    let asked = if ddl.is_zero() { Duration::MAX } else { ddl };
    asked
        .min(deadlock_timeout / 2)
        .max(Duration::from_millis(1))
}

/// The session's `lock_timeout` for `ddl` on the server of `conn` ([`lock_timeout`]), read on
/// a connection that is then closed.
async fn below_deadlock_timeout(mut conn: PgConnection, ddl: Duration) -> anyhow::Result<Duration> {
    let chosen = lock_timeout(ddl, deadlock_timeout(&mut conn).await?);
    conn.close().await.ok();
    Ok(chosen)
}

/// The server's `deadlock_timeout`.
async fn deadlock_timeout(conn: &mut PgConnection) -> Result<Duration, sea_orm::sqlx::Error> {
    // `setting` is in the parameter's unit: milliseconds for deadlock_timeout.
    let row: (i64,) = sea_orm::sqlx::query_as(
        "SELECT setting::int8 FROM pg_settings WHERE name = 'deadlock_timeout'",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(Duration::from_millis(row.0.max(0) as u64))
}

/// Reads the server's `deadlock_timeout` on a new connection of the session and sets the
/// connection's `lock_timeout` below it; returns the `lock_timeout` set.
async fn lower_below_deadlock_timeout(
    conn: &mut PgConnection,
    ddl: Duration,
) -> Result<Duration, sea_orm::sqlx::Error> {
    let chosen = lock_timeout(ddl, deadlock_timeout(conn).await?);
    // The value is a number of milliseconds this function formats, never input.
    let set = format!("SET lock_timeout = '{}'", millis(chosen));
    sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(set))
        .execute(&mut *conn)
        .await?;
    Ok(chosen)
}

fn millis(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_timeout_stays_below_the_deadlock_timeout() {
        let ms = Duration::from_millis;
        // The defaults: 5 s asked, the server's 1 s deadlock_timeout: half of it.
        assert_eq!(lock_timeout(ms(5000), ms(1000)), ms(500));
        // A shorter one asked is kept.
        assert_eq!(lock_timeout(ms(200), ms(1000)), ms(200));
        // A server that looks for deadlocks late lets the asked one stand.
        assert_eq!(lock_timeout(ms(5000), ms(60_000)), ms(5000));
        // Never 0, which would mean no limit at all.
        assert_eq!(lock_timeout(ms(5000), ms(1)), ms(1));
        assert_eq!(lock_timeout(ms(0), ms(1000)), ms(500));
    }
}
