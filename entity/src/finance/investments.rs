//! Entity for `finance.investments`: a holding (stock, bond, crypto, ...) with its purchase and current price.

use super::enums::InvestmentType;
use sea_orm::entity::prelude::*;

/// Row-level security shows a row only to its owner (`"userId"`), see the phase-3 migrations.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(
    schema_name = "finance",
    table_name = "investments",
    rename_all = "camelCase"
)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub account_id: Option<Uuid>,
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub symbol: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub name: String,
    pub r#type: InvestmentType,
    #[sea_orm(column_type = "Decimal(Some((20, 8)))")]
    pub quantity: Decimal,
    #[sea_orm(column_type = "Decimal(Some((14, 4)))")]
    pub purchase_price: Decimal,
    #[sea_orm(column_type = "Decimal(Some((14, 4)))", nullable)]
    pub current_price: Option<Decimal>,
    pub purchased_at: Date,
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
    /// The account holding it (`accountId`, `ON DELETE SET NULL`).
    #[sea_orm(
        belongs_to,
        from = "account_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    pub account: BelongsTo<Option<super::financial_accounts::Entity>>,
}

impl ActiveModelBehavior for ActiveModel {}
