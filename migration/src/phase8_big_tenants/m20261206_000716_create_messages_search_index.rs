//! Phase 8: the GIN index over each message's words and owner, built online, for the search
//! of one user's messages by words (`message_search_vector`, the previous migration).
//!
//! Without GIN's pending list (`fastupdate = off`): with it, new entries wait in an unsorted
//! list of up to `gin_pending_list_limit` (4 MB) that every search reads whole until a vacuum
//! merges it, which took a search from 0.2 ms to 7–25 ms on a freshly loaded scale-20
//! database. Off, each message written updates the index directly: measured, 3,000 inserts
//! took 0.53–0.87 s instead of 0.37–0.40 s, under 0.3 ms a message.

use sea_orm_migration::prelude::*;

use crate::online::{self, OnlineIndex};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Its name is the one the critical query's accepted list names.
const SEARCH_OWNER: OnlineIndex<'static> = OnlineIndex {
    method: Some("gin"),
    with: Some("fastupdate = off"),
    ..OnlineIndex::new(
        "messages_search_owner_idx",
        "public",
        "messages",
        &[r#"(public.message_search_vector("contentSearch", "userId"))"#],
    )
};

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // CREATE INDEX CONCURRENTLY cannot run in a transaction; run again, it replaces an
    // INVALID leftover and keeps a valid index.
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::build(manager, &SEARCH_OWNER).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::remove(manager, &SEARCH_OWNER).await
    }
}
