//! Entity for `audit_logs`: administrative actions, who did them and from where.

use sea_orm::entity::prelude::*;

/// `targetId` is a plain UUID without a foreign key (it may name any kind of row).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_logs", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub admin_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub action: String,
    pub target_id: Option<Uuid>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub details: Option<Json>,
    /// PostgreSQL `INET`.
    pub ip_address: Option<IpNetwork>,
    pub timestamp: DateTime,

    /// The admin who performed the action (`adminId`).
    #[sea_orm(
        belongs_to,
        from = "admin_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub admin: BelongsTo<super::users::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
