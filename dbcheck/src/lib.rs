//! Read-only checks of the platform database: entity drift, post-deploy verification (with
//! the recount of derived counters), the operator's monitor, migration lint and the generated
//! ER diagram.
//!
//! Every function that takes a connection only reads the catalog (or runs `EXPLAIN`, or
//! recounts counters, inside a read-only transaction that is rolled back); none writes to the
//! database. Callers print the
//! findings they get back, one per line.

pub mod catalog;
pub mod counters;
pub mod diff;
pub mod drift;
pub mod entities;
pub mod erd;
#[cfg(feature = "lint")]
pub mod lint;
pub mod monitor;
pub mod verify;
