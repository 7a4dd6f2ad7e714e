//! Phase 3: the six enum types and eight tables of schema `finance`, each owned by a user.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{
    EnumTypes, add_updated_at_triggers, create_enum_types, drop_enum_types,
    drop_updated_at_triggers, fk_in, index_in, pg_enum_in, pkey, timestamp3, timestamp3_now,
    unique_index_in, uuid_id,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

const FINANCE: &str = "finance";

/// `finance.<table>`, the way every statement here names its tables.
fn finance<T: IntoIden>(table: T) -> (Alias, T) {
    (Alias::new(FINANCE), table)
}

/// `public.users`, the owner of every row.
fn users() -> (Alias, Users) {
    (Alias::new("public"), Users::Table)
}

/// A column of one of this schema's enum types.
fn finance_enum<T: IntoIden>(col: T, enum_type: &str) -> ColumnDef {
    pg_enum_in(col, FINANCE, &Alias::new(enum_type))
}

/// `DECIMAL(14,2) NOT NULL`, the type of every amount of money.
fn money<T: IntoIden>(col: T) -> ColumnDef {
    decimal_len(col, 14, 2)
}

/// `CHAR(3) NOT NULL DEFAULT 'MXN'`, an ISO 4217 currency code.
fn currency<T: IntoIden>(col: T) -> ColumnDef {
    char_len(col, 3).default("MXN").take()
}

/// The enum types of schema `finance`, labels in declaration order.
const ENUMS: &EnumTypes = &[
    (
        "AccountType",
        &[
            "CHECKING",
            "SAVINGS",
            "CREDIT_CARD",
            "CASH",
            "INVESTMENT",
            "LOAN",
            "OTHER",
        ],
    ),
    ("TransactionType", &["INCOME", "EXPENSE", "TRANSFER"]),
    (
        "BudgetPeriod",
        &["WEEKLY", "MONTHLY", "QUARTERLY", "YEARLY"],
    ),
    (
        "DebtType",
        &[
            "CREDIT_CARD",
            "MORTGAGE",
            "AUTO",
            "STUDENT",
            "PERSONAL",
            "OTHER",
        ],
    ),
    (
        "InvestmentType",
        &[
            "STOCK",
            "BOND",
            "ETF",
            "MUTUAL_FUND",
            "CRYPTO",
            "REAL_ESTATE",
            "OTHER",
        ],
    ),
    (
        "PaymentFrequency",
        &[
            "DAILY",
            "WEEKLY",
            "BIWEEKLY",
            "MONTHLY",
            "QUARTERLY",
            "YEARLY",
        ],
    ),
];

/// The tables with `"updatedAt"`, which get the trigger that keeps it current.
const UPDATED_AT_TABLES: &[(&str, &str)] = &[
    (FINANCE, "financial_profiles"),
    (FINANCE, "financial_accounts"),
    (FINANCE, "recurring_payments"),
    (FINANCE, "budgets"),
    (FINANCE, "debts"),
    (FINANCE, "investments"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_enum_types(manager, Some(FINANCE), ENUMS).await?;
        // Parents before children: recurring_payments before the transactions that point at
        // it, transactions before the debt payments that point at them.
        for table in tables() {
            manager.create_table(table).await?;
        }
        for stmt in indexes() {
            manager.create_index(stmt).await?;
        }
        add_updated_at_triggers(manager, UPDATED_AT_TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_updated_at_triggers(manager, UPDATED_AT_TABLES).await?;
        // Dropping a table drops its indexes and foreign keys; referencing tables go first.
        for table in [
            Investments::Table.into_iden(),
            DebtPayments::Table.into_iden(),
            Debts::Table.into_iden(),
            Budgets::Table.into_iden(),
            Transactions::Table.into_iden(),
            RecurringPayments::Table.into_iden(),
            FinancialAccounts::Table.into_iden(),
            FinancialProfiles::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(finance(table)).if_exists().to_owned())
                .await?;
        }
        drop_enum_types(manager, Some(FINANCE), ENUMS).await?;
        Ok(())
    }
}

