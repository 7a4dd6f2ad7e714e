//! Phase 6: `conversations ("chatSessionId", "updatedAt")` replaces the single-column
//! `conversations_chatSessionId_idx`, so a user's conversation list by last activity reads each
//! session's conversations already in order.

use sea_orm_migration::prelude::*;

use super::btree;
use crate::online;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SESSION_ACTIVITY: crate::online::OnlineIndex<'static> = btree(
    "conversations_chatSessionId_updatedAt_idx",
    "conversations",
    &["chatSessionId", "updatedAt"],
);

/// Redundant once the two-column index exists: same first column, the foreign key's.
const SESSION: crate::online::OnlineIndex<'static> = btree(
    "conversations_chatSessionId_idx",
    "conversations",
    &["chatSessionId"],
);

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    // The new index first, so the foreign key is never without one.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::build(manager, &SESSION_ACTIVITY).await?;
        online::remove(manager, &SESSION).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::build(manager, &SESSION).await?;
        online::remove(manager, &SESSION_ACTIVITY).await
    }
}
