//! Phase 1, core MVP: the pgvector extension, the 4 enum types and the 15 tables of schema
//! `public`, with their `updatedAt` and conversation-counter triggers.

use sea_orm_migration::MigrationTrait;

mod m20261121_000001_create_extensions_and_enums;
mod m20261121_000002_create_identity_tables;
mod m20261121_000003_create_agent_tables;
mod m20261121_000004_create_conversation_tables;
mod m20261121_000005_create_usage_tables;
mod m20261121_000006_create_triggers;

/// The phase's migrations in the order they must run (each one's foreign keys point only at
/// tables of the ones before it).
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261121_000001_create_extensions_and_enums::Migration),
        Box::new(m20261121_000002_create_identity_tables::Migration),
        Box::new(m20261121_000003_create_agent_tables::Migration),
        Box::new(m20261121_000004_create_conversation_tables::Migration),
        Box::new(m20261121_000005_create_usage_tables::Migration),
        Box::new(m20261121_000006_create_triggers::Migration),
    ]
}
