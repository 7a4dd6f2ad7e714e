//! Shared pieces of the smoke tests: a throwaway database per test, catalog snapshots, the
//! shipped binaries, password-checked roles, and a fault-injecting proxy.
//!
//! The tests live in `tests/`; they run against the server named by `SMOKE_SERVER_URL`,
//! which `cargo xtask smoke` starts (embedded, container, or the server of `DATABASE_URL`).

pub mod catalog;
pub mod credentials;
pub mod harness;
pub mod migrator;
pub mod proxy;

pub use catalog::{Catalog, assert_same};
pub use harness::TestDb;
