//! Replica lag: how far the primary's standbys replay behind it, and pausing a long-running
//! helper while one is too far behind.
//!
//! An index build or a backfill writes WAL faster than a busy standby may replay it; reads
//! served by that standby then go stale, and a standby that falls far enough behind can be
//! cut off. So every online helper checks the lag between its steps and waits, saying so,
//! while it exceeds a bound (`--max-replica-lag`, default 10 s), then carries on.
//!
//! The lag of one standby is the larger of two measures:
//! - PostgreSQL's own `pg_stat_replication.replay_lag` (the walsender's estimate; it grows
//!   while the standby's replay is stuck, at each reply of the standby);
//! - the age of the oldest WAL the standby had not replayed when it last replied: the helper
//!   samples the primary's WAL position as it goes, and a reply sent after the primary had
//!   reached a position the standby still had not replayed proves the standby that far
//!   behind. This catches what `replay_lag` leaves NULL, without ever counting a reply sent
//!   before the WAL it is compared with (which would report a lag that is not there). The
//!   reply's time is the standby's clock and the samples the primary's, so clock skew between
//!   them (NTP keeps it to milliseconds) shifts this measure by as much.
//!
//! Only physical standbys count (a logical subscriber's lag is its own business), and only
//! direct ones: a cascaded standby shows on the standby it follows.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DbErr, Statement};

/// The bound helpers use unless told otherwise.
pub const DEFAULT_MAX_LAG: Duration = Duration::from_secs(10);

/// The process's bound in milliseconds, set from `--max-replica-lag`; `u64::MAX`: not set.
static MAX_LAG_MS: AtomicU64 = AtomicU64::new(u64::MAX);

/// The `--max-replica-lag` flag, shared by the `migration` binary and `cargo xtask migrate`.
#[derive(Clone, Debug, clap::Args)]
pub struct LagArgs {
    /// Pause online helpers (index builds, backfills, repair batches) while a standby replays
    /// more than this behind the primary, e.g. 10s, 1m (0s: do not check).
    #[arg(long, global = true, env = "MIGRATE_MAX_REPLICA_LAG", default_value = "10s", value_parser = humantime::parse_duration)]
    pub max_replica_lag: Duration,
}

impl LagArgs {
    /// Makes the flag the bound of every helper this process runs without one of its own:
    /// helpers run inside migrations, which have no other way to receive it.
    pub fn apply(&self) {
        set_default_max_lag(self.max_replica_lag);
    }
}

/// Sets the bound helpers use when their caller gives none.
pub fn set_default_max_lag(max: Duration) {
    let millis = u64::try_from(max.as_millis()).unwrap_or(u64::MAX - 1);
    MAX_LAG_MS.store(millis, Ordering::Relaxed);
}

/// The bound helpers use when their caller gives none: `--max-replica-lag`, else 10 s.
pub fn default_max_lag() -> Duration {
    match MAX_LAG_MS.load(Ordering::Relaxed) {
        u64::MAX => DEFAULT_MAX_LAG,
        millis => Duration::from_millis(millis),
    }
}

/// One standby as the primary sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Replica {
    /// Its `application_name` (the standby's `cluster_name` by default), else its address.
    pub name: String,
    /// How far its replay is behind, by the larger of the two measures (module docs).
    pub lag: Duration,
    /// WAL bytes the primary has written that it has not replayed.
    pub behind_bytes: u64,
}

/// The lag check of one helper run; it remembers the primary's WAL positions between checks.
#[derive(Debug)]
pub struct ReplicaLag {
    max: Duration,
    /// (primary clock in seconds, WAL position) at each check, oldest first.
    samples: VecDeque<(f64, f64)>,
    /// Whether the "cannot see the standbys' positions" warning was given.
    warned_hidden: bool,
}

/// Samples kept at most: one a check, so an hour of one-second checks.
const MAX_SAMPLES: usize = 3600;

/// How often a waiting helper says it is still waiting.
const REMIND_EVERY: Duration = Duration::from_secs(30);

