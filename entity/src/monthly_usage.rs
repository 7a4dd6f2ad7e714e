//! Entity for `monthly_usage`: per-user monthly usage rollup and limits.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "monthly_usage", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique_key = "user_month")]
    pub user_id: Uuid,
    #[sea_orm(unique_key = "user_month")]
    pub year: i32,
    /// 1–12 (CHECK constraint).
    #[sea_orm(unique_key = "user_month")]
    pub month: i32,
    pub total_messages: i32,
    pub total_tokens: i64,
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    pub total_cost: Decimal,
    #[sea_orm(column_type = "JsonBinary")]
    pub agent_usage: Json,
    pub limit_messages: Option<i32>,
    pub limit_tokens: Option<i64>,
    pub exceeded_limit: bool,
    pub warnings_sent: i32,
    pub created_at: DateTime,
    pub updated_at: DateTime,

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
