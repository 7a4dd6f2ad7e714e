//! Shared pieces of the smoke tests: a throwaway database per test, and catalog snapshots.
//!
//! The tests live in `tests/`; they run against the server named by `SMOKE_SERVER_URL`,
//! which `cargo xtask smoke` starts (embedded, container, or the server of `DATABASE_URL`).

pub mod harness;
pub mod migrator;

use dbcheck::catalog::Snapshot;
pub use harness::TestDb;
use sea_orm::DatabaseConnection;

/// The catalog of `db` as lines ([`Snapshot`]); a test that cannot read it fails here.
pub async fn snapshot(db: &DatabaseConnection) -> Snapshot {
    Snapshot::load(db).await.expect("read the catalog")
}
