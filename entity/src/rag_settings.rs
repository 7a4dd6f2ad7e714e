//! Entity for `rag_settings`: a user's chunking and retrieval parameters (one row per user).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rag_settings", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub user_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub embedding_model: String,
    pub chunk_size: i32,
    pub chunk_overlap: i32,
    pub top_k: i32,
    #[sea_orm(column_type = "Decimal(Some((4, 3)))")]
    pub similarity_threshold: Decimal,
    pub created_at: DateTime,
    pub updated_at: DateTime,

    /// The user these settings belong to (`userId`).
    #[sea_orm(
        belongs_to,
        from = "user_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub user: BelongsTo<super::users::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
