//! Entity for `conversations`: a conversation with one agent inside a chat session.

use sea_orm::entity::prelude::*;

/// `messageCount` and `tokenCount` are kept exact by a trigger on `messages`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub chat_session_id: Uuid,
    pub agent_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub title: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub summary: Option<String>,
    pub message_count: i32,
    pub token_count: i32,
    pub created_at: DateTime,
    pub updated_at: DateTime,

    #[sea_orm(
        belongs_to,
        from = "chat_session_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub chat_session: BelongsTo<super::chat_sessions::Entity>,
    #[sea_orm(
        belongs_to,
        from = "agent_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub agent: BelongsTo<super::agents::Entity>,
    #[sea_orm(has_many)]
    pub messages: HasMany<super::messages::Entity>,
    /// Tag links (`conversation_tags.conversationId`).
    #[sea_orm(has_many)]
    pub conversation_tags: HasMany<super::conversation_tags::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
