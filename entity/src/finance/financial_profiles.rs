//! Entity for `finance.financial_profiles`: a user's financial profile: currency, income, risk tolerance, goals (one per user).

use sea_orm::entity::prelude::*;

/// Row-level security shows a row only to its owner (`"userId"`), see the phase-3 migrations.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(
    schema_name = "finance",
    table_name = "financial_profiles",
    rename_all = "camelCase"
)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub user_id: Uuid,
    #[sea_orm(column_type = "Char(Some(3))")]
    pub currency: String,
    #[sea_orm(column_type = "Decimal(Some((14, 2)))", nullable)]
    pub monthly_income: Option<Decimal>,
    #[sea_orm(column_type = "String(StringLen::N(20))", nullable)]
    pub risk_tolerance: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub goals: Option<Json>,
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
