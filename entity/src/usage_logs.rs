//! Entity for `usage_logs`: one metered model call (tokens, cost, latency).

use sea_orm::entity::prelude::*;

/// `conversationId` and `messageId` are plain columns without foreign keys.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_logs", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub agent_id: Uuid,
    pub conversation_id: Option<Uuid>,
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub message_id: Option<String>,
    pub tokens_input: i32,
    pub tokens_output: i32,
    pub total_tokens: i32,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub model: String,
    #[sea_orm(column_type = "Decimal(Some((10, 6)))")]
    pub cost_input: Decimal,
    #[sea_orm(column_type = "Decimal(Some((10, 6)))")]
    pub cost_output: Decimal,
    #[sea_orm(column_type = "Decimal(Some((10, 6)))")]
    pub total_cost: Decimal,
    pub duration: Option<i32>,
    pub success: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub error_message: Option<String>,
    pub timestamp: DateTime,

    #[sea_orm(
        belongs_to,
        from = "user_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub user: BelongsTo<super::users::Entity>,
    #[sea_orm(
        belongs_to,
        from = "agent_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub agent: BelongsTo<super::agents::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
