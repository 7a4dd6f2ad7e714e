//! Idempotent seeder: profiles of data that can be applied any number of times.
//!
//! Every row has a deterministic identity (a natural key such as an email or slug, or a
//! UUIDv5 derived from one), and is inserted with `ON CONFLICT DO NOTHING`, so a second run
//! finds everything present and changes nothing. Each run is one transaction.
//!
//! The `load` profile ([`load::run`]) is separate: bulk data through COPY, for benchmarks.

pub mod cli;
mod dev;
pub mod embedding;
mod ids;
mod insert;
pub mod keys;
pub mod load;
mod prod;

use std::fmt;

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};

pub use crate::ids::seed_id;

/// What to seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Profile {
    /// The seed document's sample data, for development and tests.
    Dev,
    /// Only the super admin, with this email; when another super admin exists, nothing
    /// unless `add_super_admin`.
    Prod {
        super_admin_email: String,
        add_super_admin: bool,
    },
}

impl Profile {
    /// The prod profile for the super admin named by `SEED_SUPER_ADMIN_EMAIL`, checked before
    /// anything connects: a bad address is one line and changes nothing.
    pub fn prod_from_env(add_super_admin: bool) -> anyhow::Result<Profile> {
        let email = std::env::var(SUPER_ADMIN_EMAIL_VAR).unwrap_or_default();
        Ok(Profile::Prod {
            super_admin_email: prod::valid_email(&email)?,
            add_super_admin,
        })
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Profile::Dev => "dev",
            Profile::Prod { .. } => "prod",
        })
    }
}

/// How many rows a run inserted and how many it found already there.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Rows the profile's fillers inserted.
    pub inserted: u64,
    /// Rows the fillers found already there: a second run's `present` is the first's
    /// `inserted`.
    pub present: u64,
    /// Rows the dev profile's generic fill inserted into tables no filler writes (a new
    /// migration's), not counted in `inserted`: the fill writes only into empty tables, so a
    /// second run writes none, and it cannot tell its earlier rows from others to count them
    /// as present.
    pub generic: u64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} row(s) inserted, {} already present",
            self.inserted, self.present
        )?;
        if self.generic > 0 {
            write!(
                f,
                ", {} row(s) written by the generic fill into tables without a filler",
                self.generic
            )?;
        }
        Ok(())
    }
}

/// The environment variable the prod profile reads the super admin's email from.
pub const SUPER_ADMIN_EMAIL_VAR: &str = "SEED_SUPER_ADMIN_EMAIL";

/// Seeds `profile` in one transaction. Fails, changing nothing, on an unmigrated database or
/// as a role that row-level security hides rows from.
pub async fn run(db: &DatabaseConnection, profile: &Profile) -> anyhow::Result<Summary> {
    let tables = match profile {
        Profile::Dev => dev::TABLES,
        Profile::Prod { .. } => prod::TABLES,
    };
    ensure_migrated(db, tables).await?;
    // Under forced row-level security the seed would find none of its rows and write them
    // again (a second super admin among them).
    dbconn::visibility::require_every_row_visible(db, "the seed").await?;
    let txn = db.begin().await.context("begin seed transaction")?;
    let summary = match profile {
        Profile::Dev => dev::seed(&txn).await,
        Profile::Prod {
            super_admin_email,
            add_super_admin,
        } => prod::seed(&txn, super_admin_email, *add_super_admin).await,
    }
    .with_context(|| format!("seed {profile} profile"))?;
    txn.commit().await.context("commit seed transaction")?;
    Ok(summary)
}

/// Fails with the command to run when a table the profile needs does not exist.
async fn ensure_migrated(db: &DatabaseConnection, tables: &[&str]) -> anyhow::Result<()> {
    if let Some(table) = missing_table(db, tables).await? {
        bail!(
            "the database is not migrated (table `{table}` is missing): run `cargo xtask migrate` first"
        );
    }
    Ok(())
}

/// Whether every table exists; names without a schema are in `public`.
pub(crate) async fn tables_exist<C: ConnectionTrait>(
    db: &C,
    tables: &[&str],
) -> anyhow::Result<bool> {
    Ok(missing_table(db, tables).await?.is_none())
}

async fn missing_table<C: ConnectionTrait>(
    db: &C,
    tables: &[&str],
) -> anyhow::Result<Option<String>> {
    for table in tables {
        let qualified = if table.contains('.') {
            (*table).to_string()
        } else {
            format!("public.{table}")
        };
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT to_regclass($1) IS NOT NULL AS present",
                [qualified.into()],
            ))
            .await
            .context("check that the database is migrated")?;
        let present: bool = row
            .map(|r| r.try_get("", "present"))
            .transpose()?
            .unwrap_or(false);
        if !present {
            return Ok(Some((*table).to_string()));
        }
    }
    Ok(None)
}
