//! Entity for `file_shares`: a file shared by link, e-mail or with another user.

use super::sea_orm_active_enums::ShareType;
use sea_orm::entity::prelude::*;

/// Two foreign keys point at `users` (`sharedBy`, `sharedWith`), so each relation carries
/// its own name.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "file_shares", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub file_id: Uuid,
    pub shared_by: Uuid,
    pub shared_with: Option<Uuid>,
    pub share_type: ShareType,
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable, unique)]
    pub token: Option<String>,
    pub can_download: bool,
    pub expires_at: Option<DateTime>,
    pub access_count: i32,
    pub created_at: DateTime,

    #[sea_orm(
        belongs_to,
        from = "file_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub file: BelongsTo<super::storage_files::Entity>,
    /// The user who shared the file (`sharedBy`).
    #[sea_orm(
        belongs_to,
        relation_enum = "Sharer",
        from = "shared_by",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub sharer: BelongsTo<super::users::Entity>,
    /// The user it is shared with (`sharedWith`), for shares of type `USER`.
    #[sea_orm(
        belongs_to,
        relation_enum = "Recipient",
        from = "shared_with",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub recipient: BelongsTo<Option<super::users::Entity>>,
}

impl ActiveModelBehavior for ActiveModel {}
