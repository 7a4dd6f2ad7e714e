//! Applying and rolling back one migration: all or nothing, retried on lock timeouts and on
//! deadlocks it lost.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, RuntimeErr, TransactionTrait};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use crate::ledger;
use crate::render::Rendered as Known;
use crate::session::Session;
use crate::settings::Settings;

/// SQLSTATE of `lock_timeout` expiring.
const LOCK_NOT_AVAILABLE: &str = "55P03";
/// SQLSTATE of the server aborting this session's transaction to break a deadlock: a
/// migration that locks several tables against an application that locks them in another
/// order (a message insert holds `messages`, then its trigger wants `conversations`).
const DEADLOCK_DETECTED: &str = "40P01";
/// SQLSTATE of `statement_timeout` expiring (and of a cancelled query).
const QUERY_CANCELED: &str = "57014";

/// A failure that leaves it unknown whether the migration committed: the connection failed
/// without the server's answer. The deployer reads the ledger again to say which.
#[derive(Debug)]
pub struct Uncertain(String);

impl std::fmt::Display for Uncertain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Uncertain {}

/// Whether a migration runs in a transaction: always, unless it opts out explicitly, as
/// `CREATE INDEX CONCURRENTLY` must.
pub fn transactional(migration: &dyn MigrationTrait) -> bool {
    migration.use_transaction() != Some(false)
}

/// Which way a migration runs, and so what its records become.
#[derive(Clone, Copy)]
enum Direction {
    /// Apply it, then record it.
    Up,
    /// Roll it back, then forget it.
    Down,
}

/// Applies one migration and records it.
pub async fn up(session: &Session, known: &Known, settings: &Settings) -> anyhow::Result<()> {
    retry(session, known, settings, "apply", || {
        once(session, known, Direction::Up)
    })
    .await
}

/// Rolls back one migration and forgets it.
pub async fn down(session: &Session, known: &Known, settings: &Settings) -> anyhow::Result<()> {
    retry(session, known, settings, "roll back", || {
        once(session, known, Direction::Down)
    })
    .await
}

async fn once(
    session: &DatabaseConnection,
    known: &Known,
    direction: Direction,
) -> Result<(), DbErr> {
    let migration = known.migration.as_ref();
    if transactional(migration) {
        // The bookkeeping rows are in the migration's transaction: both commit, or neither.
        let txn = session.begin().await?;
        run(migration, &SchemaManager::new(&txn), direction).await?;
        bookkeep(&txn, known, direction).await?;
        txn.commit().await
    } else {
        // Such a migration is written to be re-run (IF NOT EXISTS, invalid-index cleanup):
        // if the process dies before the records below, the next run repeats it harmlessly.
        run(migration, &SchemaManager::new(session), direction).await?;
        let txn = session.begin().await?;
        bookkeep(&txn, known, direction).await?;
        txn.commit().await
    }
}

async fn run(
    migration: &dyn MigrationTrait,
    manager: &SchemaManager<'_>,
    direction: Direction,
) -> Result<(), DbErr> {
    match direction {
        Direction::Up => migration.up(manager).await,
        Direction::Down => migration.down(manager).await,
    }
}

async fn bookkeep<C: ConnectionTrait>(
    db: &C,
    known: &Known,
    direction: Direction,
) -> Result<(), DbErr> {
    let name = known.migration.name();
    match direction {
        Direction::Up => ledger::record(db, name, &known.checksum).await,
        Direction::Down => ledger::forget(db, name).await,
    }
}

async fn retry<F, Fut>(
    session: &Session,
    known: &Known,
    settings: &Settings,
    verb: &str,
    mut once: F,
) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), DbErr>>,
{
    let name = known.migration.name();
    session.announce_lock_timeout();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let err = match once().await {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        let code = sqlstate(&err);
        if let Some(why) = retryable(code.as_deref(), session)
            && attempt <= settings.retries
        {
            if code.as_deref() == Some(LOCK_NOT_AVAILABLE) {
                for vacuum in session.cancel_autovacuum().await {
                    tracing::warn!(
                        "{name}: cancelled `{vacuum}`, which PostgreSQL itself cancels for a \
                         lock waiter past deadlock_timeout; it runs again later"
                    );
                }
            }
            let pause = settings.backoff(attempt);
            tracing::warn!(
                "{name}: {why}; rolled back, trying again in {}ms",
                pause.as_millis()
            );
            // Idle on purpose: the server may end the session meanwhile.
            session.idle(tokio::time::sleep(pause)).await?;
            continue;
        }
        return Err(failure(
            known,
            session,
            settings,
            verb,
            attempt,
            code.as_deref(),
            err,
        ));
    }
}

/// The error of a migration that will not be tried again: what happened, and what the
/// database holds where the server said so.
fn failure(
    known: &Known,
    session: &Session,
    settings: &Settings,
    verb: &str,
    attempt: u32,
    code: Option<&str>,
    err: DbErr,
) -> anyhow::Error {
    let name = known.migration.name();
    match code {
        Some(DEADLOCK_DETECTED) => anyhow::anyhow!(
            "could not {verb} {name}: it lost a deadlock with another session on each of \
                 {attempt} attempts and was rolled back. Migrate again when writes are fewer, \
                 or raise --retries"
        ),
        Some(LOCK_NOT_AVAILABLE) => anyhow::anyhow!(
            "could not {verb} {name}: a table it needs stayed locked by another session \
                 for more than {}ms, {attempt} times; it was rolled back. End the long \
                 transaction (see pg_stat_activity) and migrate again, or raise --retries \
                 (the wait is --ddl-lock-timeout, at most half the server's deadlock_timeout)",
            session.lock_timeout().as_millis()
        ),
        Some(QUERY_CANCELED) => anyhow::anyhow!(
            "could not {verb} {name}: a statement ran longer than --statement-timeout ({}s) \
                 and was cancelled; it was rolled back. Raise --statement-timeout",
            settings.statement_timeout.as_secs()
        ),
        // The server said why: a transaction it aborted is rolled back.
        Some(_) if transactional(known.migration.as_ref()) => {
            anyhow::anyhow!("could not {verb} {name}, so it was rolled back: {err}")
        }
        Some(_) => anyhow::anyhow!(
            "could not {verb} {name}: {err}; it runs outside a transaction, so part of it \
                 may have run: it is written to be run again"
        ),
        // No answer from the server: whether it committed cannot be known here.
        None => anyhow::Error::new(Uncertain(err.to_string()))
            .context(format!("could not {verb} {name}")),
    }
}

/// Why a failure with SQLSTATE `code` may pass on a second try, for the two that roll the
/// migration back whole and depend on other sessions: a lock timeout and a lost deadlock.
fn retryable(code: Option<&str>, session: &Session) -> Option<String> {
    match code {
        Some(LOCK_NOT_AVAILABLE) => Some(format!(
            "a table it needs is locked by another session (waited {}ms)",
            session.lock_timeout().as_millis()
        )),
        Some(DEADLOCK_DETECTED) => {
            Some("the server aborted it to break a deadlock with another session".to_owned())
        }
        _ => None,
    }
}

/// The SQLSTATE of a database error, if it is one.
fn sqlstate(err: &DbErr) -> Option<String> {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned()),
        _ => None,
    }
}
