//! Phase 2: a user's tags and the join tables that attach them to artifacts, files and
//! conversations.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{fk, index, pkey, timestamp3_now, unique_index, uuid_id};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tags::Table)
                    .col(uuid_id(Tags::Id))
                    .col(uuid(Tags::UserId))
                    .col(string_len(Tags::Name, 100))
                    .col(string_len_null(Tags::Color, 20))
                    .col(timestamp3_now(Tags::CreatedAt))
                    .primary_key(&mut pkey(&Tags::Table, Tags::Id))
                    .foreign_key(&mut fk(Tags::Table, Tags::UserId, Users::Table, Users::Id))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(join_table(
                ArtifactTags::Table,
                ArtifactTags::ArtifactId,
                Artifacts::Table,
                Artifacts::Id,
            ))
            .await?;
        manager
            .create_table(join_table(
                StorageFileTags::Table,
                StorageFileTags::FileId,
                StorageFiles::Table,
                StorageFiles::Id,
            ))
            .await?;
        manager
            .create_table(join_table(
                ConversationTags::Table,
                ConversationTags::ConversationId,
                Conversations::Table,
                Conversations::Id,
            ))
            .await?;

        // The key's first column covers each join table's owner FK; tagId needs its own index.
        let indexes = [
            unique_index("tags_userId_name_key", Tags::Table)
                .col(Tags::UserId)
                .col(Tags::Name)
                .to_owned(),
            index("artifact_tags_tagId_idx", ArtifactTags::Table)
                .col(TagId)
                .to_owned(),
            index("storage_file_tags_tagId_idx", StorageFileTags::Table)
                .col(TagId)
                .to_owned(),
            index("conversation_tags_tagId_idx", ConversationTags::Table)
                .col(TagId)
                .to_owned(),
        ];
        for stmt in indexes {
            manager.create_index(stmt).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping a table drops its indexes and foreign keys; referencing tables go first.
        for table in [
            ConversationTags::Table.into_iden(),
            StorageFileTags::Table.into_iden(),
            ArtifactTags::Table.into_iden(),
            Tags::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

/// A join table `(owner, "tagId")` with no id or timestamps: its key is the pair, named
/// `<table>_pkey`, and both columns reference their tables with the default CASCADE rules.
fn join_table<T, C, R, RC>(table: T, owner: C, ref_table: R, ref_col: RC) -> TableCreateStatement
where
    T: Iden + IntoTableRef + Clone + 'static,
    C: Iden + IntoIden + Clone + 'static,
    R: IntoTableRef,
    RC: IntoIden,
{
    Table::create()
        .table(table.clone())
        .col(uuid(owner.clone()))
        .col(uuid(TagId))
        .primary_key(
            Index::create()
                .name(format!("{}_pkey", Iden::to_string(&table)))
                .col(owner.clone())
                .col(TagId),
        )
        .foreign_key(&mut fk(table.clone(), owner, ref_table, ref_col))
        .foreign_key(&mut fk(table, TagId, Tags::Table, Tags::Id))
        .to_owned()
}

/// A referenced table, as created by phase 1.
#[derive(DeriveIden)]
enum Users {
    #[sea_orm(iden = "users")]
    Table,
    Id,
}

/// A referenced table, as created by phase 1.
#[derive(DeriveIden)]
enum Artifacts {
    #[sea_orm(iden = "artifacts")]
    Table,
    Id,
}

/// A referenced table, as created by phase 1.
#[derive(DeriveIden)]
enum Conversations {
    #[sea_orm(iden = "conversations")]
    Table,
    Id,
}

/// A referenced table, as created by the storage migration.
#[derive(DeriveIden)]
enum StorageFiles {
    #[sea_orm(iden = "storage_files")]
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Tags {
    #[sea_orm(iden = "tags")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    Name,
    Color,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
}

/// The `"tagId"` column every join table has.
#[derive(DeriveIden, Clone, Copy)]
#[sea_orm(iden = "tagId")]
struct TagId;

#[derive(DeriveIden, Clone, Copy)]
enum ArtifactTags {
    #[sea_orm(iden = "artifact_tags")]
    Table,
    #[sea_orm(iden = "artifactId")]
    ArtifactId,
}

#[derive(DeriveIden, Clone, Copy)]
enum StorageFileTags {
    #[sea_orm(iden = "storage_file_tags")]
    Table,
    #[sea_orm(iden = "fileId")]
    FileId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ConversationTags {
    #[sea_orm(iden = "conversation_tags")]
    Table,
    #[sea_orm(iden = "conversationId")]
    ConversationId,
}
