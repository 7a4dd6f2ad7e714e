//! Phase 3: health measurements, allergies (their reaction sealed, as the application writes
//! it), financial accounts and their transactions.
//!
//! An account's balance is the sum of its transactions (income minus expenses), drawn from
//! the same stream as the transactions.

use entity::sealed::{Keyring, MEDICAL_COLUMNS};
use rand::Rng;

use super::copy::{Rows, Table};
use super::data::{self, Kind, id, rng};
use super::ids::user_id;

pub const TABLES: &[&str] = &[
    "health.health_measurements",
    "health.allergies",
    "finance.financial_accounts",
    "finance.transactions",
];

const MEASUREMENTS: &[(&str, &str, u64, u64)] = &[
    ("WEIGHT", "kg", 5_000, 11_000),
    ("HEART_RATE", "bpm", 5_500, 9_500),
    ("GLUCOSE", "mg/dL", 7_000, 14_000),
    ("SLEEP_HOURS", "h", 400, 950),
    ("STEPS", "steps", 100_000, 1_500_000),
];
const ACCOUNT_TYPES: &[&str] = &["CHECKING", "SAVINGS", "CREDIT_CARD"];
const CATEGORIES: &[&str] = &[
    "groceries",
    "rent",
    "transport",
    "salary",
    "utilities",
    "dining",
];

pub const MEASUREMENT_TABLE: Table<'static> = Table {
    name: "health.health_measurements",
    columns: &[
        "id",
        "userId",
        "type",
        "value",
        "unit",
        "measuredAt",
        "createdAt",
    ],
    without_triggers: false,
    units: 0,
};

pub fn measurement_rows(u: u64, rows: &mut Rows) {
    let mut r = rng(Kind::Measurement, u, 0);
    for i in 0..r.random_range(0..=30) {
        let (kind, unit, low, high) = MEASUREMENTS[r.random_range(0..MEASUREMENTS.len())];
        let at = data::any_time(&mut r);
        rows.uuid(id(Kind::Measurement, u, 0, i))
            .uuid(user_id(u))
            .val(kind)
            .val(data::cents(r.random_range(low..high)))
            .val(unit)
            .ts(at)
            .ts(at);
        rows.end();
    }
}

const ALLERGENS: &[(&str, &str, &str)] = &[
    ("Penicillin", "SEVERE", "Hives and swelling"),
    ("Peanuts", "LIFE_THREATENING", "Anaphylaxis"),
    ("Pollen", "MILD", "Sneezing"),
    ("Latex", "MODERATE", "Contact rash"),
];

pub const ALLERGY_TABLE: Table<'static> = Table {
    name: "health.allergies",
    columns: &[
        "id",
        "userId",
        "allergen",
        "severity",
        "reaction",
        "createdAt",
        "updatedAt",
    ],
    without_triggers: false,
    units: 0,
};

/// Up to two allergies per user, the reaction sealed with `ring` for `health.allergies.reaction`
/// (one keyring for the whole load, so the key schedule is expanded once).
pub fn allergy_rows(ring: &Keyring) -> impl FnMut(u64, &mut Rows) + '_ {
    let column = MEDICAL_COLUMNS
        .iter()
        .find(|c| c.table == "allergies")
        .expect("allergies.reaction is sealed")
        .qualified();
    move |u, rows| {
        let mut r = rng(Kind::Allergy, u, 0);
        let first = r.random_range(0..ALLERGENS.len());
        for i in 0..r.random_range(0..=2) {
            let (allergen, severity, reaction) = ALLERGENS[(first + i) % ALLERGENS.len()];
            rows.uuid(id(Kind::Allergy, u, 0, i as u64))
                .uuid(user_id(u))
                .val(allergen)
                .val(severity)
                .val(ring.seal(&column, reaction.as_bytes()))
                .ts(data::epoch())
                .ts(data::epoch());
            rows.end();
        }
    }
}

/// One transaction: income or expense, in cents.
pub struct Transaction {
    pub income: bool,
    pub cents: u64,
    pub category: usize,
    pub at: chrono::NaiveDateTime,
}

/// How many accounts `user` has: one to three.
pub fn accounts(user: u64) -> u64 {
    rng(Kind::FinancialAccount, user, 0).random_range(1..=3)
}

/// The transactions of one account: up to 60.
pub fn transactions(user: u64, account: u64) -> Vec<Transaction> {
    let mut r = rng(Kind::Transaction, user, account);
    let n = r.random_range(0..=60);
    (0..n)
        .map(|_| {
            let income = r.random_range(0..100) < 15;
            Transaction {
                income,
                cents: if income {
                    r.random_range(500_000..3_000_000)
                } else {
                    r.random_range(100..300_000)
                },
                category: r.random_range(0..CATEGORIES.len()),
                at: data::any_time(&mut r),
            }
        })
        .collect()
}

pub const ACCOUNTS: Table<'static> = Table {
    name: "finance.financial_accounts",
    columns: &[
        "id",
        "userId",
        "name",
        "type",
        "currency",
        "balance",
        "createdAt",
        "updatedAt",
    ],
    without_triggers: false,
    units: 0,
};

pub fn account_rows(u: u64, rows: &mut Rows) {
    for a in 0..accounts(u) {
        let balance: i64 = transactions(u, a)
            .iter()
            .map(|t| {
                if t.income {
                    t.cents as i64
                } else {
                    -(t.cents as i64)
                }
            })
            .sum();
        let sign = if balance < 0 { "-" } else { "" };
        rows.uuid(id(Kind::FinancialAccount, u, a, 0))
            .uuid(user_id(u))
            .val(format_args!("Account {a}"))
            .val(ACCOUNT_TYPES[a as usize % ACCOUNT_TYPES.len()])
            .val("MXN")
            .val(format_args!(
                "{sign}{}",
                data::cents(balance.unsigned_abs())
            ))
            .ts(data::epoch())
            .ts(data::epoch());
        rows.end();
    }
}

pub const TRANSACTIONS: Table<'static> = Table {
    name: "finance.transactions",
    columns: &[
        "id",
        "userId",
        "accountId",
        "type",
        "amount",
        "currency",
        "category",
        "description",
        "occurredAt",
        "createdAt",
    ],
    without_triggers: false,
    units: 0,
};

pub fn transaction_rows(u: u64, rows: &mut Rows) {
    for a in 0..accounts(u) {
        for (i, t) in transactions(u, a).iter().enumerate() {
            let category = CATEGORIES[t.category];
            rows.uuid(id(Kind::Transaction, u, a, i as u64))
                .uuid(user_id(u))
                .uuid(id(Kind::FinancialAccount, u, a, 0))
                .val(if t.income { "INCOME" } else { "EXPENSE" })
                .val(data::cents(t.cents))
                .val("MXN")
                .val(category)
                .val(format_args!("{category} #{i}"))
                .ts(t.at)
                .ts(t.at);
            rows.end();
        }
    }
}
