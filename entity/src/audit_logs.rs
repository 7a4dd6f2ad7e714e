//! Entity for `audit_logs`: administrative actions and the automatic entries of sensitive
//! writes (health, finance, role changes, MCP tokens), who did them and from where.

use sea_orm::entity::prelude::*;

/// `targetId` is a plain UUID without a foreign key (it may name any kind of row). Since
/// phase 7 an entry written by a trigger has no `adminId`; `actorId` is the user the session
/// acted for (no foreign key: the trail outlives users) and `dbRole` the database role.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_logs", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub admin_id: Option<Uuid>,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub action: String,
    pub target_id: Option<Uuid>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub details: Option<Json>,
    /// PostgreSQL `INET`.
    pub ip_address: Option<IpNetwork>,
    pub timestamp: DateTime,
    pub actor_id: Option<Uuid>,
    #[sea_orm(column_type = "String(StringLen::N(63))", nullable)]
    pub db_role: Option<String>,

    /// The admin who performed the action (`adminId`).
    #[sea_orm(
        belongs_to,
        from = "admin_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub admin: BelongsTo<Option<super::users::Entity>>,
}

impl ActiveModelBehavior for ActiveModel {}
