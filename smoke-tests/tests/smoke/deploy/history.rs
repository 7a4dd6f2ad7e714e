//! A linear history: a migration merged after a later one was deployed is shown out of order
//! and refused until it moves to the end or is allowed, and `down` undoes the newest applied.

use deployer::{Deployer, Settings, State, Up};
use migration::MigrationTrait;
use smoke_tests::TestDb;
use smoke_tests::toy::SqlMigration;

const A: &str = "m20260101_000001_a";
const B: &str = "m20260101_000002_b_from_a_late_branch";
const C: &str = "m20260101_000003_c";

/// A migration per name, each creating (and dropping) one table named after it.
async fn deployer(names: &[&'static str]) -> Deployer {
    let migrations: Vec<Box<dyn MigrationTrait>> = names
        .iter()
        .map(|n| {
            let up = format!("CREATE TABLE \"{n}\" (id int)");
            // SqlMigration keeps its down as a static string; a test leaks these few.
            let down: &'static str = format!("DROP TABLE \"{n}\"").leak();
            Box::new(SqlMigration::new(n, &up, down)) as Box<dyn MigrationTrait>
        })
        .collect();
    Deployer::with_migrations(Settings::default(), migrations)
        .await
        .expect("deployer")
}

#[tokio::test]
async fn a_migration_merged_before_an_applied_one_is_refused_until_allowed_and_rolled_back_first() {
    let test = TestDb::new("out_of_order").await;
    // Deployed from main: A and C.
    let applied = deployer(&[A, C]).await.up(&test.db, &Up::default()).await;
    assert_eq!(applied.expect("A and C"), [A, C]);
    // Then a branch that added B between them is merged.
    let merged = deployer(&[A, B, C]).await;
    let status = merged.status(&test.db).await.expect("status");
    assert_eq!(status.state(B), Some(State::OutOfOrder));
    assert!(status.problems()[0].contains(&format!("migration {B} is not applied but {C}")));
    let refused = merged
        .up(&test.db, &Up::default())
        .await
        .expect_err("refused");
    let line = format!("{refused:#}");
    assert!(
        line.starts_with("refusing to migrate, nothing applied: migration ")
            && line.contains(B)
            && line.contains("--allow-out-of-order"),
        "{line}"
    );
    assert_eq!(
        crate::count(
            &test.db,
            &format!("SELECT count(*) FROM pg_tables WHERE tablename = '{B}'")
        )
        .await,
        0
    );
    let allowed = Up {
        allow_out_of_order: true,
        ..Up::default()
    };
    assert_eq!(merged.up(&test.db, &allowed).await.expect("allowed"), [B]);
    // B was applied last, so it is the first to go back, though C comes after it in the code.
    assert_eq!(merged.down(&test.db, Some(1)).await.expect("down"), [B]);
    assert_eq!(merged.down(&test.db, Some(1)).await.expect("down"), [C]);
}
