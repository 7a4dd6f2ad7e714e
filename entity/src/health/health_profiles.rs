//! Entity for `health.health_profiles`: a user's health profile: blood type, height, weight, emergency contact (one per user).

use crate::sealed::Sealed;
use sea_orm::entity::prelude::*;

/// Row-level security shows a row only to its owner (`"userId"`), see the phase-3 migrations.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(
    schema_name = "health",
    table_name = "health_profiles",
    rename_all = "camelCase"
)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub user_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(5))", nullable)]
    pub blood_type: Option<String>,
    #[sea_orm(column_type = "Decimal(Some((5, 2)))", nullable)]
    pub height_cm: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((5, 2)))", nullable)]
    pub weight_kg: Option<Decimal>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub emergency_contact: Option<Json>,
    /// Sealed at rest (AES-256-GCM, see `crate::sealed`); plaintext here.
    pub notes: Option<Sealed<super::ProfileNotes>>,
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
