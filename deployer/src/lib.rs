//! A safe deployer for any SeaORM migrator.
//!
//! SeaORM's `Migrator` applies migrations; it takes no lock, keeps no checksums, sets no
//! timeouts and cannot show what it would do. [`Deployer`] runs the same migrations with:
//! - an advisory lock for the whole run, so a second migrator waits, then finds nothing
//!   pending (`lock.rs`);
//! - the SHA-256 of the SQL each migration sends, recorded when applied, so an edited migration
//!   or a database newer than the code is refused before the first write ([`status`]);
//! - each migration and its records in one transaction (`ledger.rs`, `apply.rs`);
//! - `lock_timeout` and `statement_timeout` on its session, and retries with backoff when a
//!   migration times out on a lock or loses a deadlock ([`Settings`]);
//! - a bound on a silent peer on both sides ([`Settings::hang_timeout`]);
//! - a dry run that prints the SQL ([`render`]), a `pg_dump` before `up`, optionally
//!   encrypted with age, and a checked `pg_restore` ([`backup`], [`restore`]);
//! - helpers for migrations on big tables ([`online`]) and rollouts to many databases
//!   ([`fleet`]).
//!
//! What is particular to a project (its name on the server, its lock, the schemas it owns,
//! checks around `up`) comes in as a [`Project`]; [`cli`] is a ready command line.
//!
//! ```no_run
//! use deployer::{Deployer, Project, Settings, Up};
//! # use sea_orm_migration::prelude::*;
//! # struct Migrator;
//! # impl MigratorTrait for Migrator {
//! #     fn migrations() -> Vec<Box<dyn MigrationTrait>> { vec![] }
//! # }
//! # async fn demo() -> anyhow::Result<()> {
//! let db = sea_orm::Database::connect("postgres://app@localhost/app").await?;
//! let project = Project { application: "my-app migrator", ..Project::default() };
//! let deployer = Deployer::of::<Migrator>(Settings::default()).await?.with_project(project);
//! let applied = deployer.up(&db, &Up::default()).await?;
//! println!("applied {} migration(s)", applied.len());
//! # Ok(()) }
//! ```
//!
//! `examples/toy.rs` is a whole migrator binary in a few lines: `cargo run -p deployer
//! --example toy -- -u URL up | status | down`.

mod analyze;
mod apply;
pub mod backup;
pub mod backups;
mod child;
pub mod cli;
mod deploy;
pub mod encryption;
mod files;
pub mod fleet;
pub mod ledger;
mod lock;
pub mod online;
pub mod owned;
mod pooler;
pub mod project;
pub mod render;
pub mod restore;
mod session;
pub mod settings;
pub mod status;
mod verdict;

pub use self::backup::Backup;
pub use self::deploy::{Deployer, Resolution, Up};
pub use self::encryption::{Identities, Recipients};
pub use self::ledger::{CHECKSUMS, VERSIONS};
pub use self::project::{Group, Project};
pub use self::restore::{Restore, Restored};
pub use self::settings::Settings;
pub use self::status::{State, Status};
