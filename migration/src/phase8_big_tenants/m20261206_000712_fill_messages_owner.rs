//! Phase 8: fills `messages."userId"` of the rows written before its trigger existed, in
//! short key-ranged batches that resume where an interrupted run stopped.

use sea_orm_migration::prelude::*;

use super::m20261206_000711_add_messages_owner::owner_of;
use crate::online::{self, Backfill};

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "messages_owner";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // Each batch commits on its own: one UPDATE of every message would hold all their row
    // locks to the end and start over after a kill.
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let set = format!(
            r#""userId" = {}"#,
            owner_of(r#"public.messages."conversationId""#)
        );
        let job = Backfill {
            only: Some(r#""userId" IS NULL"#),
            ..Backfill::new(NAME, "public", "messages", &set)
        };
        online::backfill(manager.get_connection(), &job)
            .await
            .map(|_| ())
            .map_err(|err| DbErr::Custom(format!("{err:#}")))
    }

    // The values stay (the column goes with the previous migration's down); the progress is
    // forgotten so that a new `up` fills again whatever is empty then.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::backfill::forget(manager.get_connection(), NAME).await
    }
}
