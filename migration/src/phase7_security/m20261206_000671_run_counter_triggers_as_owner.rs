//! Phase 7: the counter triggers of phase 5 run with their owner's rights, not the writer's.
//!
//! Until now a message, file or chunk written by `app_user` moved its parent's counters with
//! `app_user`'s own rights, so `app_user` had to be allowed to write those counters itself:
//! `storage_quotas."usedStorage"` and `"fileCount"` by a column grant, the conversation and
//! document counters by its grant on the whole table. A user could then set its own quota
//! usage to zero. Run as their owner (`SECURITY DEFINER`), the triggers no longer need the
//! writer's right, which the next migration revokes. The search path is pinned, as for the
//! audit functions, so that no object a caller creates can stand in for the ones named here.
//!
//! The triggers still update only the parents of rows the writer could write: the transition
//! tables hold the rows the statement changed, which the writer's own policies admitted.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The statement-level counter functions of phase 5 that write another table. The `BEFORE`
/// row functions (`reset_conversation_counters`, `reset_document_chunk_count`,
/// `recount_storage_quota`) only assign to the new row, which needs no right.
const COUNTERS: &[&str] = &[
    "public.count_conversation_messages()",
    "public.count_storage_quota_usage()",
    "public.count_document_chunks()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for function in COUNTERS {
            db.execute_unprepared(&format!(
                "ALTER FUNCTION {function} SECURITY DEFINER SET search_path = pg_catalog, pg_temp"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for function in COUNTERS {
            db.execute_unprepared(&format!(
                "ALTER FUNCTION {function} SECURITY INVOKER RESET search_path"
            ))
            .await?;
        }
        Ok(())
    }
}
