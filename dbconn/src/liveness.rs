//! Bounds on a lost peer: server settings, client deadlines and a heartbeat, one limit for both sides.
//!
//! A client whose server stops answering (a hung proxy or NAT keeps the socket open but
//! forwards nothing) would wait forever, and a server whose client vanished keeps its session,
//! its open transaction and its locks. One bound covers both sides:
//! - the server ends a session idle in a transaction, or idle with nothing to do, after the
//!   bound, and drops a peer that stops acknowledging or answering keepalives within it
//!   ([`Liveness::session_settings`]);
//! - the client gives up on a statement that gets no answer within the bound
//!   ([`Liveness::deadline`]), and a long run watches its server with a heartbeat on a
//!   connection of its own ([`Liveness::watch`]).
//!
//! sqlx exposes no TCP keepalive option for its sockets, so the client's keepalive is that
//! heartbeat; it also catches what TCP keepalives cannot, a peer whose kernel still
//! acknowledges but that forwards nothing.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use anyhow::Context;

use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::{self, PgConnection};

/// One heartbeat on a connection: `Ok` while the server answers and all is well.
pub type Probe<'c> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'c>>;

/// `probe`, typed as a heartbeat for [`Liveness::watch_with`]: a closure's signature is only
/// general over the connection's lifetime when a bound like this one fixes it.
pub fn probe<P>(probe: P) -> P
where
    P: for<'c> FnMut(&'c mut PgConnection) -> Probe<'c>,
{
    probe
}

/// TCP keepalive probes sent before the server gives up on a silent peer.
const KEEPALIVE_PROBES: u64 = 3;

/// How long either side waits on a silent peer before giving up.
#[derive(Clone, Copy, Debug)]
pub struct Liveness {
    bound: Duration,
}

impl Liveness {
    /// A bound of at least one second: the server's keepalive settings count in seconds.
    pub fn new(bound: Duration) -> Self {
        Self {
            bound: bound.max(Duration::from_secs(1)),
        }
    }

    pub fn bound(&self) -> Duration {
        self.bound
    }

    /// Settings for every session, sent at connection start so no statement can forget them.
    /// A session idle in a transaction (its client vanished mid-migration) or idle for the
    /// bound is ended, rolling back and releasing its locks; keepalives and
    /// `tcp_user_timeout` drop a peer the network lost within the same bound. Pools open a
    /// new connection when the server ended an idle one, so the idle limit never fails a run.
    pub fn session_settings(&self) -> Vec<(&'static str, String)> {
        let millis = self.bound.as_millis();
        let secs = self.bound.as_secs().max(1);
        // Probing starts at half the bound; the probes share the other half.
        let idle = (secs / 2).max(1);
        let interval = ((secs - idle) / KEEPALIVE_PROBES).max(1);
        vec![
            ("idle_in_transaction_session_timeout", format!("{millis}ms")),
            ("idle_session_timeout", format!("{millis}ms")),
            ("tcp_keepalives_idle", idle.to_string()),
            ("tcp_keepalives_interval", interval.to_string()),
            ("tcp_keepalives_count", KEEPALIVE_PROBES.to_string()),
            ("tcp_user_timeout", millis.to_string()),
        ]
    }

    /// `options` with [`Liveness::session_settings`] added.
    pub fn apply(&self, options: PgConnectOptions) -> PgConnectOptions {
        options.options(self.session_settings())
    }

    /// The pause between two heartbeats: a quarter of the bound, so three can be late or
    /// lost before the server's idle limit ends the session.
    pub fn heartbeat_interval(&self) -> Duration {
        self.bound / 4
    }

    /// Awaits `work`, failing when it gets no answer from the server within the bound. For
    /// statements that are quick by nature (catalog reads, taking a lock).
    pub async fn deadline<T, E>(
        &self,
        what: &str,
        work: impl Future<Output = Result<T, E>>,
    ) -> anyhow::Result<T>
    where
        E: Into<anyhow::Error>,
    {
        match tokio::time::timeout(self.bound, work).await {
            Ok(result) => result.map_err(Into::into),
            Err(_) => Err(self.lost(what).into()),
        }
    }

