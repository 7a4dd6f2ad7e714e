//! Phase 6: `messages ("conversationId", "timestamp", "id")`, the index of a conversation's
//! keyset page, which reads its rows in the page's order and stops after the page.

use sea_orm_migration::prelude::*;

use super::btree;
use crate::online;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// With only the foreign key's index, a page deep in a long conversation fetched every message
/// of the conversation and sorted them all.
pub(super) const KEYSET: crate::online::OnlineIndex<'static> = btree(
    "messages_conversationId_timestamp_id_idx",
    "messages",
    &["conversationId", "timestamp", "id"],
);

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::build(manager, &KEYSET).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::remove(manager, &KEYSET).await
    }
}
