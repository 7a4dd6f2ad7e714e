//! A migrator killed at any point leaves only whole migrations, and the next run finishes.
//!
//! The kill points are not left to chance: a gate (an event trigger that takes a shared
//! advisory lock after every DDL statement of a migration, while the test holds it
//! exclusively) stops the toy binary inside each migration's transaction in turn, its DDL
//! done and its records not yet written; the test lets it through one transaction at a time
//! until it waits after the DDL of the migration to kill it in, and kills it there. Kills during the start and the ledger's creation are the
//! connection-reset test's (`hang.rs`), which cuts a run at bytes spread over all of it.

use std::time::Duration;

use dbcheck::catalog::{Snapshot, assert_same};
use sea_orm::sqlx::{self, Connection, PgConnection};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use smoke_tests::{TestDb, migrator, snapshot, toy};

use super::{applied, toy_steps, wait_for_zero};

/// The gate's advisory lock keys.
const GATE: (i32, i32) = (0x746f_7967, 1);

/// Installs on `db` an event trigger that, after every DDL statement of a migration, waits
/// while the gate is closed. The ledger's own tables pass: the deployer may create them on
/// two sessions at once, which would let one step of the gate pass two of them.
async fn install_gate(db: &DatabaseConnection) {
    let (key1, key2) = GATE;
    db.execute_unprepared(&format!(
        r"CREATE SCHEMA toy_gate;
          CREATE FUNCTION toy_gate.pass() RETURNS event_trigger LANGUAGE plpgsql AS $$
          BEGIN
            IF EXISTS (SELECT FROM pg_event_trigger_ddl_commands()
                       WHERE object_identity NOT LIKE 'public.seaql\_%') THEN
              PERFORM pg_advisory_xact_lock_shared({key1}, {key2});
            END IF;
          END $$;
          CREATE EVENT TRIGGER toy_gate ON ddl_command_end EXECUTE FUNCTION toy_gate.pass()"
    ))
    .await
    .expect("install the gate");
}

/// The name the killed migrator's main connection carries; its lock and migration sessions
/// carry the toy project's.
const MAIN: &str = "toy-killed";

#[tokio::test]
async fn a_migrator_killed_anywhere_leaves_only_whole_migrations() {
    let reference = TestDb::new("toy_killed_migrator_reference").await;
    install_gate(&reference.db).await;
    let steps = toy_steps(&reference.db).await;
    let rendered = deployer::render::render_all(toy::migrations())
        .await
        .expect("render the toy");
    for (n, migration) in rendered.iter().enumerate() {
        let statement = &migration.statements[0];
        // Killed inside migration n's transaction: exactly the n before it stay.
        assert_eq!(
            kill_in(n, statement, &steps).await,
            n,
            "{}",
            migration.name()
        );
    }
}

/// Kills a toy binary inside the transaction whose DDL is `statement`; returns how many
/// migrations it left applied. A migrator that gets past the gate unseen (none should, but a
/// loaded machine has surprised us) is tried again, twice, saying so.
async fn kill_in(n: usize, statement: &str, steps: &[Snapshot]) -> usize {
    for attempt in 0..3 {
        match kill_at(&format!("{n}_{attempt}"), statement, steps).await {
            Ok(applied) => return applied,
            Err(printed) => eprintln!("the migrator passed `{statement}` unseen: {printed}"),
        }
    }
    panic!("the migrator never stopped at `{statement}`")
}

