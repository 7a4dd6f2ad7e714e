//! Sessions and the server: long transactions and lock waits of this database, connections
//! against `max_connections`, and replication lag.

use sea_orm::DatabaseTransaction;
use sea_orm::prelude::Json;

use super::thresholds::Thresholds;
use super::{Finding, Level, first_row, one_line, rows};

/// An open transaction of another session of this database.
#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    pub pid: i32,
    pub user: String,
    pub application: String,
    pub client: String,
    /// `active`, `idle in transaction` ...
    pub state: String,
    /// Seconds since the transaction began.
    pub seconds: f64,
    /// The statement it runs, or ran last; one line, cut.
    pub query: String,
}

/// A session whose statement waits on a lock, with the sessions it waits for.
#[derive(Debug, Clone, PartialEq)]
pub struct LockWait {
    pub pid: i32,
    pub user: String,
    pub application: String,
    /// Seconds since its statement started (the wait is part of it).
    pub seconds: f64,
    /// `Lock:relation`, `Lock:transactionid` ...
    pub wait_event: String,
    pub query: String,
    /// `pg_blocking_pids`: every session it waits for (0 for a prepared transaction).
    pub blocked_by: Vec<i32>,
    pub blockers: Vec<Blocker>,
}

/// A session that holds what another waits for.
#[derive(Debug, Clone, PartialEq)]
pub struct Blocker {
    pub pid: i32,
    pub state: String,
    pub application: String,
    /// Seconds its transaction has been open, if one is.
    pub transaction_seconds: Option<f64>,
    pub query: String,
}

/// Client connections of the whole server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Connections {
    pub used: i64,
    pub max: i64,
    /// Of `max`, the slots only superusers may take.
    pub reserved: i64,
    pub active: i64,
    pub idle_in_transaction: i64,
}

impl Connections {
    pub fn percent(&self) -> f64 {
        self.used as f64 * 100.0 / self.max.max(1) as f64
    }
}

/// A replica streaming from this server.
#[derive(Debug, Clone, PartialEq)]
pub struct Replica {
    pub name: String,
    pub client: String,
    pub state: String,
    /// Seconds its replay is behind (0 when caught up).
    pub lag_seconds: f64,
    /// WAL bytes it has yet to replay.
    pub behind_bytes: i64,
}

/// Replication as seen from this server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replication {
    /// This server is a standby; its own replay lag is `standby_lag_seconds`.
    pub standby: bool,
    pub standby_lag_seconds: Option<f64>,
    pub replicas: Vec<Replica>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Activity {
    pub transactions: Vec<Transaction>,
    pub lock_waits: Vec<LockWait>,
    pub connections: Connections,
    pub replication: Replication,
}

pub(super) async fn read(txn: &DatabaseTransaction) -> anyhow::Result<Activity> {
    Ok(Activity {
        transactions: transactions(txn).await?,
        lock_waits: lock_waits(txn).await?,
        connections: connections(txn).await?,
        replication: replication(txn).await?,
    })
}

/// Client sessions of this database (other databases hold back neither its vacuum nor its
/// locks) with a transaction open, the monitor's own left out.
async fn transactions(txn: &DatabaseTransaction) -> anyhow::Result<Vec<Transaction>> {
    let sql = format!(
        "SELECT pid, coalesce(usename::text, ''), coalesce(application_name, ''), \
         coalesce(host(client_addr), 'local'), coalesce(state, ''), \
         extract(epoch FROM clock_timestamp() - xact_start)::float8, {} \
         FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND backend_type = 'client backend' \
         AND xact_start IS NOT NULL ORDER BY xact_start, pid",
        one_line("query")
    );
    rows(txn, &sql)
        .await?
        .iter()
        .map(|r| {
            Ok(Transaction {
                pid: r.try_get_by_index(0)?,
                user: r.try_get_by_index(1)?,
                application: r.try_get_by_index(2)?,
                client: r.try_get_by_index(3)?,
                state: r.try_get_by_index(4)?,
                seconds: r.try_get_by_index(5)?,
                query: r.try_get_by_index(6)?,
            })
        })
        .collect()
}

