//! How long a deploy waits for the database, for another migrator, for table locks, and on a
//! silent peer.

use std::time::Duration;

/// How long a migrator and its server wait on each other once one of them falls silent.
pub const DEFAULT_HANG_TIMEOUT: Duration = Duration::from_secs(20);

/// Timeouts of a migrator run. The defaults suit a production deploy: wait a minute for the
/// database and for another migrator, give up on a table lock after 5 s (so a migration never
/// queues behind a long transaction while the application's queries queue behind it), or
/// after half the server's `deadlock_timeout` when that is shorter (so that in a lock cycle
/// the migration, never an application's writer, is the one rolled back), retry that a few
/// times with backoff, and give up on a silent server (or let the server give up on a
/// vanished migrator, releasing its locks) after 20 s.
#[derive(Clone, Debug, clap::Args)]
pub struct Settings {
    /// How long to wait for another migrator to finish (the advisory lock), e.g. 60s, 5m.
    #[arg(long, global = true, env = "MIGRATE_LOCK_TIMEOUT", default_value = "60s", value_name = "DURATION", value_parser = dbconn::cli::duration)]
    pub lock_timeout: Duration,
    /// PostgreSQL `lock_timeout` of migration sessions: how long one statement may wait for a
    /// table lock before the migration is rolled back and retried. Lowered to half the
    /// server's `deadlock_timeout` when longer (0s, no limit, too): in a lock cycle with an
    /// application's writer the migration's wait must end first, so that the migration is
    /// rolled back and retried and the writer is never the deadlock's victim.
    #[arg(long, global = true, env = "MIGRATE_DDL_LOCK_TIMEOUT", default_value = "5s", value_name = "DURATION", value_parser = dbconn::cli::duration)]
    pub ddl_lock_timeout: Duration,
    /// PostgreSQL `statement_timeout` of migration sessions (0s: none).
    #[arg(long, global = true, env = "MIGRATE_STATEMENT_TIMEOUT", default_value = "15m", value_name = "DURATION", value_parser = dbconn::cli::duration)]
    pub statement_timeout: Duration,
    /// How many times a migration that hit the lock timeout, or lost a deadlock, is tried
    /// again, with backoff.
    #[arg(long, global = true, env = "MIGRATE_RETRIES", default_value = "3", value_name = "N", value_parser = dbconn::cli::whole::<u32>)]
    pub retries: u32,
    /// How long to wait for the database to accept connections, e.g. 60s.
    #[arg(long, global = true, env = "MIGRATE_WAIT", default_value = "60s", value_name = "DURATION", value_parser = dbconn::cli::duration)]
    pub wait: Duration,
    /// How long a silent peer is tolerated (at least 1s): the migrator exits with an error
    /// when its server answers nothing for this long, and the server ends the sessions of a
    /// migrator it has not heard from for this long, rolling back and releasing its locks.
    #[arg(long, global = true, env = "MIGRATE_HANG_TIMEOUT", default_value = "20s", value_name = "DURATION", value_parser = dbconn::cli::duration_of_a_second_or_more)]
    pub hang_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            lock_timeout: Duration::from_secs(60),
            ddl_lock_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(15 * 60),
            retries: 3,
            wait: Duration::from_secs(60),
            hang_timeout: DEFAULT_HANG_TIMEOUT,
        }
    }
}

impl Settings {
    /// The bound on a silent peer, for both sides of every migration session.
    pub fn liveness(&self) -> dbconn::Liveness {
        dbconn::Liveness::new(self.hang_timeout)
    }

    /// The pause before retry number `attempt` (1-based): 0.5 s, 1 s, 2 s, ... at most 8 s.
    pub fn backoff(&self, attempt: u32) -> Duration {
        Duration::from_millis(500) * 2u32.pow(attempt.saturating_sub(1).min(4))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    #[test]
    fn flag_defaults_match_the_documented_defaults() {
        let parsed = Cli::try_parse_from(["migrate"]).unwrap().settings;
        let default = Settings::default();
        assert_eq!(parsed.lock_timeout, default.lock_timeout);
        assert_eq!(parsed.ddl_lock_timeout, default.ddl_lock_timeout);
        assert_eq!(parsed.statement_timeout, default.statement_timeout);
        assert_eq!(parsed.retries, default.retries);
        assert_eq!(parsed.wait, default.wait);
        assert_eq!(parsed.hang_timeout, default.hang_timeout);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let s = Settings::default();
        assert_eq!(s.backoff(1), Duration::from_millis(500));
        assert_eq!(s.backoff(2), Duration::from_secs(1));
        assert_eq!(s.backoff(20), Duration::from_secs(8));
    }
}