/// Starts the toy binary on a database of its own behind a closed gate, lets it through
/// until it waits after `statement`, kills it, and checks that it left whole migrations only
/// and that the next run completes. Returns how many migrations the killed run left applied;
/// `Err` with what it printed when the migrator finished without stopping there.
async fn kill_at(round: &str, statement: &str, steps: &[Snapshot]) -> Result<usize, String> {
    let test = TestDb::new(&format!("toy_killed_migrator_{round}")).await;
    install_gate(&test.db).await;
    let mut gate = Gate::close(&test.url).await;
    let url = format!("{}?application_name={MAIN}", test.url);
    let mut child = migrator::toy_command(&url, &["up"])
        .spawn()
        .expect("start a migrator");
    loop {
        match gate.waiting(&test.db, &mut child).await {
            Some(query) if query.contains(statement) => break,
            Some(_) => gate.let_one_transaction_through().await,
            None => return Err(finished(child).await),
        }
    }
    child.start_kill().ok(); // SIGKILL: no cleanup of any kind runs.
    child.wait().await.expect("reap the migrator");
    // A backend waiting at the gate notices its client's death only once it passes.
    drop(gate);
    sessions_of_the_dead_migrator_end(&test.db).await;

    let applied = applied(&test.db).await.len();
    let name = format!("killed after `{statement}` with {applied} applied");
    let whole = format!("exactly {applied} whole migration(s)");
    assert_same(&snapshot(&test.db).await, &steps[applied], &name, &whole);

    let output = migrator::run_toy(&test.url, &["up"]).await;
    assert!(
        output.status.success(),
        "{name}: the run after the kill failed: {}",
        migrator::last_stderr_line(&output)
    );
    assert_same(
        &snapshot(&test.db).await,
        &steps[steps.len() - 1],
        &format!("{name}: completed after the kill"),
        "a run never killed",
    );
    Ok(applied)
}

/// What a migrator that got through every gate printed; it must have succeeded.
async fn finished(child: tokio::process::Child) -> String {
    let output = child.wait_with_output().await.expect("reap the migrator");
    assert!(output.status.success(), "{}", migrator::printed(&output));
    migrator::printed(&output)
}

/// The test's side of the gate: a session holding its lock, so DDL waits.
struct Gate(PgConnection);

impl Gate {
    async fn close(url: &str) -> Gate {
        let mut conn = PgConnection::connect(url)
            .await
            .expect("the gate's session");
        sqlx::query("SELECT pg_advisory_lock($1, $2)")
            .bind(GATE.0)
            .bind(GATE.1)
            .execute(&mut conn)
            .await
            .expect("close the gate");
        Gate(conn)
    }

    /// Waits until the migrator waits at the gate, and returns the statement it waits after;
    /// `None` once it has exited.
    async fn waiting(
        &self,
        db: &DatabaseConnection,
        child: &mut tokio::process::Child,
    ) -> Option<String> {
        let waiting = format!(
            "SELECT a.query FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND NOT l.granted AND l.classid = {} \
               AND l.objid = {} AND l.objsubid = 2 AND a.datname = current_database()",
            GATE.0, GATE.1
        );
        for _ in 0..3000 {
            if let Some(query) = crate::query_strings(db, &waiting).await.pop() {
                return Some(query);
            }
            if child.try_wait().expect("the migrator's status").is_some() {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the migrator neither reached the gate nor ended within 60 s");
    }

    /// Opens the gate to the waiting transaction and closes it behind it: the lock is ours
    /// again only once that transaction has ended. One statement does both, so the request
    /// to close is queued before the migrator, granted the lock, can end its transaction and
    /// pass the gate again unseen.
    async fn let_one_transaction_through(&mut self) {
        sqlx::query("SELECT pg_advisory_unlock($1, $2), pg_advisory_lock($1, $2)")
            .bind(GATE.0)
            .bind(GATE.1)
            .execute(&mut self.0)
            .await
            .expect("step the gate");
    }
}

/// PostgreSQL ends a dead client's sessions when it notices the closed socket, and rolls
/// back its open transaction; the database is judged after that, as the next deploy sees it.
async fn sessions_of_the_dead_migrator_end(db: &DatabaseConnection) {
    let sql = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND application_name IN ('{}', '{MAIN}')",
        smoke_tests::toy::APPLICATION
    );
    wait_for_zero(db, &sql, Duration::from_secs(10)).await;
}
