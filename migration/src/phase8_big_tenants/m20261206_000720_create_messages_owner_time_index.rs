//! Phase 8: a B-tree index on `messages` ("userId", "timestamp"), built online, so that a
//! search whose words match more of a user's messages than it ranks reads the newest first.
//!
//! `search_messages` (next migration) ranks every match when a user has at most 2,000 for the
//! words, and otherwise the newest 2,000: this index walks one user's messages from the newest
//! and stops once it has them, about three messages read per match for a word in a third of
//! them, where ranking every match cost about a microsecond each (docs/search.md). It also
//! serves everything `messages_userId_idx` did (its leading column is the owner), which the
//! migration after next drops: kept, the planner would read a common word's matches by it and
//! sort them all.

use sea_orm_migration::prelude::*;

use crate::online::{self, OnlineIndex};

#[derive(DeriveMigrationName)]
pub struct Migration;

const OWNER_TIME: OnlineIndex<'static> = OnlineIndex::new(
    "messages_userId_timestamp_idx",
    "public",
    "messages",
    &["userId", "timestamp"],
);

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::build(manager, &OWNER_TIME).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::remove(manager, &OWNER_TIME).await
    }
}
