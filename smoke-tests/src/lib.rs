//! Shared pieces of the smoke tests: a throwaway database per test, and catalog snapshots.
//!
//! The tests live in `tests/`; they run against the server named by `SMOKE_SERVER_URL`,
//! which `cargo xtask smoke` starts (embedded, container, or the server of `DATABASE_URL`).

pub mod catalog;
pub mod harness;
pub mod migrator;

pub use catalog::{Catalog, assert_same};
pub use harness::TestDb;
