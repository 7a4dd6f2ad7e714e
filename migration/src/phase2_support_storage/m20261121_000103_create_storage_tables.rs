//! Phase 2: file storage: folders, files, per-user quotas, access logs and shares.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{
    add_updated_at_triggers, drop_updated_at_triggers, fk, index, pg_enum, pkey, timestamp3_now,
    timestamp3_null, unique_index, uuid_id,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables of this migration that have `"updatedAt"`.
const UPDATED_AT_TABLES: &[(&str, &str)] = &[
    ("public", "storage_folders"),
    ("public", "storage_files"),
    ("public", "storage_quotas"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StorageFolders::Table)
                    .col(uuid_id(StorageFolders::Id))
                    .col(uuid(StorageFolders::UserId))
                    .col(uuid_null(StorageFolders::ParentId))
                    .col(string_len(StorageFolders::Name, 255))
                    .col(string_len(StorageFolders::Path, 1000))
                    .col(timestamp3_now(StorageFolders::CreatedAt))
                    .col(timestamp3_now(StorageFolders::UpdatedAt))
                    .primary_key(&mut pkey(&StorageFolders::Table, StorageFolders::Id))
                    .foreign_key(&mut fk(
                        StorageFolders::Table,
                        StorageFolders::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    // Deleting a folder deletes its subfolders.
                    .foreign_key(&mut fk(
                        StorageFolders::Table,
                        StorageFolders::ParentId,
                        StorageFolders::Table,
                        StorageFolders::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StorageFiles::Table)
                    .col(uuid_id(StorageFiles::Id))
                    .col(uuid(StorageFiles::UserId))
                    .col(uuid_null(StorageFiles::FolderId))
                    .col(string_len(StorageFiles::Name, 500))
                    .col(string_len(StorageFiles::MimeType, 255))
                    // A column CHECK, unnamed, so PostgreSQL names it storage_files_size_check.
                    .col(
                        big_integer(StorageFiles::Size).check(Expr::col(StorageFiles::Size).gte(0)),
                    )
                    .col(string_len_null(StorageFiles::Checksum, 128))
                    .col(pg_enum(StorageFiles::StorageProvider, &StorageProvider).default("LOCAL"))
                    .col(string_len(StorageFiles::StorageKey, 1000))
                    .col(pg_enum(StorageFiles::AccessLevel, &FileAccessLevel).default("PRIVATE"))
                    .col(pg_enum(StorageFiles::UsageContext, &FileUsageContext).default("OTHER"))
                    .col(json_binary_null(StorageFiles::Metadata))
                    .col(timestamp3_null(StorageFiles::DeletedAt))
                    .col(timestamp3_now(StorageFiles::CreatedAt))
                    .col(timestamp3_now(StorageFiles::UpdatedAt))
                    .primary_key(&mut pkey(&StorageFiles::Table, StorageFiles::Id))
                    .foreign_key(&mut fk(
                        StorageFiles::Table,
                        StorageFiles::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    // Deleting a folder keeps its files, moved to the root.
                    .foreign_key(
                        fk(
                            StorageFiles::Table,
                            StorageFiles::FolderId,
                            StorageFolders::Table,
                            StorageFolders::Id,
                        )
                        .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StorageQuotas::Table)
                    .col(uuid_id(StorageQuotas::Id))
                    .col(uuid(StorageQuotas::UserId))
                    .col(big_integer(StorageQuotas::MaxStorage))
                    .col(
                        big_integer(StorageQuotas::UsedStorage)
                            .default(0)
                            .check(Expr::col(StorageQuotas::UsedStorage).gte(0)),
                    )
                    .col(big_integer(StorageQuotas::MaxFileSize))
                    .col(integer(StorageQuotas::MaxFiles))
                    .col(
                        integer(StorageQuotas::FileCount)
                            .default(0)
                            .check(Expr::col(StorageQuotas::FileCount).gte(0)),
                    )
                    .col(pg_enum(StorageQuotas::SubscriptionTier, &SubscriptionTier))
                    .col(timestamp3_now(StorageQuotas::CreatedAt))
                    .col(timestamp3_now(StorageQuotas::UpdatedAt))
                    .primary_key(&mut pkey(&StorageQuotas::Table, StorageQuotas::Id))
                    .foreign_key(&mut fk(
                        StorageQuotas::Table,
                        StorageQuotas::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FileAccessLogs::Table)
                    .col(uuid_id(FileAccessLogs::Id))
                    .col(uuid(FileAccessLogs::FileId))
                    .col(uuid_null(FileAccessLogs::UserId))
                    .col(pg_enum(FileAccessLogs::Action, &FileAction))
                    .col(ColumnDef::new(FileAccessLogs::IpAddress).inet().null())
                    .col(string_len_null(FileAccessLogs::UserAgent, 500))
                    .col(timestamp3_now(FileAccessLogs::Timestamp))
                    .primary_key(&mut pkey(&FileAccessLogs::Table, FileAccessLogs::Id))
                    .foreign_key(&mut fk(
                        FileAccessLogs::Table,
                        FileAccessLogs::FileId,
                        StorageFiles::Table,
                        StorageFiles::Id,
                    ))
                    // The log outlives the account of whoever accessed the file.
                    .foreign_key(
                        fk(
                            FileAccessLogs::Table,
                            FileAccessLogs::UserId,
                            Users::Table,
                            Users::Id,
                        )
                        .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FileShares::Table)
                    .col(uuid_id(FileShares::Id))
                    .col(uuid(FileShares::FileId))
                    .col(uuid(FileShares::SharedBy))
                    .col(uuid_null(FileShares::SharedWith))
                    .col(pg_enum(FileShares::ShareType, &ShareType))
                    .col(string_len_null(FileShares::Token, 255))
                    .col(boolean(FileShares::CanDownload).default(true))
                    .col(timestamp3_null(FileShares::ExpiresAt))
                    .col(integer(FileShares::AccessCount).default(0))
                    .col(timestamp3_now(FileShares::CreatedAt))
                    .primary_key(&mut pkey(&FileShares::Table, FileShares::Id))
                    .foreign_key(&mut fk(
                        FileShares::Table,
                        FileShares::FileId,
                        StorageFiles::Table,
                        StorageFiles::Id,
                    ))
                    .foreign_key(&mut fk(
                        FileShares::Table,
                        FileShares::SharedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut fk(
                        FileShares::Table,
                        FileShares::SharedWith,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        for stmt in indexes() {
            manager.create_index(stmt).await?;
        }
        add_updated_at_triggers(manager, UPDATED_AT_TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_updated_at_triggers(manager, UPDATED_AT_TABLES).await?;
        // Dropping a table drops its indexes and foreign keys; referencing tables go first.
        for table in [
            FileShares::Table.into_iden(),
            FileAccessLogs::Table.into_iden(),
            StorageQuotas::Table.into_iden(),
            StorageFiles::Table.into_iden(),
            StorageFolders::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The indexes of SCHEMA.md's Phase-2 storage rows, plus one for every foreign key column
/// that no listed index starts with.
fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        unique_index("storage_folders_userId_path_key", StorageFolders::Table)
            .col(StorageFolders::UserId)
            .col(StorageFolders::Path)
            .to_owned(),
        index("storage_folders_parentId_idx", StorageFolders::Table)
            .col(StorageFolders::ParentId)
            .to_owned(),
        unique_index(
            "storage_files_storageProvider_storageKey_key",
            StorageFiles::Table,
        )
        .col(StorageFiles::StorageProvider)
        .col(StorageFiles::StorageKey)
        .to_owned(),
        index("storage_files_userId_createdAt_idx", StorageFiles::Table)
            .col(StorageFiles::UserId)
            .col((StorageFiles::CreatedAt, IndexOrder::Desc))
            .to_owned(),
        index("storage_files_folderId_idx", StorageFiles::Table)
            .col(StorageFiles::FolderId)
            .to_owned(),
        unique_index("storage_quotas_userId_key", StorageQuotas::Table)
            .col(StorageQuotas::UserId)
            .to_owned(),
        index(
            "file_access_logs_fileId_timestamp_idx",
            FileAccessLogs::Table,
        )
        .col(FileAccessLogs::FileId)
        .col((FileAccessLogs::Timestamp, IndexOrder::Desc))
        .to_owned(),
        index(
            "file_access_logs_userId_timestamp_idx",
            FileAccessLogs::Table,
        )
        .col(FileAccessLogs::UserId)
        .col((FileAccessLogs::Timestamp, IndexOrder::Desc))
        .to_owned(),
        unique_index("file_shares_token_key", FileShares::Table)
            .col(FileShares::Token)
            .to_owned(),
        index("file_shares_fileId_idx", FileShares::Table)
            .col(FileShares::FileId)
            .to_owned(),
        index("file_shares_sharedWith_idx", FileShares::Table)
            .col(FileShares::SharedWith)
            .to_owned(),
        index("file_shares_sharedBy_idx", FileShares::Table)
            .col(FileShares::SharedBy)
            .to_owned(),
    ]
}

/// A referenced table, as created by phase 1.
#[derive(DeriveIden)]
enum Users {
    #[sea_orm(iden = "users")]
    Table,
    Id,
}

#[derive(DeriveIden)]
#[sea_orm(iden = "SubscriptionTier")]
struct SubscriptionTier;

#[derive(DeriveIden)]
#[sea_orm(iden = "StorageProvider")]
struct StorageProvider;

#[derive(DeriveIden)]
#[sea_orm(iden = "FileAccessLevel")]
struct FileAccessLevel;

#[derive(DeriveIden)]
#[sea_orm(iden = "FileUsageContext")]
struct FileUsageContext;

#[derive(DeriveIden)]
#[sea_orm(iden = "FileAction")]
struct FileAction;

#[derive(DeriveIden)]
#[sea_orm(iden = "ShareType")]
struct ShareType;

#[derive(DeriveIden)]
enum StorageFolders {
    #[sea_orm(iden = "storage_folders")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "parentId")]
    ParentId,
    Name,
    Path,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StorageFiles {
    #[sea_orm(iden = "storage_files")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "folderId")]
    FolderId,
    Name,
    #[sea_orm(iden = "mimeType")]
    MimeType,
    Size,
    Checksum,
    #[sea_orm(iden = "storageProvider")]
    StorageProvider,
    #[sea_orm(iden = "storageKey")]
    StorageKey,
    #[sea_orm(iden = "accessLevel")]
    AccessLevel,
    #[sea_orm(iden = "usageContext")]
    UsageContext,
    Metadata,
    #[sea_orm(iden = "deletedAt")]
    DeletedAt,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StorageQuotas {
    #[sea_orm(iden = "storage_quotas")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "maxStorage")]
    MaxStorage,
    #[sea_orm(iden = "usedStorage")]
    UsedStorage,
    #[sea_orm(iden = "maxFileSize")]
    MaxFileSize,
    #[sea_orm(iden = "maxFiles")]
    MaxFiles,
    #[sea_orm(iden = "fileCount")]
    FileCount,
    #[sea_orm(iden = "subscriptionTier")]
    SubscriptionTier,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FileAccessLogs {
    #[sea_orm(iden = "file_access_logs")]
    Table,
    Id,
    #[sea_orm(iden = "fileId")]
    FileId,
    #[sea_orm(iden = "userId")]
    UserId,
    Action,
    #[sea_orm(iden = "ipAddress")]
    IpAddress,
    #[sea_orm(iden = "userAgent")]
    UserAgent,
    Timestamp,
}

#[derive(DeriveIden)]
enum FileShares {
    #[sea_orm(iden = "file_shares")]
    Table,
    Id,
    #[sea_orm(iden = "fileId")]
    FileId,
    #[sea_orm(iden = "sharedBy")]
    SharedBy,
    #[sea_orm(iden = "sharedWith")]
    SharedWith,
    #[sea_orm(iden = "shareType")]
    ShareType,
    Token,
    #[sea_orm(iden = "canDownload")]
    CanDownload,
    #[sea_orm(iden = "expiresAt")]
    ExpiresAt,
    #[sea_orm(iden = "accessCount")]
    AccessCount,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
}