const REPLICAS_SQL: &str = r#"
SELECT concat_ws(' at ', nullif(r.application_name, ''), host(r.client_addr),
                 CASE WHEN r.client_addr IS NULL THEN 'pid ' || r.pid END) AS name,
       extract(epoch FROM r.replay_lag)::float8 AS replay_lag,
       (r.replay_lsn - '0/0'::pg_lsn)::float8 AS replay,
       extract(epoch FROM r.reply_time)::float8 AS reply_time,
       (pg_current_wal_lsn() - '0/0'::pg_lsn)::float8 AS current,
       extract(epoch FROM clock_timestamp())::float8 AS now
  FROM pg_stat_replication r
 WHERE NOT pg_is_in_recovery()
   AND r.pid NOT IN (SELECT active_pid FROM pg_replication_slots
                      WHERE slot_type = 'logical' AND active_pid IS NOT NULL)
 ORDER BY 1"#;

/// One row of [`REPLICAS_SQL`].
struct Row {
    name: String,
    replay_lag: Option<f64>,
    replay: Option<f64>,
    reply_time: Option<f64>,
    current: f64,
    now: f64,
}

impl ReplicaLag {
    /// A check that pauses while a standby is more than `max` behind (zero: never pauses).
    pub fn new(max: Duration) -> Self {
        Self {
            max,
            samples: VecDeque::new(),
            warned_hidden: false,
        }
    }

    /// A check with the process's bound ([`default_max_lag`]).
    pub fn with_default() -> Self {
        Self::new(default_max_lag())
    }

    /// The bound this check pauses at.
    pub fn max(&self) -> Duration {
        self.max
    }

