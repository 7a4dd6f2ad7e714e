//! Entity for `tags`: a user's labels for artifacts, files and conversations.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tags", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique_key = "user_name")]
    pub user_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(100))", unique_key = "user_name")]
    pub name: String,
    #[sea_orm(column_type = "String(StringLen::N(20))", nullable)]
    pub color: Option<String>,
    pub created_at: DateTime,

    #[sea_orm(
        belongs_to,
        from = "user_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub user: BelongsTo<super::users::Entity>,
    #[sea_orm(has_many)]
    pub artifact_tags: HasMany<super::artifact_tags::Entity>,
    #[sea_orm(has_many)]
    pub storage_file_tags: HasMany<super::storage_file_tags::Entity>,
    #[sea_orm(has_many)]
    pub conversation_tags: HasMany<super::conversation_tags::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
