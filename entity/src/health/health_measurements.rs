//! Entity for `health.health_measurements`: one measurement (weight, blood pressure, ...) at a point in time.

use super::enums::MeasurementType;
use sea_orm::entity::prelude::*;

/// Row-level security shows a row only to its owner (`"userId"`), see the phase-3 migrations.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(
    schema_name = "health",
    table_name = "health_measurements",
    rename_all = "camelCase"
)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub r#type: MeasurementType,
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    pub value: Decimal,
    #[sea_orm(column_type = "Decimal(Some((10, 2)))", nullable)]
    pub secondary_value: Option<Decimal>,
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub unit: String,
    pub measured_at: DateTime,
    #[sea_orm(column_type = "String(StringLen::N(100))", nullable)]
    pub source: Option<String>,
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
}

impl ActiveModelBehavior for ActiveModel {}