async fn lock_waits(txn: &DatabaseTransaction) -> anyhow::Result<Vec<LockWait>> {
    let sql = format!(
        "SELECT w.pid, coalesce(w.usename::text, ''), coalesce(w.application_name, ''), \
         extract(epoch FROM clock_timestamp() - w.query_start)::float8, \
         coalesce(w.wait_event_type || ':' || w.wait_event, ''), {}, \
         to_json(pg_blocking_pids(w.pid)), \
         coalesce((SELECT json_agg(json_build_object('pid', b.pid, 'state', coalesce(b.state, ''), \
           'application', coalesce(b.application_name, ''), 'transaction_seconds', \
           extract(epoch FROM clock_timestamp() - b.xact_start)::float8, 'query', {}) \
           ORDER BY b.pid) FROM pg_stat_activity b WHERE b.pid = ANY (pg_blocking_pids(w.pid))), \
           '[]'::json) \
         FROM pg_stat_activity w WHERE w.datname = current_database() \
         AND cardinality(pg_blocking_pids(w.pid)) > 0 ORDER BY w.query_start, w.pid",
        one_line("w.query"),
        one_line("b.query")
    );
    rows(txn, &sql)
        .await?
        .iter()
        .map(|r| {
            let blocked_by: Json = r.try_get_by_index(6)?;
            let blockers: Json = r.try_get_by_index(7)?;
            Ok(LockWait {
                pid: r.try_get_by_index(0)?,
                user: r.try_get_by_index(1)?,
                application: r.try_get_by_index(2)?,
                seconds: r.try_get_by_index(3)?,
                wait_event: r.try_get_by_index(4)?,
                query: r.try_get_by_index(5)?,
                blocked_by: pids(&blocked_by),
                blockers: blockers
                    .as_array()
                    .map_or_else(Vec::new, |list| list.iter().map(blocker).collect()),
            })
        })
        .collect()
}

fn pids(value: &Json) -> Vec<i32> {
    value.as_array().map_or_else(Vec::new, |list| {
        list.iter()
            .filter_map(|v| v.as_i64().and_then(|p| i32::try_from(p).ok()))
            .collect()
    })
}

fn blocker(value: &Json) -> Blocker {
    let text = |key: &str| value[key].as_str().unwrap_or_default().to_owned();
    Blocker {
        pid: value["pid"]
            .as_i64()
            .and_then(|p| i32::try_from(p).ok())
            .unwrap_or(0),
        state: text("state"),
        application: text("application"),
        transaction_seconds: value["transaction_seconds"].as_f64(),
        query: text("query"),
    }
}

async fn connections(txn: &DatabaseTransaction) -> anyhow::Result<Connections> {
    let row = first_row(
        txn,
        "SELECT count(*) FILTER (WHERE backend_type = 'client backend')::int8, \
         current_setting('max_connections')::int8, \
         current_setting('superuser_reserved_connections')::int8, \
         count(*) FILTER (WHERE backend_type = 'client backend' AND state = 'active')::int8, \
         count(*) FILTER (WHERE backend_type = 'client backend' \
           AND state LIKE 'idle in transaction%')::int8 \
         FROM pg_stat_activity",
    )
    .await?;
    Ok(Connections {
        used: row.try_get_by_index(0)?,
        max: row.try_get_by_index(1)?,
        reserved: row.try_get_by_index(2)?,
        active: row.try_get_by_index(3)?,
        idle_in_transaction: row.try_get_by_index(4)?,
    })
}

async fn replication(txn: &DatabaseTransaction) -> anyhow::Result<Replication> {
    let standby: bool = first_row(txn, "SELECT pg_is_in_recovery()")
        .await?
        .try_get_by_index(0)?;
    if standby {
        // Caught up when everything received is replayed, however old the last commit.
        let row = first_row(
            txn,
            "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
             ELSE extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) \
             END::float8",
        )
        .await?;
        return Ok(Replication {
            standby,
            standby_lag_seconds: row.try_get_by_index(0)?,
            replicas: Vec::new(),
        });
    }
    let replicas = rows(
        txn,
        "SELECT coalesce(application_name, ''), coalesce(host(client_addr), 'local'), \
         coalesce(state, ''), coalesce(extract(epoch FROM replay_lag), 0)::float8, \
         coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::int8 \
         FROM pg_stat_replication ORDER BY 1, 2",
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Replica {
            name: r.try_get_by_index(0)?,
            client: r.try_get_by_index(1)?,
            state: r.try_get_by_index(2)?,
            lag_seconds: r.try_get_by_index(3)?,
            behind_bytes: r.try_get_by_index(4)?,
        })
    })
    .collect::<anyhow::Result<_>>()?;
    Ok(Replication {
        standby,
        standby_lag_seconds: None,
        replicas,
    })
}

pub(super) fn findings(activity: &Activity, t: &Thresholds) -> Vec<Finding> {
    let mut out: Vec<Finding> = activity
        .transactions
        .iter()
        .filter_map(|tx| transaction_finding(tx, t))
        .collect();
    out.extend(activity.lock_waits.iter().map(|w| lock_wait_finding(w, t)));
    let c = &activity.connections;
    let level = t.connections.level(c.percent());
    if level >= Level::Warn {
        out.push(Finding {
            level,
            check: "connections",
            subject: "server".into(),
            message: format!(
                "{} of max_connections {} in use ({}), {} idle in a transaction: use a pooler \
                 for the application, or raise max_connections",
                c.used,
                c.max,
                t.connections.show(c.percent()),
                c.idle_in_transaction
            ),
        });
    }
    out.extend(replication_findings(&activity.replication, t));
    out
}

