//! Phase 8: drops `messages_userId_idx`, whose every use the ("userId", "timestamp") index of
//! 000720 serves; `down` builds it again, online.

use sea_orm_migration::prelude::*;

use crate::online::{self, OnlineIndex};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Kept, the planner reads a common word's matches of a large tenant by it and sorts them all
/// by time (31 ms for the largest tenant at scale 5,000) instead of walking the newest through
/// the wider index and stopping (4 ms): its estimate of the wider index's heap reads is the
/// higher, a multi-column index counting as less ordered with the table.
const OWNER: OnlineIndex<'static> =
    OnlineIndex::new("messages_userId_idx", "public", "messages", &["userId"]);

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::remove(manager, &OWNER).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::build(manager, &OWNER).await
    }
}