/// The eight tables, in an order where every foreign key points at an earlier table.
fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table(finance(FinancialProfiles::Table))
            .col(uuid_id(FinancialProfiles::Id))
            .col(uuid(FinancialProfiles::UserId))
            .col(currency(FinancialProfiles::Currency))
            .col(decimal_len_null(FinancialProfiles::MonthlyIncome, 14, 2))
            .col(string_len_null(FinancialProfiles::RiskTolerance, 20))
            .col(json_binary_null(FinancialProfiles::Goals))
            .col(timestamp3_now(FinancialProfiles::CreatedAt))
            .col(timestamp3_now(FinancialProfiles::UpdatedAt))
            .primary_key(&mut pkey(&FinancialProfiles::Table, FinancialProfiles::Id))
            .foreign_key(&mut fk_in(
                FINANCE,
                FinancialProfiles::Table,
                FinancialProfiles::UserId,
                users(),
                Users::Id,
            ))
            .to_owned(),
        Table::create()
            .table(finance(FinancialAccounts::Table))
            .col(uuid_id(FinancialAccounts::Id))
            .col(uuid(FinancialAccounts::UserId))
            .col(string_len(FinancialAccounts::Name, 255))
            .col(finance_enum(FinancialAccounts::Type, "AccountType"))
            .col(string_len_null(FinancialAccounts::Institution, 255))
            // Only a masked number is ever stored: up to 16 asterisks and the last 4 digits.
            // A column CHECK, so PostgreSQL names it financial_accounts_accountNumberMasked_check.
            .col(
                string_len_null(FinancialAccounts::AccountNumberMasked, 20).check(Expr::cust(
                    r#""accountNumberMasked" ~ '^\*{0,16}[0-9]{0,4}$'"#,
                )),
            )
            .col(currency(FinancialAccounts::Currency))
            .col(money(FinancialAccounts::Balance).default(0))
            .col(boolean(FinancialAccounts::IsActive).default(true))
            .col(timestamp3_now(FinancialAccounts::CreatedAt))
            .col(timestamp3_now(FinancialAccounts::UpdatedAt))
            .primary_key(&mut pkey(&FinancialAccounts::Table, FinancialAccounts::Id))
            .foreign_key(&mut fk_in(
                FINANCE,
                FinancialAccounts::Table,
                FinancialAccounts::UserId,
                users(),
                Users::Id,
            ))
            .to_owned(),
        Table::create()
            .table(finance(RecurringPayments::Table))
            .col(uuid_id(RecurringPayments::Id))
            .col(uuid(RecurringPayments::UserId))
            .col(uuid_null(RecurringPayments::AccountId))
            .col(string_len(RecurringPayments::Name, 255))
            .col(money(RecurringPayments::Amount))
            .col(currency(RecurringPayments::Currency))
            .col(finance_enum(
                RecurringPayments::Frequency,
                "PaymentFrequency",
            ))
            .col(date(RecurringPayments::NextDueDate))
            .col(string_len_null(RecurringPayments::Category, 100))
            .col(boolean(RecurringPayments::IsActive).default(true))
            .col(boolean(RecurringPayments::Autopay).default(false))
            .col(timestamp3_now(RecurringPayments::CreatedAt))
            .col(timestamp3_now(RecurringPayments::UpdatedAt))
            .primary_key(&mut pkey(&RecurringPayments::Table, RecurringPayments::Id))
            .foreign_key(&mut fk_in(
                FINANCE,
                RecurringPayments::Table,
                RecurringPayments::UserId,
                users(),
                Users::Id,
            ))
            .foreign_key(
                fk_in(
                    FINANCE,
                    RecurringPayments::Table,
                    RecurringPayments::AccountId,
                    finance(FinancialAccounts::Table),
                    FinancialAccounts::Id,
                )
                .on_delete(ForeignKeyAction::SetNull),
            )
            .to_owned(),
        Table::create()
            .table(finance(Transactions::Table))
            .col(uuid_id(Transactions::Id))
            .col(uuid(Transactions::UserId))
            .col(uuid(Transactions::AccountId))
            .col(finance_enum(Transactions::Type, "TransactionType"))
            .col(money(Transactions::Amount).check(Expr::col(Transactions::Amount).gt(0)))
            .col(currency(Transactions::Currency))
            .col(string_len_null(Transactions::Category, 100))
            .col(string_len_null(Transactions::Description, 500))
            .col(timestamp3(Transactions::OccurredAt))
            .col(uuid_null(Transactions::RecurringPaymentId))
            .col(timestamp3_now(Transactions::CreatedAt))
            .primary_key(&mut pkey(&Transactions::Table, Transactions::Id))
            .foreign_key(&mut fk_in(
                FINANCE,
                Transactions::Table,
                Transactions::UserId,
                users(),
                Users::Id,
            ))
            .foreign_key(&mut fk_in(
                FINANCE,
                Transactions::Table,
                Transactions::AccountId,
                finance(FinancialAccounts::Table),
                FinancialAccounts::Id,
            ))
            .foreign_key(
                fk_in(
                    FINANCE,
                    Transactions::Table,
                    Transactions::RecurringPaymentId,
                    finance(RecurringPayments::Table),
                    RecurringPayments::Id,
                )
                .on_delete(ForeignKeyAction::SetNull),
            )
            .to_owned(),
        Table::create()
            .table(finance(Budgets::Table))
            .col(uuid_id(Budgets::Id))
            .col(uuid(Budgets::UserId))
            .col(string_len(Budgets::Name, 255))
            .col(string_len(Budgets::Category, 100))
            .col(money(Budgets::Amount))
            .col(finance_enum(Budgets::Period, "BudgetPeriod").default("MONTHLY"))
            .col(date(Budgets::StartDate))
            .col(date_null(Budgets::EndDate))
            .col(
                integer(Budgets::AlertThreshold)
                    .default(80)
                    .check(Expr::col(Budgets::AlertThreshold).between(1, 100)),
            )
            .col(boolean(Budgets::IsActive).default(true))
            .col(timestamp3_now(Budgets::CreatedAt))
            .col(timestamp3_now(Budgets::UpdatedAt))
            .primary_key(&mut pkey(&Budgets::Table, Budgets::Id))
            .foreign_key(&mut fk_in(
                FINANCE,
                Budgets::Table,
                Budgets::UserId,
                users(),
                Users::Id,
            ))
            .to_owned(),
        Table::create()
            .table(finance(Debts::Table))
            .col(uuid_id(Debts::Id))
            .col(uuid(Debts::UserId))
            .col(string_len(Debts::Name, 255))
            .col(finance_enum(Debts::Type, "DebtType"))
            .col(string_len_null(Debts::Creditor, 255))
            .col(money(Debts::Principal))
            .col(money(Debts::Balance))
            .col(decimal_len(Debts::InterestRate, 6, 3))
            .col(money(Debts::MinimumPayment))
            .col(integer(Debts::DueDay).check(Expr::col(Debts::DueDay).between(1, 31)))
            .col(boolean(Debts::IsPaidOff).default(false))
            .col(timestamp3_now(Debts::CreatedAt))
            .col(timestamp3_now(Debts::UpdatedAt))
            .primary_key(&mut pkey(&Debts::Table, Debts::Id))
            .foreign_key(&mut fk_in(
                FINANCE,
                Debts::Table,
                Debts::UserId,
                users(),
                Users::Id,
            ))
            .to_owned(),
        Table::create()
            .table(finance(DebtPayments::Table))
            .col(uuid_id(DebtPayments::Id))
            .col(uuid(DebtPayments::UserId))
            .col(uuid(DebtPayments::DebtId))
            .col(uuid_null(DebtPayments::TransactionId))
            .col(money(DebtPayments::Amount))
            .col(money(DebtPayments::PrincipalPart))
            .col(money(DebtPayments::InterestPart))
            .col(timestamp3(DebtPayments::PaidAt))
            .col(timestamp3_now(DebtPayments::CreatedAt))
            .primary_key(&mut pkey(&DebtPayments::Table, DebtPayments::Id))
            .foreign_key(&mut fk_in(
                FINANCE,
                DebtPayments::Table,
                DebtPayments::UserId,
                users(),
                Users::Id,
            ))
            .foreign_key(&mut fk_in(
                FINANCE,
                DebtPayments::Table,
                DebtPayments::DebtId,
                finance(Debts::Table),
                Debts::Id,
            ))
            .foreign_key(
                fk_in(
                    FINANCE,
                    DebtPayments::Table,
                    DebtPayments::TransactionId,
                    finance(Transactions::Table),
                    Transactions::Id,
                )
                .on_delete(ForeignKeyAction::SetNull),
            )
            .to_owned(),
        Table::create()
            .table(finance(Investments::Table))
            .col(uuid_id(Investments::Id))
            .col(uuid(Investments::UserId))
            .col(uuid_null(Investments::AccountId))
            .col(string_len(Investments::Symbol, 20))
            .col(string_len(Investments::Name, 255))
            .col(finance_enum(Investments::Type, "InvestmentType"))
            .col(decimal_len(Investments::Quantity, 20, 8))
            .col(decimal_len(Investments::PurchasePrice, 14, 4))
            .col(decimal_len_null(Investments::CurrentPrice, 14, 4))
            .col(date(Investments::PurchasedAt))
            .col(timestamp3_now(Investments::CreatedAt))
            .col(timestamp3_now(Investments::UpdatedAt))
            .primary_key(&mut pkey(&Investments::Table, Investments::Id))
            .foreign_key(&mut fk_in(
                FINANCE,
                Investments::Table,
                Investments::UserId,
                users(),
                Users::Id,
            ))
            .foreign_key(
                fk_in(
                    FINANCE,
                    Investments::Table,
                    Investments::AccountId,
                    finance(FinancialAccounts::Table),
                    FinancialAccounts::Id,
                )
                .on_delete(ForeignKeyAction::SetNull),
            )
            .to_owned(),
    ]
}

