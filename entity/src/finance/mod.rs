//! Phase 3: tables of the `finance` schema (row-level security by "userId").

pub mod enums;

pub mod budgets;
pub mod debt_payments;
pub mod debts;
pub mod financial_accounts;
pub mod financial_profiles;
pub mod investments;
pub mod recurring_payments;
pub mod transactions;
