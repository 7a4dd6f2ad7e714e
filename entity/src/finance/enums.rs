//! PostgreSQL enum types of schema `finance`, mapped with `DeriveActiveEnum`.
//!
//! SeaORM 2.0 has no schema option for an active enum: it writes `enum_name` between double
//! quotes as the cast of every bound value (`$1::"<enum_name>"`). The types live in
//! `finance`, which is not on the default `search_path`, so each `enum_name` is
//! `finance"."<Type>`: quoted by SeaORM, that is the qualified `"finance"."<Type>"`, and
//! writes work whatever the connection's `search_path`. Reads cast the column to text, so
//! they never name the type.

use sea_orm::entity::prelude::*;

/// `finance."AccountType"`: kind of financial account (`financial_accounts.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "Enum",
    enum_name = r#"finance"."AccountType"#
)]
pub enum AccountType {
    #[sea_orm(string_value = "CHECKING")]
    Checking,
    #[sea_orm(string_value = "SAVINGS")]
    Savings,
    #[sea_orm(string_value = "CREDIT_CARD")]
    CreditCard,
    #[sea_orm(string_value = "CASH")]
    Cash,
    #[sea_orm(string_value = "INVESTMENT")]
    Investment,
    #[sea_orm(string_value = "LOAN")]
    Loan,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// `finance."TransactionType"`: direction of a transaction (`transactions.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "Enum",
    enum_name = r#"finance"."TransactionType"#
)]
pub enum TransactionType {
    #[sea_orm(string_value = "INCOME")]
    Income,
    #[sea_orm(string_value = "EXPENSE")]
    Expense,
    #[sea_orm(string_value = "TRANSFER")]
    Transfer,
}

/// `finance."BudgetPeriod"`: the period a budget covers (`budgets.period`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "Enum",
    enum_name = r#"finance"."BudgetPeriod"#
)]
pub enum BudgetPeriod {
    #[sea_orm(string_value = "WEEKLY")]
    Weekly,
    #[sea_orm(string_value = "MONTHLY")]
    Monthly,
    #[sea_orm(string_value = "QUARTERLY")]
    Quarterly,
    #[sea_orm(string_value = "YEARLY")]
    Yearly,
}

/// `finance."DebtType"`: kind of debt (`debts.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "Enum",
    enum_name = r#"finance"."DebtType"#
)]
pub enum DebtType {
    #[sea_orm(string_value = "CREDIT_CARD")]
    CreditCard,
    #[sea_orm(string_value = "MORTGAGE")]
    Mortgage,
    #[sea_orm(string_value = "AUTO")]
    Auto,
    #[sea_orm(string_value = "STUDENT")]
    Student,
    #[sea_orm(string_value = "PERSONAL")]
    Personal,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// `finance."InvestmentType"`: kind of investment (`investments.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "Enum",
    enum_name = r#"finance"."InvestmentType"#
)]
pub enum InvestmentType {
    #[sea_orm(string_value = "STOCK")]
    Stock,
    #[sea_orm(string_value = "BOND")]
    Bond,
    #[sea_orm(string_value = "ETF")]
    Etf,
    #[sea_orm(string_value = "MUTUAL_FUND")]
    MutualFund,
    #[sea_orm(string_value = "CRYPTO")]
    Crypto,
    #[sea_orm(string_value = "REAL_ESTATE")]
    RealEstate,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// `finance."PaymentFrequency"`: how often a recurring payment is due (`recurring_payments.frequency`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "Enum",
    enum_name = r#"finance"."PaymentFrequency"#
)]
pub enum PaymentFrequency {
    #[sea_orm(string_value = "DAILY")]
    Daily,
    #[sea_orm(string_value = "WEEKLY")]
    Weekly,
    #[sea_orm(string_value = "BIWEEKLY")]
    Biweekly,
    #[sea_orm(string_value = "MONTHLY")]
    Monthly,
    #[sea_orm(string_value = "QUARTERLY")]
    Quarterly,
    #[sea_orm(string_value = "YEARLY")]
    Yearly,
}
