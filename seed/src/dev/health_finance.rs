//! Phase 3 of the `dev` profile: health and finance sample data for the two ordinary users.
//!
//! Every table of the `health` and `finance` schemas has FORCE ROW LEVEL SECURITY, which
//! binds even the tables' owner; only superusers and BYPASSRLS roles skip it. The dev seeder
//! connects as the server's superuser, so its writes pass. Each user's rows are still written
//! with `app.current_user_id` naming that user (local to the seed transaction), so the rows
//! would satisfy the owner policy of a role that is subject to it, and the policy's WITH CHECK
//! would catch a row filed under the wrong user.

use anyhow::Context;
use chrono::{Duration, NaiveDate};
use entity::finance::enums::{
    AccountType, BudgetPeriod, DebtType, InvestmentType, PaymentFrequency, TransactionType,
};
use entity::finance::{
    budgets, debt_payments, debts, financial_accounts, financial_profiles, investments,
    recurring_payments, transactions,
};
use entity::health::enums::{
    AllergySeverity, AppointmentStatus, ConditionStatus, MeasurementType, MedicationLogStatus,
};
use entity::health::{
    allergies, health_measurements, health_profiles, medical_appointments, medical_conditions,
    medication_logs, medications,
};
use rust_decimal::Decimal;
use sea_orm::{ActiveValue::Set, ConnectionTrait, Statement};
use serde_json::json;
use uuid::Uuid;

use super::seeded_at;
use crate::{Summary, insert::insert_if_absent, seed_id};

/// The tables this part writes; it runs only when all of them exist.
pub const TABLES: &[&str] = &[
    "health.health_profiles",
    "health.medical_conditions",
    "health.medications",
    "health.medication_logs",
    "health.allergies",
    "health.medical_appointments",
    "health.health_measurements",
    "finance.financial_profiles",
    "finance.financial_accounts",
    "finance.recurring_payments",
    "finance.transactions",
    "finance.budgets",
    "finance.debts",
    "finance.debt_payments",
    "finance.investments",
];

pub async fn seed<C: ConnectionTrait>(
    db: &C,
    core: &super::core::Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    // `n` varies the numbers so that the two users' rows are told apart at a glance.
    for (n, user) in [(0_i64, core.user_one), (1, core.user_two)] {
        act_as(db, user).await?;
        seed_health(db, user, n, summary)
            .await
            .with_context(|| format!("health rows of user {user}"))?;
        seed_finance(db, user, n, summary)
            .await
            .with_context(|| format!("finance rows of user {user}"))?;
    }
    // Later parts of the run must not inherit this user as their context.
    db.execute_unprepared("SELECT set_config('app.current_user_id', '', true)")
        .await?;
    Ok(())
}

/// Sets `app.current_user_id` for the rest of the seed transaction.
async fn act_as<C: ConnectionTrait>(db: &C, user: Uuid) -> anyhow::Result<()> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "SELECT set_config('app.current_user_id', $1, true)",
        [user.to_string().into()],
    ))
    .await
    .context("set app.current_user_id")?;
    Ok(())
}

