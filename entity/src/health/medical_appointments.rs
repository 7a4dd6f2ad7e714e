//! Entity for `health.medical_appointments`: a scheduled medical appointment.

use super::enums::AppointmentStatus;
use crate::sealed::Sealed;
use sea_orm::entity::prelude::*;

/// Row-level security shows a row only to its owner (`"userId"`), see the phase-3 migrations.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(
    schema_name = "health",
    table_name = "medical_appointments",
    rename_all = "camelCase"
)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub title: String,
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub provider: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(500))", nullable)]
    pub location: Option<String>,
    pub scheduled_at: DateTime,
    pub duration_minutes: i32,
    pub status: AppointmentStatus,
    pub reminder_sent: bool,
    /// Sealed at rest (AES-256-GCM, see `crate::sealed`); plaintext here.
    pub notes: Option<Sealed<super::AppointmentNotes>>,
    pub created_at: DateTime,
    pub updated_at: DateTime,

    /// The owner of the row (`userId`).
    #[sea_orm(
        belongs_to,
        from = "user_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub user: BelongsTo<crate::users::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
