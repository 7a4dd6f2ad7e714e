//! Phase 8: a B-tree index on `messages."userId"`, built online, for `app_user`'s reads that
//! the owner policy (next migration) alone filters.
//!
//! Under row-level security the planner may use as an index condition only the policy's own
//! conditions and the query's LEAKPROOF ones: the full-text match (`@@`) is not LEAKPROOF, so
//! as `app_user` the search cannot go through the words-and-owner GIN index and reads the
//! user's messages by this index instead, testing each (docs/search.md gives the numbers).
//! Without it every such read would scan the whole table.

use sea_orm_migration::prelude::*;

use crate::online::{self, OnlineIndex};

#[derive(DeriveMigrationName)]
pub struct Migration;

const OWNER: OnlineIndex<'static> =
    OnlineIndex::new("messages_userId_idx", "public", "messages", &["userId"]);

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::build(manager, &OWNER).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::remove(manager, &OWNER).await
    }
}