/// SCHEMA.md's indexes, plus `<table>_userId_idx` where none of them starts with "userId",
/// so that every foreign key column leads an index.
fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        unique_index_in(
            "financial_profiles_userId_key",
            FINANCE,
            FinancialProfiles::Table,
        )
        .col(FinancialProfiles::UserId)
        .to_owned(),
        index_in(
            "financial_accounts_userId_idx",
            FINANCE,
            FinancialAccounts::Table,
        )
        .col(FinancialAccounts::UserId)
        .to_owned(),
        index_in(
            "recurring_payments_userId_nextDueDate_idx",
            FINANCE,
            RecurringPayments::Table,
        )
        .col(RecurringPayments::UserId)
        .col(RecurringPayments::NextDueDate)
        .to_owned(),
        index_in(
            "recurring_payments_accountId_idx",
            FINANCE,
            RecurringPayments::Table,
        )
        .col(RecurringPayments::AccountId)
        .to_owned(),
        index_in(
            "transactions_accountId_occurredAt_idx",
            FINANCE,
            Transactions::Table,
        )
        .col(Transactions::AccountId)
        .col((Transactions::OccurredAt, IndexOrder::Desc))
        .to_owned(),
        index_in(
            "transactions_userId_occurredAt_idx",
            FINANCE,
            Transactions::Table,
        )
        .col(Transactions::UserId)
        .col((Transactions::OccurredAt, IndexOrder::Desc))
        .to_owned(),
        index_in(
            "transactions_recurringPaymentId_idx",
            FINANCE,
            Transactions::Table,
        )
        .col(Transactions::RecurringPaymentId)
        .to_owned(),
        index_in("budgets_userId_isActive_idx", FINANCE, Budgets::Table)
            .col(Budgets::UserId)
            .col(Budgets::IsActive)
            .to_owned(),
        index_in("debts_userId_idx", FINANCE, Debts::Table)
            .col(Debts::UserId)
            .to_owned(),
        index_in(
            "debt_payments_debtId_paidAt_idx",
            FINANCE,
            DebtPayments::Table,
        )
        .col(DebtPayments::DebtId)
        .col((DebtPayments::PaidAt, IndexOrder::Desc))
        .to_owned(),
        index_in("debt_payments_userId_idx", FINANCE, DebtPayments::Table)
            .col(DebtPayments::UserId)
            .to_owned(),
        index_in(
            "debt_payments_transactionId_idx",
            FINANCE,
            DebtPayments::Table,
        )
        .col(DebtPayments::TransactionId)
        .to_owned(),
        index_in("investments_userId_idx", FINANCE, Investments::Table)
            .col(Investments::UserId)
            .to_owned(),
        index_in("investments_accountId_idx", FINANCE, Investments::Table)
            .col(Investments::AccountId)
            .to_owned(),
    ]
}

