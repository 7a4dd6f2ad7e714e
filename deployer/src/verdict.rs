//! What a failed apply or rollback says about the migration it was running: read from the
//! ledger on a new connection, never assumed.
//!
//! A connection that fails while a migration commits leaves the migrator unable to know
//! whether the commit happened: the server may have committed and recorded it, then lost the
//! answer. Rather than guess ("so it was rolled back"), the deployer asks the ledger again on a
//! fresh connection, waiting for the server as long as `--wait` allows (it may be restarting).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sea_orm::{DbErr, RuntimeErr};

use crate::apply::Uncertain;
use crate::ledger;
use crate::settings::Settings;

/// The migration a run is applying or rolling back right now.
#[derive(Clone, Debug)]
pub struct InFlight {
    pub name: String,
    /// Applying (true) or rolling back.
    pub up: bool,
    /// Run in one transaction with its records.
    pub transactional: bool,
}

/// The migration in flight, shared between the run and what explains its failure.
#[derive(Debug, Default)]
pub struct Tracker(Mutex<Option<InFlight>>);

impl Tracker {
    pub fn set(&self, flight: Option<InFlight>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = flight;
    }

    fn take(&self) -> Option<InFlight> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// `err` with what the ledger says of the migration in flight, when the failure leaves it in
/// doubt: the connection failed (no answer from the server, or a lost server).
pub async fn explain(
    err: anyhow::Error,
    tracker: &Tracker,
    server: &PgConnectOptions,
    settings: &Settings,
) -> anyhow::Error {
    let Some(flight) = tracker.take() else {
        return err;
    };
    let lost = dbconn::liveness::is_lost(&err);
    if !lost && !err.chain().any(|cause| cause.is::<Uncertain>()) {
        return err;
    }
    // A silent server would hold the exit past --hang-timeout: no second try then.
    let recorded = if lost {
        None
    } else {
        recorded(server, &flight.name, settings).await
    };
    let verdict = say(&flight, recorded);
    err.context(verdict)
}

/// The sentence for `flight`, given whether the ledger has it (`None`: it could not be read).
fn say(flight: &InFlight, recorded: Option<bool>) -> String {
    let name = &flight.name;
    match (recorded, flight.up) {
        (None, _) => format!(
            "state unknown: whether {name} was {} could not be read from the ledger: run \
             `migration status`",
            if flight.up { "applied" } else { "rolled back" }
        ),
        (Some(true), true) => format!(
            "{name} is applied and recorded after all (the ledger, read again on a new \
             connection, has it): the connection failed after its commit, nothing to redo"
        ),
        (Some(false), true) if flight.transactional => format!(
            "{name} is not applied (the ledger, read again on a new connection, does not have \
             it): its transaction was rolled back, so migrate again"
        ),
        (Some(false), true) => format!(
            "{name} is not recorded (the ledger, read again on a new connection, does not have \
             it); it runs outside a transaction, so part of it may have run: it is written to \
             be run again, so migrate again"
        ),
        (Some(true), false) => format!(
            "{name} is still applied (the ledger, read again on a new connection, has it): \
             roll back again"
        ),
        (Some(false), false) => format!(
            "{name} is rolled back and forgotten after all (the ledger, read again on a new \
             connection, does not have it)"
        ),
    }
}

/// Whether the ledger records `version`, read on new connections until one answers or
/// `--wait` runs out; `None` when none did.
async fn recorded(server: &PgConnectOptions, version: &str, settings: &Settings) -> Option<bool> {
    let liveness = settings.liveness();
    let options = liveness.apply(server.clone());
    let deadline = Instant::now() + settings.wait;
    loop {
        let read = async {
            // One new connection, read as every other ledger read is.
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await
                .map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(e.into())))?;
            let db = sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
            let applied = ledger::read(&db).await;
            db.close().await.ok();
            applied.map(|applied| applied.contains_key(version))
        };
        if let Ok(Ok(has)) = tokio::time::timeout(liveness.bound(), read).await {
            return Some(has);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flight(up: bool, transactional: bool) -> InFlight {
        InFlight {
            name: "m1_x".into(),
            up,
            transactional,
        }
    }

    #[test]
    fn each_ledger_reading_says_what_it_means() {
        assert!(say(&flight(true, true), Some(true)).starts_with("m1_x is applied and recorded"));
        assert!(say(&flight(true, true), Some(false)).contains("was rolled back"));
        assert!(say(&flight(true, false), Some(false)).contains("part of it may have run"));
        assert!(say(&flight(true, true), None).starts_with("state unknown"));
        assert!(say(&flight(false, true), Some(true)).contains("still applied"));
    }
}
