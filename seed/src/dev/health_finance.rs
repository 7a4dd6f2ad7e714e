//! Phase 3 of the `dev` profile: health and finance sample data for the two ordinary users.
//!
//! Every table of the `health` and `finance` schemas has FORCE ROW LEVEL SECURITY, which
//! binds even the tables' owner; only superusers and BYPASSRLS roles skip it. The dev seeder
//! connects as the server's superuser, so its writes pass. Each user's rows are still written
//! with `app.current_user_id` naming that user (local to the seed transaction), so the rows
//! would satisfy the owner policy of a role that is subject to it, and the policy's WITH CHECK
//! would catch a row filed under the wrong user.

use anyhow::Context;
use chrono::{Duration, NaiveDate, NaiveDateTime};
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
    AllergyReaction, AppointmentNotes, ConditionNotes, MedicationInstructions, MedicationLogNotes,
    ProfileNotes, allergies, health_measurements, health_profiles, medical_appointments,
    medical_conditions, medication_logs, medications,
};
use entity::sealed::{Keyring, Sealed, SealedColumn};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::json;
use uuid::Uuid;

use super::{act_as, act_as_nobody, seeded_at};
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
    // Medical free text is sealed like the application seals it (`entity::sealed`).
    let ring = crate::keys::dev_keyring()?;
    // `n` varies the numbers so that the two users' rows are told apart at a glance.
    for (n, user) in [(0_i64, core.user_one), (1, core.user_two)] {
        act_as(db, user).await?;
        let mut owner = Owner {
            db,
            summary: &mut *summary,
            user,
            n,
            at: seeded_at(),
            ring: &ring,
        };
        owner
            .seed_health()
            .await
            .with_context(|| format!("health rows of user {user}"))?;
        owner
            .seed_finance()
            .await
            .with_context(|| format!("finance rows of user {user}"))?;
    }
    // Later parts of the run must not inherit this user as their context.
    act_as_nobody(db).await
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// One user's health and finance rows: whose they are, the number that tells the two users'
/// rows apart, and where they are written.
struct Owner<'a, C> {
    db: &'a C,
    summary: &'a mut Summary,
    user: Uuid,
    n: i64,
    at: NaiveDateTime,
    /// Seals the medical free text.
    ring: &'a Keyring,
}

