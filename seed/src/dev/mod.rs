//! The `dev` profile: the seed document's sample data and a consistent set of rows for every
//! later phase, with fixed ids and timestamps so that every run writes the same rows.
//!
//! Each phase's part runs only when that phase's tables exist, so a database migrated through
//! phase 2 gets phases 1 and 2. Last, [`generic::fill`] writes rows into the tables no part
//! filled: those a new migration added before anyone wrote their part.

// Every row literal ends in `..Default::default()`, even where it sets each field today, so
// that a column a migration adds to an entity leaves the seed compiling and the column unset
// (not in the INSERT, so a database migrated only through an earlier phase still seeds).
#![allow(
    clippy::needless_update,
    reason = "row literals stay valid when an entity gains a column"
)]

mod core;
mod generic;
mod health_finance;
mod identity;
mod rag_mcp;
mod support_storage;
mod usage;

use anyhow::Context;
use chrono::{NaiveDate, NaiveDateTime};
use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

use crate::Summary;

pub use self::core::TABLES;

/// Every seed row carries this time, so that runs on different days write identical rows.
pub(crate) fn seeded_at() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 10, 22)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("valid date")
}

pub async fn seed<C: ConnectionTrait>(db: &C) -> anyhow::Result<Summary> {
    let mut summary = Summary::default();
    let core = core::seed(db, &mut summary).await?;
    identity::seed(db, &core, &mut summary).await?;
    usage::seed(db, &core, &mut summary).await?;
    // In phase order: RAG documents point at storage files.
    if crate::tables_exist(db, support_storage::TABLES).await? {
        support_storage::seed(db, &core, &mut summary).await?;
    }
    if crate::tables_exist(db, health_finance::TABLES).await? {
        health_finance::seed(db, &core, &mut summary).await?;
    }
    if crate::tables_exist(db, rag_mcp::TABLES).await? {
        rag_mcp::seed(db, &core, &mut summary).await?;
    }
    // The ordinary users, whose rows every table of users' rows holds.
    let users = [core.user_one, core.user_two];
    generic::fill(db, &users, &mut summary).await?;
    Ok(summary)
}

/// Sets `app.current_user_id` for the rest of the seed transaction, so that rows written for
/// `user` would pass the owner policies of a role that row-level security binds.
pub(crate) async fn act_as<C: ConnectionTrait>(db: &C, user: Uuid) -> anyhow::Result<()> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "SELECT set_config('app.current_user_id', $1, true)",
        [user.to_string().into()],
    ))
    .await
    .context("set app.current_user_id")?;
    Ok(())
}

/// Clears `app.current_user_id`, so that later parts of the run act as no user.
pub(crate) async fn act_as_nobody<C: ConnectionTrait>(db: &C) -> anyhow::Result<()> {
    db.execute_unprepared("SELECT set_config('app.current_user_id', '', true)")
        .await
        .context("clear app.current_user_id")?;
    Ok(())
}
