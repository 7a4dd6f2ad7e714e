//! Phase 6: the partial index `users ("role", "isActive") WHERE "isActive"` of the seed
//! document, for listing the active users of a role; inactive users cost it nothing.

use sea_orm_migration::prelude::*;

use crate::online::{self, OnlineIndex};

#[derive(DeriveMigrationName)]
pub struct Migration;

const ACTIVE_ROLE: OnlineIndex<'static> = OnlineIndex {
    predicate: Some(r#""isActive""#),
    ..OnlineIndex::new(
        "users_role_isActive_idx",
        "public",
        "users",
        &["role", "isActive"],
    )
};

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::build(manager, &ACTIVE_ROLE).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::remove(manager, &ACTIVE_ROLE).await
    }
}
