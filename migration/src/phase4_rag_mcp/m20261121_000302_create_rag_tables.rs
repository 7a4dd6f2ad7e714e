//! Phase 4: RAG documents, their pgvector chunks with an HNSW index, and per-user RAG settings.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{
    add_updated_at_triggers, drop_updated_at_triggers, fk, index, pg_enum, pkey, timestamp3_now,
    unique_index, uuid_id,
};

/// The tables of this migration that have `"updatedAt"` (`rag_chunks` has none).
const UPDATED_AT_TABLES: &[(&str, &str)] =
    &[("public", "rag_documents"), ("public", "rag_settings")];

/// The approximate-nearest-neighbour index on the embeddings.
///
/// sea-query can name an index method but not an operator class, and cosine distance
/// (`<=>`) needs `vector_cosine_ops`, so the statement is written out.
const CREATE_EMBEDDING_INDEX: &str = r#"CREATE INDEX "rag_chunks_embedding_idx" ON "rag_chunks" USING hnsw ("embedding" vector_cosine_ops)"#;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RagDocuments::Table)
                    .col(uuid_id(RagDocuments::Id))
                    .col(uuid(RagDocuments::UserId))
                    .col(uuid_null(RagDocuments::AgentId))
                    .col(uuid_null(RagDocuments::FileId))
                    .col(string_len(RagDocuments::Title, 500))
                    .col(string_len(RagDocuments::SourceType, 50))
                    .col(string_len_null(RagDocuments::SourceUrl, 1000))
                    .col(string_len(RagDocuments::ContentHash, 64))
                    .col(pg_enum(RagDocuments::Status, &DocumentStatus).default("PENDING"))
                    .col(integer(RagDocuments::ChunkCount).default(0))
                    .col(string_len(RagDocuments::EmbeddingModel, 100))
                    .col(text_null(RagDocuments::ErrorMessage))
                    .col(json_binary_null(RagDocuments::Metadata))
                    .col(timestamp3_now(RagDocuments::CreatedAt))
                    .col(timestamp3_now(RagDocuments::UpdatedAt))
                    .primary_key(&mut pkey(&RagDocuments::Table, RagDocuments::Id))
                    .foreign_key(&mut fk(
                        RagDocuments::Table,
                        RagDocuments::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(
                        fk(
                            RagDocuments::Table,
                            RagDocuments::AgentId,
                            Agents::Table,
                            Agents::Id,
                        )
                        .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        fk(
                            RagDocuments::Table,
                            RagDocuments::FileId,
                            StorageFiles::Table,
                            StorageFiles::Id,
                        )
                        .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RagChunks::Table)
                    .col(uuid_id(RagChunks::Id))
                    .col(uuid(RagChunks::DocumentId))
                    .col(integer(RagChunks::ChunkIndex))
                    .col(text(RagChunks::Content))
                    .col(integer(RagChunks::TokenCount))
                    .col(
                        ColumnDef::new(RagChunks::Embedding)
                            .vector(Some(1536))
                            .not_null(),
                    )
                    .col(json_binary_null(RagChunks::Metadata))
                    .col(timestamp3_now(RagChunks::CreatedAt))
                    .primary_key(&mut pkey(&RagChunks::Table, RagChunks::Id))
                    .foreign_key(&mut fk(
                        RagChunks::Table,
                        RagChunks::DocumentId,
                        RagDocuments::Table,
                        RagDocuments::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RagSettings::Table)
                    .col(uuid_id(RagSettings::Id))
                    .col(uuid(RagSettings::UserId))
                    .col(
                        string_len(RagSettings::EmbeddingModel, 100)
                            .default("text-embedding-3-small"),
                    )
                    .col(integer(RagSettings::ChunkSize).default(1000))
                    .col(integer(RagSettings::ChunkOverlap).default(200))
                    .col(integer(RagSettings::TopK).default(5))
                    .col(decimal_len(RagSettings::SimilarityThreshold, 4, 3).default(0.7))
                    .col(timestamp3_now(RagSettings::CreatedAt))
                    .col(timestamp3_now(RagSettings::UpdatedAt))
                    .primary_key(&mut pkey(&RagSettings::Table, RagSettings::Id))
                    .foreign_key(&mut fk(
                        RagSettings::Table,
                        RagSettings::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        // The unique (userId, ...) indexes also serve as the userId foreign-key indexes.
        let indexes = [
            unique_index("rag_documents_userId_contentHash_key", RagDocuments::Table)
                .col(RagDocuments::UserId)
                .col(RagDocuments::ContentHash)
                .to_owned(),
            index("rag_documents_userId_status_idx", RagDocuments::Table)
                .col(RagDocuments::UserId)
                .col(RagDocuments::Status)
                .to_owned(),
            index("rag_documents_agentId_idx", RagDocuments::Table)
                .col(RagDocuments::AgentId)
                .to_owned(),
            index("rag_documents_fileId_idx", RagDocuments::Table)
                .col(RagDocuments::FileId)
                .to_owned(),
            unique_index("rag_chunks_documentId_chunkIndex_key", RagChunks::Table)
                .col(RagChunks::DocumentId)
                .col(RagChunks::ChunkIndex)
                .to_owned(),
            unique_index("rag_settings_userId_key", RagSettings::Table)
                .col(RagSettings::UserId)
                .to_owned(),
        ];
        for stmt in indexes {
            manager.create_index(stmt).await?;
        }
        manager
            .get_connection()
            .execute_unprepared(CREATE_EMBEDDING_INDEX)
            .await?;

        add_updated_at_triggers(manager, UPDATED_AT_TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping a table drops its indexes, triggers and foreign keys; referencing tables
        // go first.
        drop_updated_at_triggers(manager, UPDATED_AT_TABLES).await?;
        for table in [
            RagSettings::Table.into_iden(),
            RagChunks::Table.into_iden(),
            RagDocuments::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
#[sea_orm(iden = "DocumentStatus")]
struct DocumentStatus;

/// A referenced table, as created by phase 1's identity migration.
#[derive(DeriveIden)]
enum Users {
    #[sea_orm(iden = "users")]
    Table,
    Id,
}

/// A referenced table, as created by phase 1's agent migration.
#[derive(DeriveIden)]
enum Agents {
    #[sea_orm(iden = "agents")]
    Table,
    Id,
}

/// A referenced table, as created by phase 2's storage migration.
#[derive(DeriveIden)]
enum StorageFiles {
    #[sea_orm(iden = "storage_files")]
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RagDocuments {
    #[sea_orm(iden = "rag_documents")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "agentId")]
    AgentId,
    #[sea_orm(iden = "fileId")]
    FileId,
    Title,
    #[sea_orm(iden = "sourceType")]
    SourceType,
    #[sea_orm(iden = "sourceUrl")]
    SourceUrl,
    #[sea_orm(iden = "contentHash")]
    ContentHash,
    Status,
    #[sea_orm(iden = "chunkCount")]
    ChunkCount,
    #[sea_orm(iden = "embeddingModel")]
    EmbeddingModel,
    #[sea_orm(iden = "errorMessage")]
    ErrorMessage,
    Metadata,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RagChunks {
    #[sea_orm(iden = "rag_chunks")]
    Table,
    Id,
    #[sea_orm(iden = "documentId")]
    DocumentId,
    #[sea_orm(iden = "chunkIndex")]
    ChunkIndex,
    Content,
    #[sea_orm(iden = "tokenCount")]
    TokenCount,
    Embedding,
    Metadata,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
}

#[derive(DeriveIden)]
enum RagSettings {
    #[sea_orm(iden = "rag_settings")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "embeddingModel")]
    EmbeddingModel,
    #[sea_orm(iden = "chunkSize")]
    ChunkSize,
    #[sea_orm(iden = "chunkOverlap")]
    ChunkOverlap,
    #[sea_orm(iden = "topK")]
    TopK,
    #[sea_orm(iden = "similarityThreshold")]
    SimilarityThreshold,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}
