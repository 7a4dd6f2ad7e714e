//! Entity for `health.medications`: a medication a user takes, optionally for one of their conditions.

use crate::sealed::Sealed;
use sea_orm::entity::prelude::*;

/// Row-level security shows a row only to its owner (`"userId"`), see the phase-3 migrations.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(
    schema_name = "health",
    table_name = "medications",
    rename_all = "camelCase"
)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub condition_id: Option<Uuid>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub name: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub dosage: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub frequency: String,
    pub start_date: Date,
    pub end_date: Option<Date>,
    pub is_active: bool,
    /// Sealed at rest (AES-256-GCM, see `crate::sealed`); plaintext here.
    pub instructions: Option<Sealed<super::MedicationInstructions>>,
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
    /// The condition this medication treats (`conditionId`, `ON DELETE SET NULL`).
    #[sea_orm(
        belongs_to,
        from = "condition_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    pub condition: BelongsTo<Option<super::medical_conditions::Entity>>,
    /// Doses taken, skipped or missed (`medication_logs.medicationId`).
    #[sea_orm(has_many)]
    pub medication_logs: HasMany<super::medication_logs::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