    /// The primary's standbys and how far each is behind, as of now.
    pub async fn replicas<C: ConnectionTrait>(&mut self, db: &C) -> Result<Vec<Replica>, DbErr> {
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                REPLICAS_SQL,
            ))
            .await?
            .iter()
            .map(|row| {
                Ok(Row {
                    name: row.try_get("", "name")?,
                    replay_lag: row.try_get("", "replay_lag")?,
                    replay: row.try_get("", "replay")?,
                    reply_time: row.try_get("", "reply_time")?,
                    current: row.try_get("", "current")?,
                    now: row.try_get("", "now")?,
                })
            })
            .collect::<Result<Vec<Row>, DbErr>>()?;
        if rows.iter().any(|r| r.replay.is_none()) && !self.warned_hidden {
            // Without pg_monitor a role sees the standbys but not their positions.
            tracing::warn!(
                "cannot see how far the standbys are behind: grant pg_monitor to this role, \
                 or replica lag goes unchecked"
            );
            self.warned_hidden = true;
        }
        let replicas = rows.iter().map(|row| self.measure(row)).collect();
        if let Some(first) = rows.first() {
            self.remember(first.now, first.current, &rows);
        }
        Ok(replicas)
    }

    /// One standby's lag: the larger of PostgreSQL's estimate and the proven one.
    fn measure(&self, row: &Row) -> Replica {
        let replay = row.replay.unwrap_or(row.current);
        let proven = match row.reply_time {
            // The first sample past the standby's replay position, taken before its reply.
            Some(reply) => self
                .samples
                .iter()
                .find(|(_, lsn)| *lsn > replay)
                .map_or(0.0, |(at, _)| reply - at),
            None => 0.0,
        };
        // Fully replayed as of its last reply: PostgreSQL's figure may still show how late the
        // last WAL was (it keeps it until two idle replies), but nothing is waiting.
        let lag = if replay >= row.current {
            0.0
        } else {
            row.replay_lag.unwrap_or(0.0).max(proven).max(0.0)
        };
        Replica {
            name: row.name.clone(),
            lag: Duration::from_secs_f64(lag),
            behind_bytes: (row.current - replay).max(0.0) as u64,
        }
    }

    /// Records the primary's position; drops samples every standby has replayed past, which
    /// can never again be the first one a standby lacks.
    fn remember(&mut self, now: f64, current: f64, rows: &[Row]) {
        let slowest = rows
            .iter()
            .map(|r| r.replay.unwrap_or(current))
            .fold(f64::INFINITY, f64::min);
        while self.samples.front().is_some_and(|(_, lsn)| *lsn <= slowest) {
            self.samples.pop_front();
        }
        if self.samples.len() == MAX_SAMPLES {
            self.samples.pop_front();
        }
        self.samples.push_back((now, current));
    }

    /// The standby furthest behind, when it is more than the bound behind.
    pub async fn too_far<C: ConnectionTrait>(&mut self, db: &C) -> Result<Option<Replica>, DbErr> {
        if self.max.is_zero() {
            return Ok(None);
        }
        let worst = self.replicas(db).await?.into_iter().max_by_key(|r| r.lag);
        Ok(worst.filter(|r| r.lag > self.max))
    }

    /// Returns at once when no standby is more than the bound behind; otherwise says so, waits
    /// until none is, says so again, and returns how long it waited. `what` names the helper
    /// and its step for the messages.
    pub async fn wait<C: ConnectionTrait>(
        &mut self,
        db: &C,
        what: &str,
    ) -> Result<Duration, DbErr> {
        let Some(first) = self.too_far(db).await? else {
            return Ok(Duration::ZERO);
        };
        let max = self.max.as_secs_f64();
        tracing::info!(
            "{what}: pausing: replica {} replays {:.1}s behind the primary ({} bytes), more \
             than --max-replica-lag {max}s",
            first.name,
            first.lag.as_secs_f64(),
            first.behind_bytes
        );
        let started = Instant::now();
        let mut reminded = Instant::now();
        // Poll often enough to resume soon after recovery, never more than once a second.
        let poll = (self.max / 2).clamp(Duration::from_millis(100), Duration::from_secs(1));
        loop {
            tokio::time::sleep(poll).await;
            let Some(worst) = self.too_far(db).await? else {
                break;
            };
            if reminded.elapsed() >= REMIND_EVERY {
                tracing::info!(
                    "{what}: still paused after {}s: replica {} is {:.1}s behind",
                    started.elapsed().as_secs(),
                    worst.name,
                    worst.lag.as_secs_f64()
                );
                reminded = Instant::now();
            }
        }
        let waited = started.elapsed();
        tracing::info!(
            "{what}: replicas caught up (within {max}s); continuing after a {:.1}s pause",
            waited.as_secs_f64()
        );
        Ok(waited)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(replay: f64, reply_time: f64, replay_lag: Option<f64>) -> Row {
        Row {
            name: "standby".into(),
            replay_lag,
            replay: Some(replay),
            reply_time: Some(reply_time),
            current: 500.0,
            now: 100.0,
        }
    }

    #[test]
    fn a_reply_after_unreplayed_wal_proves_the_lag() {
        let mut check = ReplicaLag::new(Duration::from_secs(10));
        check
            .samples
            .extend([(10.0, 100.0), (20.0, 200.0), (30.0, 300.0)]);
        // Replayed up to 150 when it replied at 45: WAL at 200 existed at 20, so 25 s behind.
        let replica = check.measure(&row(150.0, 45.0, None));
        assert_eq!(replica.lag, Duration::from_secs(25));
        assert_eq!(replica.behind_bytes, 350);
        // PostgreSQL's own estimate wins when it is larger.
        let replica = check.measure(&row(150.0, 45.0, Some(40.0)));
        assert_eq!(replica.lag, Duration::from_secs(40));
    }

    #[test]
    fn a_reply_older_than_the_wal_it_lacks_proves_nothing() {
        let mut check = ReplicaLag::new(Duration::from_secs(10));
        check.samples.extend([(10.0, 100.0), (20.0, 200.0)]);
        // The standby replied at 15, before the WAL at 200 was written: no lag proven.
        assert_eq!(check.measure(&row(150.0, 15.0, None)).lag, Duration::ZERO);
        // Caught up: nothing unreplayed, whatever PostgreSQL's last figure says.
        assert_eq!(
            check.measure(&row(500.0, 99.0, Some(12.0))).lag,
            Duration::ZERO
        );
    }

    #[test]
    fn samples_every_standby_passed_are_dropped() {
        let mut check = ReplicaLag::new(Duration::from_secs(10));
        check
            .samples
            .extend([(10.0, 100.0), (20.0, 200.0), (30.0, 300.0)]);
        check.remember(40.0, 400.0, &[row(250.0, 35.0, None)]);
        let kept: Vec<f64> = check.samples.iter().map(|(_, lsn)| *lsn).collect();
        assert_eq!(kept, [300.0, 400.0]);
    }

    #[test]
    fn the_process_bound_defaults_to_ten_seconds() {
        assert_eq!(DEFAULT_MAX_LAG, Duration::from_secs(10));
        assert_eq!(ReplicaLag::new(Duration::ZERO).max(), Duration::ZERO);
    }
}
