//! Entity for `messages`: one message (user, assistant, …) of a conversation.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub conversation_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub role: String,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub tokens_input: Option<i32>,
    pub tokens_output: Option<i32>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub metadata: Option<Json>,
    pub timestamp: DateTime,
    /// The owner of the conversation's session (phase 8), set by the `messages_owner` trigger
    /// on every insert and change of conversation whatever is written here: leave it unset
    /// when inserting. Readable, so the application can tell whose a message is without a join.
    pub user_id: Uuid,

    #[sea_orm(
        belongs_to,
        from = "conversation_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub conversation: BelongsTo<super::conversations::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
