//! Entity for `health.medical_conditions`: a diagnosed condition and whether it is active, managed or resolved.

use super::enums::ConditionStatus;
use crate::sealed::Sealed;
use sea_orm::entity::prelude::*;

/// Row-level security shows a row only to its owner (`"userId"`), see the phase-3 migrations.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(
    schema_name = "health",
    table_name = "medical_conditions",
    rename_all = "camelCase"
)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub name: String,
    #[sea_orm(column_type = "String(StringLen::N(10))", nullable)]
    pub icd10_code: Option<String>,
    pub status: ConditionStatus,
    pub diagnosed_at: Option<Date>,
    /// Sealed at rest (AES-256-GCM, see `crate::sealed`); plaintext here.
    pub notes: Option<Sealed<super::ConditionNotes>>,
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
    /// Medications prescribed for this condition (`medications.conditionId`).
    #[sea_orm(has_many)]
    pub medications: HasMany<super::medications::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
