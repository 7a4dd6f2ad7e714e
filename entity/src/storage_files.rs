//! Entity for `storage_files`: an uploaded file's metadata and where its bytes are stored.

use super::sea_orm_active_enums::{FileAccessLevel, FileUsageContext, StorageProvider};
use sea_orm::entity::prelude::*;

/// A file with `deletedAt` set is soft-deleted: it no longer counts against the owner's
/// quota (a trigger keeps `storage_quotas` exact).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "storage_files", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub folder_id: Option<Uuid>,
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub name: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub mime_type: String,
    pub size: i64,
    #[sea_orm(column_type = "String(StringLen::N(128))", nullable)]
    pub checksum: Option<String>,
    #[sea_orm(unique_key = "provider_key")]
    pub storage_provider: StorageProvider,
    #[sea_orm(
        column_type = "String(StringLen::N(1000))",
        unique_key = "provider_key"
    )]
    pub storage_key: String,
    pub access_level: FileAccessLevel,
    pub usage_context: FileUsageContext,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub metadata: Option<Json>,
    pub deleted_at: Option<DateTime>,
    pub created_at: DateTime,
    pub updated_at: DateTime,

    #[sea_orm(
        belongs_to,
        from = "user_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub user: BelongsTo<super::users::Entity>,
    /// The folder holding the file (`folderId`); none at the root.
    #[sea_orm(
        belongs_to,
        from = "folder_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    pub folder: BelongsTo<Option<super::storage_folders::Entity>>,
    #[sea_orm(has_many)]
    pub file_access_logs: HasMany<super::file_access_logs::Entity>,
    #[sea_orm(has_many)]
    pub file_shares: HasMany<super::file_shares::Entity>,
    #[sea_orm(has_many)]
    pub storage_file_tags: HasMany<super::storage_file_tags::Entity>,
    #[sea_orm(has_many)]
    pub rag_documents: HasMany<super::rag_documents::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
