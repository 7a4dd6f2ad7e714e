//! Entity for `usage_alerts`: usage threshold alerts raised for a user.

use super::sea_orm_active_enums::AlertType;
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_alerts", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub r#type: AlertType,
    pub threshold: i32,
    pub triggered: bool,
    pub resolved_at: Option<DateTime>,
    pub created_at: DateTime,

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
