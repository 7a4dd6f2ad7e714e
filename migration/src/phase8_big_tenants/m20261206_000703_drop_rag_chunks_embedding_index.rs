//! Phase 8: drops phase 4's HNSW index over the RAG chunks, which the better-connected one of
//! the previous migration replaces; `down` builds it again, online.

use sea_orm_migration::prelude::*;

use crate::online::{self, OnlineIndex};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Kept, it would cost every chunk written a second graph insertion (the slowest write of the
/// table), and the planner could pick either index.
const PHASE4: OnlineIndex<'static> = OnlineIndex {
    method: Some("hnsw"),
    opclass: Some("vector_cosine_ops"),
    memory: Some("1GB"),
    ..OnlineIndex::new(
        "rag_chunks_embedding_idx",
        "public",
        "rag_chunks",
        &["embedding"],
    )
};

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::remove(manager, &PHASE4).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::build(manager, &PHASE4).await
    }
}
