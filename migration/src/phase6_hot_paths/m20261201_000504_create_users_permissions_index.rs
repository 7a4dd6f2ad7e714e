//! Phase 6: a GIN index on `users.permissions` (jsonb), for the seed document's lookups of
//! the users holding a permission (`permissions @> '{"admin": true}'`, `permissions ? 'x'`).

use sea_orm_migration::prelude::*;

use crate::online::{self, OnlineIndex};

#[derive(DeriveMigrationName)]
pub struct Migration;

const PERMISSIONS: OnlineIndex<'static> = OnlineIndex {
    method: Some("gin"),
    ..OnlineIndex::new("users_permissions_idx", "public", "users", &["permissions"])
};

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::build(manager, &PERMISSIONS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::remove(manager, &PERMISSIONS).await
    }
}
