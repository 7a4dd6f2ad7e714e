//! Entity for `agents`: AI agents (model, endpoint, prompt) published on the platform.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agents", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_by: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub name: String,
    #[sea_orm(column_type = "String(StringLen::N(255))", unique)]
    pub slug: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub category: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub model: String,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub config: Option<Json>,
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub endpoint_url: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub system_prompt: Option<String>,
    pub is_public: bool,
    pub is_active: bool,
    #[sea_orm(column_type = "String(StringLen::N(500))", nullable)]
    pub documentation_url: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(500))", nullable)]
    pub tutorial_url: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub capabilities: Option<Json>,
    pub total_uses: i32,
    pub total_messages: i32,
    #[sea_orm(column_type = "Decimal(Some((3, 2)))", nullable)]
    pub average_rating: Option<Decimal>,
    pub created_at: DateTime,
    pub updated_at: DateTime,

    /// The user who created the agent (`createdBy`).
    #[sea_orm(
        belongs_to,
        from = "created_by",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub creator: BelongsTo<super::users::Entity>,
    #[sea_orm(has_many)]
    pub conversations: HasMany<super::conversations::Entity>,
    #[sea_orm(has_many)]
    pub user_agent_permissions: HasMany<super::user_agent_permissions::Entity>,
    #[sea_orm(has_many)]
    pub artifacts: HasMany<super::artifacts::Entity>,
    #[sea_orm(has_many)]
    pub usage_logs: HasMany<super::usage_logs::Entity>,
    /// RAG documents that feed this agent (`rag_documents.agentId`).
    #[sea_orm(has_many)]
    pub rag_documents: HasMany<super::rag_documents::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
