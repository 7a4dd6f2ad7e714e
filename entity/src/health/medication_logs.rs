//! Entity for `health.medication_logs`: one dose of a medication: taken, skipped or missed.

use super::enums::MedicationLogStatus;
use crate::sealed::Sealed;
use sea_orm::entity::prelude::*;

/// Row-level security shows a row only to its owner (`"userId"`), see the phase-3 migrations.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(
    schema_name = "health",
    table_name = "medication_logs",
    rename_all = "camelCase"
)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub medication_id: Uuid,
    pub status: MedicationLogStatus,
    pub taken_at: DateTime,
    /// Sealed at rest (AES-256-GCM, see `crate::sealed`); plaintext here.
    pub notes: Option<Sealed<super::MedicationLogNotes>>,
    pub created_at: DateTime,

    /// The owner of the row (`userId`).
    #[sea_orm(
        belongs_to,
        from = "user_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub user: BelongsTo<crate::users::Entity>,
    /// The medication this dose belongs to (`medicationId`).
    #[sea_orm(
        belongs_to,
        from = "medication_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub medication: BelongsTo<super::medications::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
