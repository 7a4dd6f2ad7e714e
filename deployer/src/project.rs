//! What is particular to the project a deployer serves: its name on the server, its lock, the
//! schemas it owns, how its migrations are grouped, and the checks around `up`.

use std::future::Future;
use std::pin::Pin;

use sea_orm::{DatabaseConnection, DbErr};

/// A check the project runs on a database: before `up` (a required extension, say) or after
/// it on a fleet's canary (the post-deploy verification). `Err` stops the target.
pub type Check = for<'a> fn(
    &'a DatabaseConnection,
    &'a str,
) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// Extra objects `fresh` and `restore --clean` drop beyond [`Project::owned_schemas`] and the
/// tables, types and functions of `public` (see [`crate::owned`]).
pub type DropExtra = for<'a> fn(
    &'a DatabaseConnection,
) -> Pin<Box<dyn Future<Output = Result<(), DbErr>> + Send + 'a>>;

/// The project's settings; [`Project::default`] suits a project that owns only `public`.
#[derive(Clone, Copy, Debug)]
pub struct Project {
    /// The `application_name` of the migrator's sessions, so a waiting migrator (and an
    /// operator reading `pg_stat_activity`) can tell who holds the lock.
    pub application: &'static str,
    /// The two keys of the advisory lock. Every binary that deploys the same databases must
    /// use the same keys; two projects sharing a database must not.
    pub lock_key: (i32, i32),
    /// Schemas the project creates besides `public`; `fresh` drops them whole.
    pub owned_schemas: &'static [&'static str],
    /// A label for each migration in `status` (its phase, say); `None` for no label.
    pub group_of: fn(&str) -> Option<Group>,
    /// Runs before `up` applies anything.
    pub before_up: Option<Check>,
    /// Runs on a fleet's canary targets after `up`.
    pub verify: Option<Check>,
    /// Drops what else the project owns, for `fresh`, before the schemas and `public`.
    pub drop_extra: Option<DropExtra>,
}

/// A group of migrations, as `status` and the fleet's matrix show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Group {
    pub number: u8,
    pub name: &'static str,
}

impl Default for Project {
    fn default() -> Self {
        Self {
            application: "seaorm deployer",
            // "sdep" and 1.
            lock_key: (0x7364_6570, 1),
            owned_schemas: &[],
            group_of: |_| None,
            before_up: None,
            verify: None,
            drop_extra: None,
        }
    }
}
