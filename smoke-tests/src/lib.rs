//! Shared pieces of the smoke tests: a throwaway database per test (empty, or a copy of a
//! migrated template), catalog snapshots, the shipped binaries, password-checked roles, a
//! fault-injecting proxy, and toy migrators for the deployer's own tests.
//!
//! The tests live in `tests/`; they run against the server named by `SMOKE_SERVER_URL`,
//! which `cargo xtask smoke` starts (embedded, container, or the server of `DATABASE_URL`).

pub mod credentials;
pub mod harness;
pub mod migrator;
pub mod proxy;
pub mod template;
pub mod toy;

use dbcheck::catalog::Snapshot;
pub use harness::TestDb;
use sea_orm::DatabaseConnection;

/// Whether the smoke server is a container (`SMOKE_SERVER_KIND`, set by `cargo xtask
/// smoke`): the one kind that has stalled under the suite's load in CI, so a few tests ask
/// less of it there.
pub fn server_is_a_container() -> bool {
    std::env::var("SMOKE_SERVER_KIND").as_deref() == Ok("container")
}

/// The catalog of `db` as lines ([`Snapshot`]); a test that cannot read it fails here.
pub async fn snapshot(db: &DatabaseConnection) -> Snapshot {
    Snapshot::load(db).await.expect("read the catalog")
}
