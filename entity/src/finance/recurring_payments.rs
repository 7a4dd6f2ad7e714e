//! Entity for `finance.recurring_payments`: a payment that repeats (rent, subscriptions), optionally charged to an account.

use super::enums::PaymentFrequency;
use sea_orm::entity::prelude::*;

/// Row-level security shows a row only to its owner (`"userId"`), see the phase-3 migrations.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(
    schema_name = "finance",
    table_name = "recurring_payments",
    rename_all = "camelCase"
)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub account_id: Option<Uuid>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub name: String,
    #[sea_orm(column_type = "Decimal(Some((14, 2)))")]
    pub amount: Decimal,
    #[sea_orm(column_type = "Char(Some(3))")]
    pub currency: String,
    pub frequency: PaymentFrequency,
    pub next_due_date: Date,
    #[sea_orm(column_type = "String(StringLen::N(100))", nullable)]
    pub category: Option<String>,
    pub is_active: bool,
    pub autopay: bool,
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
    /// The account it is charged to (`accountId`, `ON DELETE SET NULL`).
    #[sea_orm(
        belongs_to,
        from = "account_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    pub account: BelongsTo<Option<super::financial_accounts::Entity>>,
    /// Transactions that paid an occurrence (`transactions.recurringPaymentId`).
    #[sea_orm(has_many)]
    pub transactions: HasMany<super::transactions::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
