//! Entity for `support_tickets`: a user's request for help, its triage and resolution.

use super::sea_orm_active_enums::{TicketCategory, TicketPriority, TicketStatus};
use sea_orm::entity::prelude::*;

/// Two foreign keys point at `users` (`userId`, the requester; `assignedTo`, the support
/// agent), so each relation carries its own name.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "support_tickets", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub assigned_to: Option<Uuid>,
    pub category: TicketCategory,
    pub priority: TicketPriority,
    pub status: TicketStatus,
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub ai_summary: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub metadata: Option<Json>,
    pub resolved_at: Option<DateTime>,
    pub closed_at: Option<DateTime>,
    pub created_at: DateTime,
    pub updated_at: DateTime,

    /// The user who opened the ticket (`userId`).
    #[sea_orm(
        belongs_to,
        relation_enum = "Requester",
        from = "user_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub requester: BelongsTo<super::users::Entity>,
    /// The support agent working on it (`assignedTo`), if any.
    #[sea_orm(
        belongs_to,
        relation_enum = "Assignee",
        from = "assigned_to",
        to = "id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    pub assignee: BelongsTo<Option<super::users::Entity>>,
    #[sea_orm(has_many)]
    pub support_messages: HasMany<super::support_messages::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
