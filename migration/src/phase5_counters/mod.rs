//! Phase 5, exact derived counters: statement-level triggers that keep every counter equal to
//! a recount of its rows under insert, update (parent and owner included), delete and truncate.

use sea_orm_migration::prelude::*;

mod m20261130_000401_replace_conversation_counter_triggers;
mod m20261130_000402_replace_storage_quota_triggers;
mod m20261130_000403_create_chunk_count_triggers;

/// The phase's migrations in the order they must run (each replaces or adds the counters of
/// one parent table; they are independent of each other).
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261130_000401_replace_conversation_counter_triggers::Migration),
        Box::new(m20261130_000402_replace_storage_quota_triggers::Migration),
        Box::new(m20261130_000403_create_chunk_count_triggers::Migration),
    ]
}

/// Phase 5's counter functions, `(name, source)`, exactly as its migrations create them, for
/// a later migration's `down` that must put them back.
pub(crate) const FUNCTIONS: &[(&str, &str)] = &[
    (
        "public.count_conversation_messages()",
        m20261130_000401_replace_conversation_counter_triggers::COUNT_CONVERSATION_MESSAGES,
    ),
    (
        "public.count_storage_quota_usage()",
        m20261130_000402_replace_storage_quota_triggers::COUNT_STORAGE_QUOTA_USAGE,
    ),
    (
        "public.count_document_chunks()",
        m20261130_000403_create_chunk_count_triggers::COUNT_DOCUMENT_CHUNKS,
    ),
    (
        "public.recount_storage_quota()",
        m20261130_000402_replace_storage_quota_triggers::RECOUNT_STORAGE_QUOTA,
    ),
];

/// The events a child table's counter triggers fire on, with the transition tables each one
/// declares: PostgreSQL allows transition tables only on single-event triggers without a
/// column list, hence one trigger per event.
const EVENTS: &[(&str, &str, &str)] = &[
    ("insert", "INSERT", "REFERENCING NEW TABLE AS new_rows"),
    (
        "update",
        "UPDATE",
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    ),
    ("delete", "DELETE", "REFERENCING OLD TABLE AS old_rows"),
    ("truncate", "TRUNCATE", ""),
];

/// Creates `<prefix>_<event>` on `table` for every event of [`EVENTS`], each running
/// `function` once per statement after it. Once per statement, so a statement's changes are
/// applied to each parent in one UPDATE, after locking all of them in one order.
async fn create_statement_triggers(
    manager: &SchemaManager<'_>,
    table: &str,
    prefix: &str,
    function: &str,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for (name, event, referencing) in EVENTS {
        db.execute_unprepared(&format!(
            r#"CREATE TRIGGER "{prefix}_{name}" AFTER {event} ON {table} {referencing}
               FOR EACH STATEMENT EXECUTE FUNCTION {function}()"#
        ))
        .await?;
    }
    Ok(())
}

/// Drops the triggers [`create_statement_triggers`] created.
async fn drop_statement_triggers(
    manager: &SchemaManager<'_>,
    table: &str,
    prefix: &str,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for (name, _, _) in EVENTS {
        db.execute_unprepared(&format!(
            r#"DROP TRIGGER IF EXISTS "{prefix}_{name}" ON {table}"#
        ))
        .await?;
    }
    Ok(())
}