impl<C: ConnectionTrait> Owner<'_, C> {
    /// The id of this user's sample row of `table` known by `key`.
    fn id(&self, table: &str, key: &str) -> Uuid {
        seed_id(table, &format!("{}/{key}", self.user))
    }

    /// `text` sealed for the column `M` names.
    fn seal<M: SealedColumn>(&self, text: &str) -> Option<Sealed<M>> {
        Some(Sealed::seal_with(self.ring, text))
    }

    async fn insert<A>(
        &mut self,
        model: A,
        conflict: impl IntoIterator<Item = <A::Entity as EntityTrait>::Column>,
    ) -> anyhow::Result<()>
    where
        A: ActiveModelTrait + Send,
    {
        insert_if_absent(self.db, self.summary, model, conflict).await?;
        Ok(())
    }

    async fn seed_health(&mut self) -> anyhow::Result<()> {
        self.health_profile().await?;
        let condition = self.medical_condition().await?;
        let medication = self.medication(condition).await?;
        self.medication_logs(medication).await?;
        self.allergy().await?;
        self.appointment().await?;
        self.measurements().await
    }

    async fn seed_finance(&mut self) -> anyhow::Result<()> {
        self.financial_profile().await?;
        let checking = self.accounts().await?;
        let rent = self.recurring_payment(checking).await?;
        let card_payment = self.transactions(checking, rent).await?;
        self.budget().await?;
        let debt = self.debt().await?;
        self.debt_payment(debt, card_payment).await?;
        self.investment().await
    }

    async fn health_profile(&mut self) -> anyhow::Result<()> {
        let (n, at) = (self.n, self.at);
        let model = health_profiles::ActiveModel {
            id: Set(self.id("health_profiles", "profile")),
            user_id: Set(self.user),
            blood_type: Set(Some(if n == 0 { "O+" } else { "A-" }.into())),
            height_cm: Set(Some(Decimal::new(17250 + n * 500, 2))),
            weight_kg: Set(Some(Decimal::new(7080 + n * 640, 2))),
            emergency_contact: Set(Some(
                json!({ "name": "Emergency Contact", "phone": format!("+52 55 0000 000{n}") }),
            )),
            notes: Set(self.seal::<ProfileNotes>("Carries an inhaler when travelling.")),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        };
        self.insert(model, [health_profiles::Column::UserId]).await
    }

    async fn medical_condition(&mut self) -> anyhow::Result<Uuid> {
        let (n, at) = (self.n, self.at);
        let condition = self.id("medical_conditions", "condition");
        let model = medical_conditions::ActiveModel {
            id: Set(condition),
            user_id: Set(self.user),
            name: Set(if n == 0 { "Hypertension" } else { "Asthma" }.into()),
            icd10_code: Set(Some(if n == 0 { "I10" } else { "J45" }.into())),
            status: Set(ConditionStatus::Managed),
            diagnosed_at: Set(Some(date(2023, 3, 14))),
            notes: Set(self.seal::<ConditionNotes>("Home readings twice a week.")),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        };
        self.insert(model, [medical_conditions::Column::Id]).await?;
        Ok(condition)
    }

    async fn medication(&mut self, condition: Uuid) -> anyhow::Result<Uuid> {
        let (n, at) = (self.n, self.at);
        let medication = self.id("medications", "medication");
        let model = medications::ActiveModel {
            id: Set(medication),
            user_id: Set(self.user),
            condition_id: Set(Some(condition)),
            name: Set(if n == 0 { "Losartan" } else { "Salbutamol" }.into()),
            dosage: Set(if n == 0 { "50 mg" } else { "100 mcg" }.into()),
            frequency: Set("once daily".into()),
            start_date: Set(date(2023, 3, 15)),
            end_date: Set(None),
            is_active: Set(true),
            instructions: Set(self.seal::<MedicationInstructions>("Take in the morning.")),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        };
        self.insert(model, [medications::Column::Id]).await?;
        Ok(medication)
    }

    async fn medication_logs(&mut self, medication: Uuid) -> anyhow::Result<()> {
        let at = self.at;
        let doses = [
            (MedicationLogStatus::Taken, None),
            (MedicationLogStatus::Skipped, Some("Forgot at breakfast")),
        ];
        for (day, (status, notes)) in (1_i64..).zip(doses) {
            let model = medication_logs::ActiveModel {
                id: Set(self.id("medication_logs", &format!("dose-{day}"))),
                user_id: Set(self.user),
                medication_id: Set(medication),
                status: Set(status),
                taken_at: Set(at - Duration::days(day)),
                notes: Set(notes.and_then(|n| self.seal::<MedicationLogNotes>(n))),
                created_at: Set(at),
                ..Default::default()
            };
            self.insert(model, [medication_logs::Column::Id]).await?;
        }
        Ok(())
    }

    async fn allergy(&mut self) -> anyhow::Result<()> {
        let (n, at) = (self.n, self.at);
        let allergen = if n == 0 { "Penicillin" } else { "Peanuts" };
        let model = allergies::ActiveModel {
            id: Set(self.id("allergies", allergen)),
            user_id: Set(self.user),
            allergen: Set(allergen.into()),
            severity: Set(if n == 0 {
                AllergySeverity::Severe
            } else {
                AllergySeverity::LifeThreatening
            }),
            reaction: Set(self.seal::<AllergyReaction>("Hives")),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        };
        let conflict = [allergies::Column::UserId, allergies::Column::Allergen];
        self.insert(model, conflict).await
    }

    async fn appointment(&mut self) -> anyhow::Result<()> {
        let (n, at) = (self.n, self.at);
        let model = medical_appointments::ActiveModel {
            id: Set(self.id("medical_appointments", "checkup")),
            user_id: Set(self.user),
            title: Set("Annual check-up".into()),
            provider: Set(Some("Dr. García".into())),
            location: Set(Some("Clínica Central, CDMX".into())),
            scheduled_at: Set(at + Duration::days(14 + n)),
            duration_minutes: Set(30),
            status: Set(AppointmentStatus::Scheduled),
            reminder_sent: Set(false),
            notes: Set(self.seal::<AppointmentNotes>("Bring the blood pressure log.")),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        };
        self.insert(model, [medical_appointments::Column::Id]).await
    }

    async fn measurements(&mut self) -> anyhow::Result<()> {
        let (n, at) = (self.n, self.at);
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
                id: Set(self.id("health_measurements", key)),
                user_id: Set(self.user),
                r#type: Set(kind),
                value: Set(money(value)),
                secondary_value: Set(secondary.map(money)),
                unit: Set(unit.into()),
                measured_at: Set(at - Duration::hours(2)),
                source: Set(Some("manual".into())),
                created_at: Set(at),
                ..Default::default()
            };
            self.insert(model, [health_measurements::Column::Id])
                .await?;
        }
        Ok(())
    }

    async fn financial_profile(&mut self) -> anyhow::Result<()> {
        let (n, at) = (self.n, self.at);
        let model = financial_profiles::ActiveModel {
            id: Set(self.id("financial_profiles", "profile")),
            user_id: Set(self.user),
            currency: Set("MXN".into()),
            monthly_income: Set(Some(money(4_500_000 + n * 1_500_000))),
            risk_tolerance: Set(Some(if n == 0 { "moderate" } else { "aggressive" }.into())),
            goals: Set(Some(json!(["emergency_fund", "retirement"]))),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        };
        self.insert(model, [financial_profiles::Column::UserId])
            .await
    }

    /// The checking and credit card accounts; returns the checking account, which the
    /// payments go through.
    async fn accounts(&mut self) -> anyhow::Result<Uuid> {
        let (n, at) = (self.n, self.at);
        let checking = self.id("financial_accounts", "checking");
        let card = self.id("financial_accounts", "credit-card");
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
                user_id: Set(self.user),
                name: Set(name.into()),
                r#type: Set(kind),
                institution: Set(Some("BBVA México".into())),
                account_number_masked: Set(Some(masked.into())),
                currency: Set("MXN".into()),
                balance: Set(money(balance + n * 100_000)),
                is_active: Set(true),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            };
            self.insert(model, [financial_accounts::Column::Id]).await?;
        }
        Ok(checking)
    }

    /// The monthly rent, paid from `checking`.
    async fn recurring_payment(&mut self, checking: Uuid) -> anyhow::Result<Uuid> {
        let at = self.at;
        let rent = self.id("recurring_payments", "rent");
        let model = recurring_payments::ActiveModel {
            id: Set(rent),
            user_id: Set(self.user),
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
            ..Default::default()
        };
        self.insert(model, [recurring_payments::Column::Id]).await?;
        Ok(rent)
    }

    /// Salary, rent and a card payment on `checking`; returns the card payment, which a debt
    /// payment points at.
    async fn transactions(&mut self, checking: Uuid, rent: Uuid) -> anyhow::Result<Uuid> {
        let (n, at) = (self.n, self.at);
        let card_payment = self.id("transactions", "card-payment");
        let movements = [
            (
                self.id("transactions", "salary"),
                checking,
                TransactionType::Income,
                4_500_000 + n * 1_500_000,
                "salary",
                None,
            ),
            (
                self.id("transactions", "rent-october"),
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
                user_id: Set(self.user),
                account_id: Set(account),
                r#type: Set(kind),
                amount: Set(money(amount)),
                currency: Set("MXN".into()),
                category: Set(Some(category.into())),
                description: Set(None),
                occurred_at: Set(at - Duration::days(day)),
                recurring_payment_id: Set(recurring),
                created_at: Set(at),
                ..Default::default()
            };
            self.insert(model, [transactions::Column::Id]).await?;
        }
        Ok(card_payment)
    }

    async fn budget(&mut self) -> anyhow::Result<()> {
        let (n, at) = (self.n, self.at);
        let model = budgets::ActiveModel {
            id: Set(self.id("budgets", "groceries")),
            user_id: Set(self.user),
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
            ..Default::default()
        };
        self.insert(model, [budgets::Column::Id]).await
    }

    async fn debt(&mut self) -> anyhow::Result<Uuid> {
        let at = self.at;
        let debt = self.id("debts", "credit-card");
        let model = debts::ActiveModel {
            id: Set(debt),
            user_id: Set(self.user),
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
            ..Default::default()
        };
        self.insert(model, [debts::Column::Id]).await?;
        Ok(debt)
    }

    /// October's payment of `debt`, made by the transaction `card_payment`.
    async fn debt_payment(&mut self, debt: Uuid, card_payment: Uuid) -> anyhow::Result<()> {
        let at = self.at;
        let model = debt_payments::ActiveModel {
            id: Set(self.id("debt_payments", "october")),
            user_id: Set(self.user),
            debt_id: Set(debt),
            transaction_id: Set(Some(card_payment)),
            amount: Set(money(150_000)),
            principal_part: Set(money(120_000)),
            interest_part: Set(money(30_000)),
            paid_at: Set(at - Duration::days(3)),
            created_at: Set(at),
            ..Default::default()
        };
        self.insert(model, [debt_payments::Column::Id]).await
    }

    async fn investment(&mut self) -> anyhow::Result<()> {
        let (n, at) = (self.n, self.at);
        let model = investments::ActiveModel {
            id: Set(self.id("investments", "etf")),
            user_id: Set(self.user),
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
            ..Default::default()
        };
        self.insert(model, [investments::Column::Id]).await
    }
}
