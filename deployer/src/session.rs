//! The migration session: a connection of its own with the deploy's timeouts, watched by the lock's heartbeat.
//!
//! The heartbeat runs on the lock's connection, so it cannot see this connection hang alone
//! (a NAT that lost only this flow). It watches the session's backend instead: when the
//! server has ended it (its idle-in-transaction limit, waiting for a migrator that was
//! waiting for it) while the migrator still counts on it, the run is lost. The session is
//! unwatched while it idles on purpose (a backup, a pause before a retry), since the server
//! may end an idle session, and the pool then opens a new one.

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use anyhow::Context;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::settings::Settings;

/// The backend pid of the session the migrator counts on; 0 while unwatched.
pub type Watched = Arc<AtomicI32>;

/// The connection migrations run on.
pub struct Session {
    db: DatabaseConnection,
    pid: Watched,
    settings: Settings,
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
        let options = liveness
            .apply(server.clone())
            .application_name(application)
            .options([
                ("lock_timeout", millis(settings.ddl_lock_timeout)),
                ("statement_timeout", millis(settings.statement_timeout)),
            ]);
        // One connection, tested before each use: the server may end it while it idles, and
        // the pool then opens a new one with the same settings.
        let pool = PgPoolOptions::new()
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
        };
        session.watch().await?;
        Ok(session)
    }

    /// The connection, for functions generic over `ConnectionTrait`.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
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

fn millis(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}
