//! Entity for `rag_chunks`: one piece of a RAG document with its pgvector embedding.

use sea_orm::entity::prelude::*;

/// `embedding` is `vector(1536)`, searched by cosine distance through the HNSW index
/// `rag_chunks_embedding_hnsw_idx` (phase 8). The model is not `Eq` because the embedding
/// holds floats.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "rag_chunks", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique_key = "document_chunk")]
    pub document_id: Uuid,
    #[sea_orm(unique_key = "document_chunk")]
    pub chunk_index: i32,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub token_count: i32,
    #[sea_orm(column_type = "Vector(Some(1536))")]
    pub embedding: PgVector,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub metadata: Option<Json>,
    pub created_at: DateTime,

    /// The document the chunk belongs to (`documentId`).
    #[sea_orm(
        belongs_to,
        from = "document_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub document: BelongsTo<super::rag_documents::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
