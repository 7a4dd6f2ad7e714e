//! Deploying this schema with the shipped binaries: a restore behind a hung network, a
//! connection lost as a migration commits, a history merged out of order, bad flags and
//! variables, awkward credentials, a database this build did not migrate, and the checks
//! after `up`. The deployer's own
//! guarantees (lock, checksums, atomicity, kills, hangs, timeouts) are proven on toy
//! migrators, in `deployer/`, and so are the fleet's rollouts and kills (`fleet/`).

mod credentials;
mod hang;
mod history;
mod input;
mod post_deploy;
mod unknown_database;
mod verdict;

pub use crate::deployer::{Snapshot, rows_if_present};
pub use smoke_tests::toy::SqlMigration;
