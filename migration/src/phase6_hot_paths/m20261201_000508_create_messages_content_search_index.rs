//! Phase 6: the GIN index over `messages."contentSearch"`, for the messages holding a word.

use sea_orm_migration::prelude::*;

use crate::online::{self, OnlineIndex};

#[derive(DeriveMigrationName)]
pub struct Migration;

const CONTENT_SEARCH: OnlineIndex<'static> = OnlineIndex {
    method: Some("gin"),
    ..OnlineIndex::new(
        "messages_contentSearch_idx",
        "public",
        "messages",
        &["contentSearch"],
    )
};

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::build(manager, &CONTENT_SEARCH).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::remove(manager, &CONTENT_SEARCH).await
    }
}
