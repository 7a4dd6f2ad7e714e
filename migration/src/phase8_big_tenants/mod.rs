//! Phase 8, big tenants: what keeps the hot paths fast for the largest users too.

use sea_orm_migration::MigrationTrait;
mod m20261206_000701_create_nearest_chunks;
mod m20261206_000702_create_rag_chunks_embedding_hnsw_index;
mod m20261206_000703_drop_rag_chunks_embedding_index;
mod m20261206_000704_narrow_nearest_chunks_search;

/// The phase's migrations in the order they must run: the new graph before the old one is
/// dropped, so that the chunks are never without an index.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261206_000701_create_nearest_chunks::Migration),
        Box::new(m20261206_000702_create_rag_chunks_embedding_hnsw_index::Migration),
        Box::new(m20261206_000703_drop_rag_chunks_embedding_index::Migration),
        Box::new(m20261206_000704_narrow_nearest_chunks_search::Migration),
    ]
}
