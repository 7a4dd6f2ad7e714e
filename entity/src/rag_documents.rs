//! Entity for `rag_documents`: a user's source document for retrieval, split into `rag_chunks`.

use super::sea_orm_active_enums::DocumentStatus;
use sea_orm::entity::prelude::*;

/// `contentHash` is the SHA-256 hex of the text, unique per user, so the same text is indexed
/// once; `chunkCount` is the number of its `rag_chunks`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rag_documents", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique_key = "user_content_hash")]
    pub user_id: Uuid,
    pub agent_id: Option<Uuid>,
    pub file_id: Option<Uuid>,
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub title: String,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub source_type: String,
    #[sea_orm(column_type = "String(StringLen::N(1000))", nullable)]
    pub source_url: Option<String>,
    #[sea_orm(
        column_type = "String(StringLen::N(64))",
        unique_key = "user_content_hash"
    )]
    pub content_hash: String,
    pub status: DocumentStatus,
    pub chunk_count: i32,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub embedding_model: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub error_message: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub metadata: Option<Json>,
    pub created_at: DateTime,
    pub updated_at: DateTime,

    /// The owner (`userId`).
    #[sea_orm(
        belongs_to,
        from = "user_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub user: BelongsTo<super::users::Entity>,
    /// The agent the document feeds, if any (`agentId`, `ON DELETE SET NULL`).
    #[sea_orm(
        belongs_to,
        from = "agent_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    pub agent: BelongsTo<Option<super::agents::Entity>>,
    /// The stored file the text came from, if any (`fileId`, `ON DELETE SET NULL`).
    #[sea_orm(
        belongs_to,
        from = "file_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    pub file: BelongsTo<Option<super::storage_files::Entity>>,
    /// The document's chunks and their embeddings.
    #[sea_orm(has_many)]
    pub rag_chunks: HasMany<super::rag_chunks::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
