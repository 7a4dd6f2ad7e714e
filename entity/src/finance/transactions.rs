//! Entity for `finance.transactions`: money in, out or between accounts; amounts are positive, the type gives the direction.

use super::enums::TransactionType;
use sea_orm::entity::prelude::*;

/// Row-level security shows a row only to its owner (`"userId"`), see the phase-3 migrations.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(
    schema_name = "finance",
    table_name = "transactions",
    rename_all = "camelCase"
)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub account_id: Uuid,
    pub r#type: TransactionType,
    #[sea_orm(column_type = "Decimal(Some((14, 2)))")]
    pub amount: Decimal,
    #[sea_orm(column_type = "Char(Some(3))")]
    pub currency: String,
    #[sea_orm(column_type = "String(StringLen::N(100))", nullable)]
    pub category: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(500))", nullable)]
    pub description: Option<String>,
    pub occurred_at: DateTime,
    pub recurring_payment_id: Option<Uuid>,
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
    /// The account (`accountId`).
    #[sea_orm(
        belongs_to,
        from = "account_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub account: BelongsTo<super::financial_accounts::Entity>,
    /// The recurring payment this pays (`recurringPaymentId`, `ON DELETE SET NULL`).
    #[sea_orm(
        belongs_to,
        from = "recurring_payment_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    pub recurring_payment: BelongsTo<Option<super::recurring_payments::Entity>>,
    /// Debt payments made with this transaction (`debt_payments.transactionId`).
    #[sea_orm(has_many)]
    pub debt_payments: HasMany<super::debt_payments::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