/// The id of this user's sample row of `table` known by `key`.
fn id(table: &str, user: Uuid, key: &str) -> Uuid {
    seed_id(table, &format!("{user}/{key}"))
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

async fn seed_health<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    n: i64,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let at = seeded_at();

    let profile = health_profiles::ActiveModel {
        id: Set(id("health_profiles", user, "profile")),
        user_id: Set(user),
        blood_type: Set(Some(if n == 0 { "O+" } else { "A-" }.into())),
        height_cm: Set(Some(Decimal::new(17250 + n * 500, 2))),
        weight_kg: Set(Some(Decimal::new(7080 + n * 640, 2))),
        emergency_contact: Set(Some(
            json!({ "name": "Emergency Contact", "phone": format!("+52 55 0000 000{n}") }),
        )),
        notes: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    };
    insert_if_absent(db, summary, profile, [health_profiles::Column::UserId]).await?;

    let condition = id("medical_conditions", user, "condition");
    let model = medical_conditions::ActiveModel {
        id: Set(condition),
        user_id: Set(user),
        name: Set(if n == 0 { "Hypertension" } else { "Asthma" }.into()),
        icd10_code: Set(Some(if n == 0 { "I10" } else { "J45" }.into())),
        status: Set(ConditionStatus::Managed),
        diagnosed_at: Set(Some(date(2023, 3, 14))),
        notes: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    };
    insert_if_absent(db, summary, model, [medical_conditions::Column::Id]).await?;

    let medication = id("medications", user, "medication");
    let model = medications::ActiveModel {
        id: Set(medication),
        user_id: Set(user),
        condition_id: Set(Some(condition)),
        name: Set(if n == 0 { "Losartan" } else { "Salbutamol" }.into()),
        dosage: Set(if n == 0 { "50 mg" } else { "100 mcg" }.into()),
        frequency: Set("once daily".into()),
        start_date: Set(date(2023, 3, 15)),
        end_date: Set(None),
        is_active: Set(true),
        instructions: Set(Some("Take in the morning.".into())),
        created_at: Set(at),
        updated_at: Set(at),
    };
    insert_if_absent(db, summary, model, [medications::Column::Id]).await?;

    let doses = [
        (MedicationLogStatus::Taken, None),
        (MedicationLogStatus::Skipped, Some("Forgot at breakfast")),
    ];
    for (day, (status, notes)) in (1_i64..).zip(doses) {
        let model = medication_logs::ActiveModel {
            id: Set(id("medication_logs", user, &format!("dose-{day}"))),
            user_id: Set(user),
            medication_id: Set(medication),
            status: Set(status),
            taken_at: Set(at - Duration::days(day)),
            notes: Set(notes.map(Into::into)),
            created_at: Set(at),
        };
        insert_if_absent(db, summary, model, [medication_logs::Column::Id]).await?;
    }

    let allergen = if n == 0 { "Penicillin" } else { "Peanuts" };
    let model = allergies::ActiveModel {
        id: Set(id("allergies", user, allergen)),
        user_id: Set(user),
        allergen: Set(allergen.into()),
        severity: Set(if n == 0 {
            AllergySeverity::Severe
        } else {
            AllergySeverity::LifeThreatening
        }),
        reaction: Set(Some("Hives".into())),
        created_at: Set(at),
        updated_at: Set(at),
    };
    insert_if_absent(
        db,
        summary,
        model,
        [allergies::Column::UserId, allergies::Column::Allergen],
    )
    .await?;

    let model = medical_appointments::ActiveModel {
        id: Set(id("medical_appointments", user, "checkup")),
        user_id: Set(user),
        title: Set("Annual check-up".into()),
        provider: Set(Some("Dr. García".into())),
        location: Set(Some("Clínica Central, CDMX".into())),
        scheduled_at: Set(at + Duration::days(14 + n)),
        duration_minutes: Set(30),
        status: Set(AppointmentStatus::Scheduled),
        reminder_sent: Set(false),
        notes: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    };
    insert_if_absent(db, summary, model, [medical_appointments::Column::Id]).await?;

    let measurements = [
        (
            "weight",
            MeasurementType::Weight,
            7080 + n * 640,
            None,
            "kg",
        ),
        (
            "blood-pressure",
            MeasurementType::BloodPressure,
            12800,
            Some(8200),
            "mmHg",
        ),
        (
            "heart-rate",
            MeasurementType::HeartRate,
            7200 + n * 300,
            None,
            "bpm",
        ),
    ];
    for (key, kind, value, secondary, unit) in measurements {
        let model = health_measurements::ActiveModel {
            id: Set(id("health_measurements", user, key)),
            user_id: Set(user),
            r#type: Set(kind),
            value: Set(money(value)),
            secondary_value: Set(secondary.map(money)),
            unit: Set(unit.into()),
            measured_at: Set(at - Duration::hours(2)),
            source: Set(Some("manual".into())),
            created_at: Set(at),
        };
        insert_if_absent(db, summary, model, [health_measurements::Column::Id]).await?;
    }
    Ok(())
}

