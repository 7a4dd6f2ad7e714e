//! Entity for `support_messages`: the thread of a support ticket, from users, staff or the AI.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "support_messages", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub author_id: Option<Uuid>,
    /// The column is spelled `isFromAI`, which camelCase would write `isFromAi`.
    #[sea_orm(column_name = "isFromAI")]
    pub is_from_ai: bool,
    pub is_internal: bool,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub attachments: Option<Json>,
    pub created_at: DateTime,

    #[sea_orm(
        belongs_to,
        from = "ticket_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub ticket: BelongsTo<super::support_tickets::Entity>,
    /// The author (`authorId`); none for AI replies or deleted users.
    #[sea_orm(
        belongs_to,
        from = "author_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    pub author: BelongsTo<Option<super::users::Entity>>,
}

impl ActiveModelBehavior for ActiveModel {}
