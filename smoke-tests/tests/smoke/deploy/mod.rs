//! Deploying this schema with the shipped binaries: a restore behind a hung network, a
//! connection lost as a migration commits, a history merged out of order, bad flags and
//! variables, awkward credentials, a database this build did not migrate, and the checks
//! after `up`. The deployer's own
//! guarantees (lock, checksums, atomicity, kills, hangs, timeouts) are proven on toy
//! migrators, in `deployer/`; the helpers here that walk this schema's migrations serve the
//! fleet's tests.

mod credentials;
mod hang;
mod history;
mod input;
mod post_deploy;
mod unknown_database;
mod verdict;

use deployer::{Settings, Up};
use sea_orm::DatabaseConnection;
use smoke_tests::snapshot;

pub use crate::deployer::{Snapshot, rows_if_present};
pub use smoke_tests::toy::SqlMigration;

/// The catalog after 0, 1, ..., all migrations, built one migration at a time on `db`.
pub async fn catalog_at_each_step(db: &DatabaseConnection) -> Vec<dbcheck::catalog::Snapshot> {
    let deployer = migration::deployer(Settings::default())
        .await
        .expect("deployer");
    let mut steps = vec![snapshot(db).await];
    loop {
        let up = Up {
            steps: Some(1),
            ..Up::default()
        };
        if deployer.up(db, &up).await.expect("up one").is_empty() {
            return steps;
        }
        steps.push(snapshot(db).await);
    }
}

/// Checks that `found`, the catalog of a database on which a migrator died with `applied`
/// migrations recorded, is `steps[applied]`: whole migrations only. The one exception is a
/// next migration that runs outside a transaction (an online index), which cannot be all or
/// nothing: then `found` must lie between `steps[applied]` and `steps[applied + 1]`,
/// everything both have there and nothing neither has, new indexes possibly left INVALID.
pub fn assert_whole_or_between(
    found: &dbcheck::catalog::Snapshot,
    steps: &[dbcheck::catalog::Snapshot],
    applied: usize,
    name: &str,
) {
    use migration::MigratorTrait;
    let outside = migration::Migrator::migrations()
        .get(applied)
        .is_some_and(|m| m.use_transaction() == Some(false));
    if !outside || found.lines == steps[applied].lines {
        let whole = format!("exactly {applied} whole migration(s)");
        return dbcheck::catalog::assert_same(found, &steps[applied], name, &whole);
    }
    let (before, after) = (&steps[applied], &steps[applied + 1]);
    let missing: Vec<_> = before
        .lines
        .intersection(&after.lines)
        .filter(|l| !found.lines.contains(*l))
        .collect();
    let extra: Vec<_> = found
        .lines
        .iter()
        .filter(|l| {
            let valid = l.strip_suffix(" INVALID").unwrap_or(l);
            !before.lines.contains(*l) && !after.lines.contains(valid)
        })
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{name}: not between two steps: missing {missing:?}, extra {extra:?}"
    );
}
