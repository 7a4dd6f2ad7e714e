//! Entity for `invitations`: e-mail invitations to join with a given role.

use super::sea_orm_active_enums::{InvitationStatus, UserRole};
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub email: String,
    #[sea_orm(column_type = "String(StringLen::N(500))", unique)]
    pub token: String,
    pub role: UserRole,
    pub status: InvitationStatus,
    pub invited_by: Uuid,
    pub expires_at: DateTime,
    pub accepted_at: Option<DateTime>,
    pub created_at: DateTime,

    /// The user who sent the invitation (`invitedBy`).
    #[sea_orm(
        belongs_to,
        from = "invited_by",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub inviter: BelongsTo<super::users::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
