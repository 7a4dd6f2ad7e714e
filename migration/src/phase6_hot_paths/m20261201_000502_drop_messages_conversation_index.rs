//! Phase 6: drops `messages_conversationId_idx`, made redundant by the keyset index whose first
//! column is the same foreign key; `down` builds it again, online.

use sea_orm_migration::prelude::*;

use super::btree;
use crate::online;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The foreign key's single-column index. Kept, it costs every insert an index write, and the
/// planner's generic plan for the keyset page prefers it (it is smaller) and sorts the whole
/// conversation; the keyset index serves the foreign key's cascades as well.
const CONVERSATION: crate::online::OnlineIndex<'static> = btree(
    "messages_conversationId_idx",
    "messages",
    &["conversationId"],
);

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::remove(manager, &CONVERSATION).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::build(manager, &CONVERSATION).await
    }
}
