//! How long a deploy waits for the database, for another migrator, and for table locks.

use std::time::Duration;

/// Timeouts of a migrator run. The defaults suit a production deploy: wait a minute for the
/// database and for another migrator, give up on a table lock after 5 s (so a migration never
/// queues behind a long transaction while the application's queries queue behind it), and
/// retry that a few times with backoff.
#[derive(Clone, Debug, clap::Args)]
pub struct Settings {
    /// How long to wait for another migrator to finish (the advisory lock), e.g. 60s, 5m.
    #[arg(long, global = true, env = "MIGRATE_LOCK_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub lock_timeout: Duration,
    /// PostgreSQL `lock_timeout` of migration sessions: how long one statement may wait for a
    /// table lock before the migration is rolled back and retried.
    #[arg(long, global = true, env = "MIGRATE_DDL_LOCK_TIMEOUT", default_value = "5s", value_parser = humantime::parse_duration)]
    pub ddl_lock_timeout: Duration,
    /// PostgreSQL `statement_timeout` of migration sessions (0s: none).
    #[arg(long, global = true, env = "MIGRATE_STATEMENT_TIMEOUT", default_value = "15m", value_parser = humantime::parse_duration)]
    pub statement_timeout: Duration,
    /// How many times a migration that hit the lock timeout is tried again, with backoff.
    #[arg(long, global = true, env = "MIGRATE_RETRIES", default_value_t = 3)]
    pub retries: u32,
    /// How long to wait for the database to accept connections, e.g. 60s.
    #[arg(long, global = true, env = "MIGRATE_WAIT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub wait: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            lock_timeout: Duration::from_secs(60),
            ddl_lock_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(15 * 60),
            retries: 3,
            wait: Duration::from_secs(60),
        }
    }
}

impl Settings {
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
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let s = Settings::default();
        assert_eq!(s.backoff(1), Duration::from_millis(500));
        assert_eq!(s.backoff(2), Duration::from_secs(1));
        assert_eq!(s.backoff(20), Duration::from_secs(8));
    }
}
