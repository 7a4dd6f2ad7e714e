//! Entity for `finance.debts`: a debt (card, mortgage, loan) with its balance, rate and monthly due day.

use super::enums::DebtType;
use sea_orm::entity::prelude::*;

/// Row-level security shows a row only to its owner (`"userId"`), see the phase-3 migrations.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(
    schema_name = "finance",
    table_name = "debts",
    rename_all = "camelCase"
)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub name: String,
    pub r#type: DebtType,
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub creditor: Option<String>,
    #[sea_orm(column_type = "Decimal(Some((14, 2)))")]
    pub principal: Decimal,
    #[sea_orm(column_type = "Decimal(Some((14, 2)))")]
    pub balance: Decimal,
    #[sea_orm(column_type = "Decimal(Some((6, 3)))")]
    pub interest_rate: Decimal,
    #[sea_orm(column_type = "Decimal(Some((14, 2)))")]
    pub minimum_payment: Decimal,
    pub due_day: i32,
    pub is_paid_off: bool,
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
    /// Payments made on this debt (`debt_payments.debtId`).
    #[sea_orm(has_many)]
    pub debt_payments: HasMany<super::debt_payments::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
