//! Phase 4, RAG and MCP integrations: documents and pgvector chunks, RAG settings, encrypted MCP tokens (schema `public`).

use sea_orm_migration::MigrationTrait;

/// The phase's migrations in the order they must run.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![]
}