    /// Runs `work` while `conn` answers a heartbeat every [`Liveness::heartbeat_interval`];
    /// fails as soon as no heartbeat has been answered for the bound, dropping `work` (its
    /// open transaction is rolled back by the server within the bound, see
    /// [`Liveness::session_settings`]).
    pub async fn watch<T>(
        &self,
        conn: &mut PgConnection,
        work: impl Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        self.watch_with(conn, work, |conn| {
            Box::pin(async move {
                sqlx::query("SELECT 1")
                    .execute(conn)
                    .await
                    .context("the heartbeat failed")?;
                Ok(())
            })
        })
        .await
    }

    /// [`Liveness::watch`] with `probe` as the heartbeat: a probe that fails says why the
    /// server counts as lost (a session of the run that the server ended, say).
    pub async fn watch_with<T, P>(
        &self,
        conn: &mut PgConnection,
        work: impl Future<Output = anyhow::Result<T>>,
        probe: P,
    ) -> anyhow::Result<T>
    where
        P: for<'c> FnMut(&'c mut PgConnection) -> Probe<'c>,
    {
        tokio::select! {
            result = work => result,
            lost = self.heartbeat(conn, probe) => Err(lost),
        }
    }

    /// Probes `conn` until a probe fails or goes unanswered for the bound; returns why.
    async fn heartbeat<P>(&self, conn: &mut PgConnection, mut probe: P) -> anyhow::Error
    where
        P: for<'c> FnMut(&'c mut PgConnection) -> Probe<'c>,
    {
        let mut answered = Instant::now();
        loop {
            tokio::time::sleep(self.heartbeat_interval()).await;
            let left = self.bound.saturating_sub(answered.elapsed());
            match tokio::time::timeout(left, probe(&mut *conn)).await {
                Ok(Ok(())) => answered = Instant::now(),
                Ok(Err(err)) => {
                    return Lost(format!(
                        "lost the database server: {err:#}; the server rolls back what was in \
                         progress, so run the command again"
                    ))
                    .into();
                }
                Err(_) => return self.lost("the heartbeat").into(),
            }
        }
    }

    fn lost(&self, what: &str) -> Lost {
        Lost(format!(
            "lost the database server: no answer to {what} for {}s (--hang-timeout); the \
             server ends this client's sessions and rolls back what was in progress within \
             the same time, so run the command again",
            self.bound.as_secs()
        ))
    }
}

/// The server stopped answering, or the connection carrying the heartbeat broke: closing
/// anything gracefully would wait on it again.
#[derive(Debug)]
pub struct Lost(String);

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Lost {}

/// Whether `err`, or any error it wraps, is [`Lost`].
pub fn is_lost(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| cause.is::<Lost>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_gives_up_on_a_silent_peer_within_the_bound() {
        let settings = Liveness::new(Duration::from_secs(20)).session_settings();
        let get = |name: &str| -> u64 {
            settings
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.trim_end_matches("ms").parse().unwrap())
                .unwrap()
        };
        assert_eq!(get("idle_in_transaction_session_timeout"), 20_000);
        assert_eq!(get("idle_session_timeout"), 20_000);
        assert_eq!(get("tcp_user_timeout"), 20_000);
        let keepalive = get("tcp_keepalives_idle")
            + get("tcp_keepalives_interval") * get("tcp_keepalives_count");
        assert!(keepalive <= 20, "{keepalive}s");
    }

    #[test]
    fn a_bound_below_a_second_is_raised_to_one() {
        let liveness = Liveness::new(Duration::from_millis(10));
        assert_eq!(liveness.bound(), Duration::from_secs(1));
        assert!(
            liveness
                .session_settings()
                .iter()
                .all(|(_, v)| !v.starts_with('0'))
        );
    }

    #[tokio::test]
    async fn a_deadline_fails_with_the_bound_in_its_message() {
        let liveness = Liveness::new(Duration::from_secs(1));
        let never = std::future::pending::<Result<(), std::io::Error>>();
        let err = liveness
            .deadline("the lock query", never)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("lost the database server: no answer to the lock query for 1s"),
            "{err}"
        );
        assert!(is_lost(&err.context("take the lock")));
    }
}
