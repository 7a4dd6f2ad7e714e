//! Entity for `health.allergies`: an allergen a user reacts to, and how severely (one row per user and allergen).

use super::enums::AllergySeverity;
use crate::sealed::Sealed;
use sea_orm::entity::prelude::*;

/// Row-level security shows a row only to its owner (`"userId"`), see the phase-3 migrations.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(
    schema_name = "health",
    table_name = "allergies",
    rename_all = "camelCase"
)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique_key = "user_allergen")]
    pub user_id: Uuid,
    #[sea_orm(
        column_type = "String(StringLen::N(255))",
        unique_key = "user_allergen"
    )]
    pub allergen: String,
    pub severity: AllergySeverity,
    /// Sealed at rest (AES-256-GCM, see `crate::sealed`); plaintext here.
    pub reaction: Option<Sealed<super::AllergyReaction>>,
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
