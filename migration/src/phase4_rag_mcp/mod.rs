//! Phase 4, RAG and MCP integrations: documents and pgvector chunks, RAG settings, encrypted MCP tokens (schema `public`).

use sea_orm_migration::MigrationTrait;

mod m20261121_000301_create_rag_mcp_enums;
mod m20261121_000302_create_rag_tables;
mod m20261121_000303_create_mcp_tables;

/// The phase's migrations in the order they must run (`rag_documents."fileId"` points at
/// phase 2's `storage_files`, which exists by then).
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261121_000301_create_rag_mcp_enums::Migration),
        Box::new(m20261121_000302_create_rag_tables::Migration),
        Box::new(m20261121_000303_create_mcp_tables::Migration),
    ]
}
