//! Phase 6: the partial index `users ("role", "isActive") WHERE "isActive"` of the seed
//! document, for listing the active users of a role; inactive users cost it nothing.

use sea_orm_migration::prelude::*;

use super::LOCK_TIMEOUT;
use crate::online::{self, OnlineIndex};

#[derive(DeriveMigrationName)]
pub struct Migration;

const ACTIVE_ROLE: OnlineIndex<'static> = OnlineIndex {
    name: "users_role_isActive_idx",
    schema: "public",
    table: "users",
    columns: &["role", "isActive"],
    unique: false,
    method: None,
    predicate: Some(r#""isActive""#),
    opclass: None,
    with: None,
    memory: None,
    lock_timeout: LOCK_TIMEOUT,
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
