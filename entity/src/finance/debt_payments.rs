//! Entity for `finance.debt_payments`: one payment on a debt, split into principal and interest, optionally linked to its transaction.

use sea_orm::entity::prelude::*;

/// Row-level security shows a row only to its owner (`"userId"`), see the phase-3 migrations.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(
    schema_name = "finance",
    table_name = "debt_payments",
    rename_all = "camelCase"
)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub debt_id: Uuid,
    pub transaction_id: Option<Uuid>,
    #[sea_orm(column_type = "Decimal(Some((14, 2)))")]
    pub amount: Decimal,
    #[sea_orm(column_type = "Decimal(Some((14, 2)))")]
    pub principal_part: Decimal,
    #[sea_orm(column_type = "Decimal(Some((14, 2)))")]
    pub interest_part: Decimal,
    pub paid_at: DateTime,
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
    /// The debt paid (`debtId`).
    #[sea_orm(
        belongs_to,
        from = "debt_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub debt: BelongsTo<super::debts::Entity>,
    /// The transaction that paid it (`transactionId`, `ON DELETE SET NULL`).
    #[sea_orm(
        belongs_to,
        from = "transaction_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    pub transaction: BelongsTo<Option<super::transactions::Entity>>,
}

impl ActiveModelBehavior for ActiveModel {}
