//! Entity for `finance.financial_accounts`: a bank, card, cash or investment account; only a masked number is stored.

use super::enums::AccountType;
use sea_orm::entity::prelude::*;

/// Row-level security shows a row only to its owner (`"userId"`), see the phase-3 migrations.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(
    schema_name = "finance",
    table_name = "financial_accounts",
    rename_all = "camelCase"
)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub name: String,
    pub r#type: AccountType,
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub institution: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(20))", nullable)]
    pub account_number_masked: Option<String>,
    #[sea_orm(column_type = "Char(Some(3))")]
    pub currency: String,
    #[sea_orm(column_type = "Decimal(Some((14, 2)))")]
    pub balance: Decimal,
    pub is_active: bool,
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
    /// Transactions on this account (`transactions.accountId`).
    #[sea_orm(has_many)]
    pub transactions: HasMany<super::transactions::Entity>,
    /// Recurring payments charged to this account (`recurring_payments.accountId`).
    #[sea_orm(has_many)]
    pub recurring_payments: HasMany<super::recurring_payments::Entity>,
    /// Investments held in this account (`investments.accountId`).
    #[sea_orm(has_many)]
    pub investments: HasMany<super::investments::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
