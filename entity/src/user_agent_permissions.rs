//! Entity for `user_agent_permissions`: grants a user access to an agent.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_agent_permissions", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique_key = "user_agent")]
    pub user_id: Uuid,
    #[sea_orm(unique_key = "user_agent")]
    pub agent_id: Uuid,
    /// Free text (VARCHAR, no foreign key) naming who granted the access.
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub granted_by: Option<String>,
    pub granted_at: DateTime,

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