fn transaction_finding(tx: &Transaction, t: &Thresholds) -> Option<Finding> {
    let level = t.transaction_age.level(tx.seconds);
    (level >= Level::Warn).then(|| Finding {
        level,
        check: "transaction",
        subject: format!("pid {}", tx.pid),
        message: format!(
            "a transaction open for {} ({}, application `{}`, user {}, from {}; last \
             statement: {}): it holds its locks and holds back vacuum: find its owner, or end \
             it with SELECT pg_terminate_backend({})",
            t.transaction_age.show(tx.seconds),
            tx.state,
            tx.application,
            tx.user,
            tx.client,
            tx.query,
            tx.pid
        ),
    })
}

/// Every waiting session is reported; the threshold only sets how loudly.
fn lock_wait_finding(wait: &LockWait, t: &Thresholds) -> Finding {
    let blockers: Vec<String> = wait
        .blocked_by
        .iter()
        .map(|pid| match wait.blockers.iter().find(|b| b.pid == *pid) {
            Some(b) => format!(
                "pid {pid} ({}, application `{}`, transaction open {}: {})",
                b.state,
                b.application,
                b.transaction_seconds
                    .map_or_else(|| "-".to_owned(), super::duration),
                b.query
            ),
            None => format!("pid {pid} (a prepared transaction, or gone)"),
        })
        .collect();
    Finding {
        level: t.lock_wait.level(wait.seconds),
        check: "lock wait",
        subject: format!("pid {}", wait.pid),
        message: format!(
            "waiting {} on {} (application `{}`: {}), blocked by {}",
            t.lock_wait.show(wait.seconds),
            wait.wait_event,
            wait.application,
            wait.query,
            blockers.join(", ")
        ),
    }
}

fn replication_findings(r: &Replication, t: &Thresholds) -> Vec<Finding> {
    let lag = t.replication_lag;
    let mut out = Vec::new();
    if let Some(seconds) = r
        .standby_lag_seconds
        .filter(|s| lag.level(*s) >= Level::Warn)
    {
        out.push(Finding {
            level: lag.level(seconds),
            check: "replication",
            subject: "this standby".into(),
            message: format!("replay is {} behind its primary", lag.show(seconds)),
        });
    }
    for replica in r
        .replicas
        .iter()
        .filter(|x| lag.level(x.lag_seconds) >= Level::Warn)
    {
        out.push(Finding {
            level: lag.level(replica.lag_seconds),
            check: "replication",
            subject: format!("replica `{}` ({})", replica.name, replica.client),
            message: format!(
                "replay is {} ({} bytes of WAL) behind, state {}",
                lag.show(replica.lag_seconds),
                replica.behind_bytes,
                replica.state
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocked_session_names_what_blocks_it() {
        let wait = LockWait {
            pid: 20,
            user: "app".into(),
            application: "api".into(),
            seconds: 45.0,
            wait_event: "Lock:relation".into(),
            query: "SELECT 1".into(),
            blocked_by: vec![10, 0],
            blockers: vec![Blocker {
                pid: 10,
                state: "idle in transaction".into(),
                application: "psql".into(),
                transaction_seconds: Some(400.0),
                query: "LOCK t".into(),
            }],
        };
        let found = lock_wait_finding(&wait, &Thresholds::default());
        assert_eq!(found.level, Level::Warn);
        assert!(found.message.contains("blocked by pid 10 (idle in transaction, application `psql`, transaction open 6m 40s: LOCK t), pid 0 (a prepared transaction, or gone)"), "{}", found.message);
    }

    #[test]
    fn connections_and_lag_are_judged_by_their_thresholds() {
        let activity = Activity {
            connections: Connections {
                used: 95,
                max: 100,
                ..Connections::default()
            },
            replication: Replication {
                replicas: vec![Replica {
                    name: "r1".into(),
                    client: "10.0.0.2".into(),
                    state: "streaming".into(),
                    lag_seconds: 40.0,
                    behind_bytes: 1 << 20,
                }],
                ..Replication::default()
            },
            ..Activity::default()
        };
        let found = findings(&activity, &Thresholds::default());
        let levels: Vec<(&str, Level)> = found.iter().map(|f| (f.check, f.level)).collect();
        assert_eq!(
            levels,
            [("connections", Level::Crit), ("replication", Level::Warn)]
        );
    }
}