async fn seed_finance<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    n: i64,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let at = seeded_at();

    let model = financial_profiles::ActiveModel {
        id: Set(id("financial_profiles", user, "profile")),
        user_id: Set(user),
        currency: Set("MXN".into()),
        monthly_income: Set(Some(money(4_500_000 + n * 1_500_000))),
        risk_tolerance: Set(Some(if n == 0 { "moderate" } else { "aggressive" }.into())),
        goals: Set(Some(json!(["emergency_fund", "retirement"]))),
        created_at: Set(at),
        updated_at: Set(at),
    };
    insert_if_absent(db, summary, model, [financial_profiles::Column::UserId]).await?;

    let checking = id("financial_accounts", user, "checking");
    let card = id("financial_accounts", user, "credit-card");
    let accounts = [
        (
            checking,
            "Payroll account",
            AccountType::Checking,
            "****1234",
            2_350_000,
        ),
        (
            card,
            "Credit card",
            AccountType::CreditCard,
            "****5678",
            -420_000,
        ),
    ];
    for (account, name, kind, masked, balance) in accounts {
        let model = financial_accounts::ActiveModel {
            id: Set(account),
            user_id: Set(user),
            name: Set(name.into()),
            r#type: Set(kind),
            institution: Set(Some("BBVA México".into())),
            account_number_masked: Set(Some(masked.into())),
            currency: Set("MXN".into()),
            balance: Set(money(balance + n * 100_000)),
            is_active: Set(true),
            created_at: Set(at),
            updated_at: Set(at),
        };
        insert_if_absent(db, summary, model, [financial_accounts::Column::Id]).await?;
    }

    let rent = id("recurring_payments", user, "rent");
    let model = recurring_payments::ActiveModel {
        id: Set(rent),
        user_id: Set(user),
        account_id: Set(Some(checking)),
        name: Set("Rent".into()),
        amount: Set(money(1_200_000)),
        currency: Set("MXN".into()),
        frequency: Set(PaymentFrequency::Monthly),
        next_due_date: Set(date(2025, 11, 1)),
        category: Set(Some("housing".into())),
        is_active: Set(true),
        autopay: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
    };
    insert_if_absent(db, summary, model, [recurring_payments::Column::Id]).await?;

    let card_payment = id("transactions", user, "card-payment");
    let movements = [
        (
            id("transactions", user, "salary"),
            checking,
            TransactionType::Income,
            4_500_000 + n * 1_500_000,
            "salary",
            None,
        ),
        (
            id("transactions", user, "rent-october"),
            checking,
            TransactionType::Expense,
            1_200_000,
            "housing",
            Some(rent),
        ),
        (
            card_payment,
            checking,
            TransactionType::Transfer,
            150_000,
            "debt",
            None,
        ),
    ];
    for (day, (txn, account, kind, amount, category, recurring)) in (1_i64..).zip(movements) {
        let model = transactions::ActiveModel {
            id: Set(txn),
            user_id: Set(user),
            account_id: Set(account),
            r#type: Set(kind),
            amount: Set(money(amount)),
            currency: Set("MXN".into()),
            category: Set(Some(category.into())),
            description: Set(None),
            occurred_at: Set(at - Duration::days(day)),
            recurring_payment_id: Set(recurring),
            created_at: Set(at),
        };
        insert_if_absent(db, summary, model, [transactions::Column::Id]).await?;
    }

    let model = budgets::ActiveModel {
        id: Set(id("budgets", user, "groceries")),
        user_id: Set(user),
        name: Set("Groceries".into()),
        category: Set("food".into()),
        amount: Set(money(600_000 + n * 200_000)),
        period: Set(BudgetPeriod::Monthly),
        start_date: Set(date(2025, 10, 1)),
        end_date: Set(None),
        alert_threshold: Set(80),
        is_active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
    };
    insert_if_absent(db, summary, model, [budgets::Column::Id]).await?;

    let debt = id("debts", user, "credit-card");
    let model = debts::ActiveModel {
        id: Set(debt),
        user_id: Set(user),
        name: Set("Credit card balance".into()),
        r#type: Set(DebtType::CreditCard),
        creditor: Set(Some("BBVA México".into())),
        principal: Set(money(1_000_000)),
        balance: Set(money(420_000)),
        interest_rate: Set(Decimal::new(36_500, 3)),
        minimum_payment: Set(money(50_000)),
        due_day: Set(15),
        is_paid_off: Set(false),
        created_at: Set(at),
        updated_at: Set(at),
    };
    insert_if_absent(db, summary, model, [debts::Column::Id]).await?;

    let model = debt_payments::ActiveModel {
        id: Set(id("debt_payments", user, "october")),
        user_id: Set(user),
        debt_id: Set(debt),
        transaction_id: Set(Some(card_payment)),
        amount: Set(money(150_000)),
        principal_part: Set(money(120_000)),
        interest_part: Set(money(30_000)),
        paid_at: Set(at - Duration::days(3)),
        created_at: Set(at),
    };
    insert_if_absent(db, summary, model, [debt_payments::Column::Id]).await?;

    let model = investments::ActiveModel {
        id: Set(id("investments", user, "etf")),
        user_id: Set(user),
        account_id: Set(None),
        symbol: Set("VOO".into()),
        name: Set("Vanguard S&P 500 ETF".into()),
        r#type: Set(InvestmentType::Etf),
        quantity: Set(Decimal::new(250_000_000 + n * 100_000_000, 8)),
        purchase_price: Set(Decimal::new(4_805_000, 4)),
        current_price: Set(Some(Decimal::new(5_421_500, 4))),
        purchased_at: Set(date(2024, 6, 3)),
        created_at: Set(at),
        updated_at: Set(at),
    };
    insert_if_absent(db, summary, model, [investments::Column::Id]).await?;
    Ok(())
}