/// The referenced table, `public.users`, as created by phase 1.
#[derive(DeriveIden)]
enum Users {
    #[sea_orm(iden = "users")]
    Table,
    Id,
}

#[derive(DeriveIden)]
enum FinancialProfiles {
    #[sea_orm(iden = "financial_profiles")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    Currency,
    #[sea_orm(iden = "monthlyIncome")]
    MonthlyIncome,
    #[sea_orm(iden = "riskTolerance")]
    RiskTolerance,
    Goals,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FinancialAccounts {
    #[sea_orm(iden = "financial_accounts")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    Name,
    Type,
    Institution,
    #[sea_orm(iden = "accountNumberMasked")]
    AccountNumberMasked,
    Currency,
    Balance,
    #[sea_orm(iden = "isActive")]
    IsActive,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RecurringPayments {
    #[sea_orm(iden = "recurring_payments")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "accountId")]
    AccountId,
    Name,
    Amount,
    Currency,
    Frequency,
    #[sea_orm(iden = "nextDueDate")]
    NextDueDate,
    Category,
    #[sea_orm(iden = "isActive")]
    IsActive,
    Autopay,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Transactions {
    #[sea_orm(iden = "transactions")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "accountId")]
    AccountId,
    Type,
    Amount,
    Currency,
    Category,
    Description,
    #[sea_orm(iden = "occurredAt")]
    OccurredAt,
    #[sea_orm(iden = "recurringPaymentId")]
    RecurringPaymentId,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
}

#[derive(DeriveIden)]
enum Budgets {
    #[sea_orm(iden = "budgets")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    Name,
    Category,
    Amount,
    Period,
    #[sea_orm(iden = "startDate")]
    StartDate,
    #[sea_orm(iden = "endDate")]
    EndDate,
    #[sea_orm(iden = "alertThreshold")]
    AlertThreshold,
    #[sea_orm(iden = "isActive")]
    IsActive,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Debts {
    #[sea_orm(iden = "debts")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    Name,
    Type,
    Creditor,
    Principal,
    Balance,
    #[sea_orm(iden = "interestRate")]
    InterestRate,
    #[sea_orm(iden = "minimumPayment")]
    MinimumPayment,
    #[sea_orm(iden = "dueDay")]
    DueDay,
    #[sea_orm(iden = "isPaidOff")]
    IsPaidOff,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DebtPayments {
    #[sea_orm(iden = "debt_payments")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "debtId")]
    DebtId,
    #[sea_orm(iden = "transactionId")]
    TransactionId,
    Amount,
    #[sea_orm(iden = "principalPart")]
    PrincipalPart,
    #[sea_orm(iden = "interestPart")]
    InterestPart,
    #[sea_orm(iden = "paidAt")]
    PaidAt,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
}

#[derive(DeriveIden)]
enum Investments {
    #[sea_orm(iden = "investments")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "accountId")]
    AccountId,
    Symbol,
    Name,
    Type,
    Quantity,
    #[sea_orm(iden = "purchasePrice")]
    PurchasePrice,
    #[sea_orm(iden = "currentPrice")]
    CurrentPrice,
    #[sea_orm(iden = "purchasedAt")]
    PurchasedAt,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}
