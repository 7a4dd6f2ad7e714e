//! Phase 8: the GIN index over each message's words and owner, built online, for the search
//! of one user's messages by words (`message_search_vector`, the previous migration).

use std::time::Duration;

use sea_orm_migration::prelude::*;

use crate::online::{self, OnlineIndex};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Its name is the one the critical query's accepted list names.
const SEARCH_OWNER: OnlineIndex<'static> = OnlineIndex {
    name: "messages_search_owner_idx",
    schema: "public",
    table: "messages",
    columns: &[r#"(public.message_search_vector("contentSearch", "userId"))"#],
    unique: false,
    method: Some("gin"),
    predicate: None,
    lock_timeout: Duration::from_secs(5),
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
