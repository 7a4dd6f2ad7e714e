//! The advisory lock that lets one migrator at a time touch a database.
//!
//! It is a session lock held on a connection of its own for the whole run, so it covers
//! migrations that run outside a transaction too, and PostgreSQL releases it by itself when
//! the process dies and its connection closes. That connection also carries the run's
//! heartbeat: with `idle_session_timeout` on it, a migrator that vanished without closing its
//! socket (a hung NAT) loses the lock within its bound instead of holding it forever.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use dbconn::Liveness;
use dbconn::liveness;
use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::{self, Connection, PgConnection};

use crate::project::Project;
use crate::session::{Session, Watched};

/// A held migration lock; [`MigrationLock::release`] gives it back, and so does dropping it
/// (by closing its connection).
pub struct MigrationLock {
    conn: PgConnection,
    liveness: Liveness,
    /// The advisory lock's two keys ([`Project::lock_key`]).
    key: (i32, i32),
}

impl MigrationLock {
    /// Takes the project's lock on a new connection to the server of `options`, polling while
    /// another migrator holds it, for at most `wait`. Every statement is bounded by
    /// `liveness`.
    pub async fn acquire(
        options: &PgConnectOptions,
        project: &Project,
        wait: Duration,
        liveness: Liveness,
    ) -> anyhow::Result<Self> {
        let key = project.lock_key;
        let options = liveness
            .apply(options.clone())
            .application_name(project.application);
        let mut conn = liveness
            .deadline(
                "opening the lock connection",
                PgConnection::connect_with(&options),
            )
            .await
            .context("open the lock connection")?;
        let start = Instant::now();
        let mut announced = false;
        loop {
            let try_lock = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
                .bind(key.0)
                .bind(key.1)
                .fetch_one(&mut conn);
            let got: bool = liveness
                .deadline("taking the migration lock", try_lock)
                .await
                .context("take the migration lock")?;
            if got {
                return Ok(Self {
                    conn,
                    liveness,
                    key,
                });
            }
            let holder = liveness
                .deadline("looking up the lock's holder", holder(&mut conn, key))
                .await
                .unwrap_or(None);
            if start.elapsed() >= wait {
                bail!("{}", advice(holder.as_ref(), wait));
            }
            if !announced {
                let who = holder
                    .as_ref()
                    .map_or_else(String::new, |h| format!(": {h}"));
                tracing::info!(
                    "another migrator holds the migration lock{who}; waiting up to {}s for it",
                    wait.as_secs()
                );
                announced = true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Runs `work` while the lock's connection answers its heartbeat and the server still
    /// has `session`; gives up, dropping `work`, when the server has been silent for the
    /// bound or has ended the session. The server, for its part, ends this connection (and
    /// the lock) once it has heard nothing for the same bound.
    pub async fn hold<T>(
        &mut self,
        session: &Session,
        work: impl Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        let watched = session.watched();
        let liveness = self.liveness;
        let probe = liveness::probe(move |conn| {
            let pid = watched.load(Ordering::SeqCst);
            Box::pin(session_alive(conn, pid, Arc::clone(&watched)))
        });
        liveness.watch_with(&mut self.conn, work, probe).await
    }

    /// Releases the lock and closes its connection.
    pub async fn release(mut self) -> anyhow::Result<()> {
        let unlock = sqlx::query("SELECT pg_advisory_unlock($1, $2)")
            .bind(self.key.0)
            .bind(self.key.1)
            .execute(&mut self.conn);
        self.liveness
            .deadline("releasing the migration lock", unlock)
            .await
            .context("release the migration lock")?;
        self.liveness
            .deadline("closing the lock connection", self.conn.close())
            .await
            .ok();
        Ok(())
    }
}

/// The heartbeat: the server answers, and still has the session `pid` the migrator counts on
/// (0: unwatched).
async fn session_alive(conn: &mut PgConnection, pid: i32, watched: Watched) -> anyhow::Result<()> {
    let alive: bool = sqlx::query_scalar(
        "SELECT $1 = 0 OR EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)",
    )
    .bind(pid)
    .fetch_one(conn)
    .await
    .context("the heartbeat failed")?;
    // Unwatched meanwhile (a pause), the session may have been replaced.
    if !alive && watched.load(Ordering::SeqCst) == pid {
        bail!(
            "the server ended the migration session (pid {pid}) while this migrator waited on \
             it, so their connection was lost"
        );
    }
    Ok(())
}

/// The session holding the lock, as pg_stat_activity describes it.
struct Holder {
    pid: i32,
    application: String,
    client: String,
    state: String,
    /// Seconds in its current state.
    state_for: i64,
    /// Seconds since it connected.
    connected_for: i64,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {}, application `{}`, client {}, {} for {}s (connected {}s ago)",
            self.pid, self.application, self.client, self.state, self.state_for, self.connected_for
        )
    }
}

/// Who holds the lock, if anyone still does.
async fn holder(conn: &mut PgConnection, key: (i32, i32)) -> anyhow::Result<Option<Holder>> {
    let row: Option<(i32, String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT a.pid, coalesce(a.application_name, ''), \
           coalesce(host(a.client_addr) || ':' || a.client_port, 'on a local socket'), \
           coalesce(a.state, 'unknown'), \
           extract(epoch FROM now() - coalesce(a.state_change, a.backend_start))::int8, \
           extract(epoch FROM now() - a.backend_start)::int8 \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::oid \
           AND l.objid = $2::oid AND l.database = \
             (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .bind(i64::from(key.0))
    .bind(i64::from(key.1))
    .fetch_optional(conn)
    .await?;
    Ok(row.map(
        |(pid, application, client, state, state_for, connected_for)| Holder {
            pid,
            application,
            client,
            state,
            state_for,
            connected_for,
        },
    ))
}

/// The error of a migrator that waited `wait` in vain: who holds the lock, and what frees it.
fn advice(holder: Option<&Holder>, wait: Duration) -> String {
    let Some(holder) = holder else {
        return format!(
            "the migration lock stayed taken for {}s but its holder could not be read: \
             migrate again, or raise --lock-timeout",
            wait.as_secs()
        );
    };
    format!(
        "another migrator still holds the migration lock after {}s: {holder}. A running \
         migrator releases it when done (raise --lock-timeout to wait longer); one that lost \
         its connection loses it within its --hang-timeout ({}s by default); if it is \
         stuck, end it with SELECT pg_terminate_backend({})",
        wait.as_secs(),
        crate::settings::DEFAULT_HANG_TIMEOUT.as_secs(),
        holder.pid
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_advice_names_the_holder_and_what_frees_it() {
        let holder = Holder {
            pid: 4242,
            application: "agents-db migrator".into(),
            client: "10.0.0.7:51234".into(),
            state: "idle".into(),
            state_for: 12,
            connected_for: 95,
        };
        let line = advice(Some(&holder), Duration::from_secs(60));
        assert_eq!(
            line,
            "another migrator still holds the migration lock after 60s: pid 4242, application \
             `agents-db migrator`, client 10.0.0.7:51234, idle for 12s (connected 95s ago). A \
             running migrator releases it when done (raise --lock-timeout to wait longer); one \
             that lost its connection loses it within its --hang-timeout (20s by default); if it \
             is stuck, end it with SELECT pg_terminate_backend(4242)"
        );
    }
}
