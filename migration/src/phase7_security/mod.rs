//! Phase 7, security: every user's rows isolated by row-level security for `app_user`, an
//! `app_admin` role that sees all of them, no reference from one user's row to another's, an
//! audit trail of sensitive writes, medical free text and MCP tokens refused unless sealed,
//! columns kept from the roles that must not write or read them, and counters no writer can
//! deadlock on or falsify.

use sea_orm_migration::MigrationTrait;

mod m20261201_000601_create_admin_role;
mod m20261201_000602_isolate_user_tables;
mod m20261201_000603_refuse_cross_user_references;
mod m20261201_000604_extend_audit_logs;
mod m20261201_000605_create_audit_triggers;
mod m20261201_000651_add_sealed_text_checks;
mod m20261201_000652_validate_sealed_text_checks;
mod m20261201_000661_hide_internal_support_notes;
mod m20261206_000671_run_counter_triggers_as_owner;
mod m20261206_000672_revoke_system_columns_from_app_user;
mod m20261206_000673_add_sealed_token_checks;
mod m20261206_000674_validate_sealed_token_checks;
mod m20261206_000675_hide_sign_in_tokens_from_admin;
mod m20261206_000681_serve_file_shares;
mod m20261206_000691_fold_counters_at_commit;

/// The phase's migrations in the order they must run: the role and the owner function first,
/// since every policy after them names one or the other; the sealed-text checks are added for
/// new writes first, then validated against the rows already there. Later refinements of the
/// phase's policies (`00066x`) come after every migration they amend; the column grants
/// and token checks (`00067x`) last: the counter triggers run as their owner before `app_user`
/// loses the counters, the token checks are added before they are validated, and the sign-in
/// tokens are kept from `app_admin`. Shares (`00068x`) are served after all of them: the
/// file's children must name its owner before a recipient sees the file.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261201_000601_create_admin_role::Migration),
        Box::new(m20261201_000602_isolate_user_tables::Migration),
        Box::new(m20261201_000603_refuse_cross_user_references::Migration),
        Box::new(m20261201_000604_extend_audit_logs::Migration),
        Box::new(m20261201_000605_create_audit_triggers::Migration),
        Box::new(m20261201_000651_add_sealed_text_checks::Migration),
        Box::new(m20261201_000652_validate_sealed_text_checks::Migration),
        Box::new(m20261201_000661_hide_internal_support_notes::Migration),
        Box::new(m20261206_000671_run_counter_triggers_as_owner::Migration),
        Box::new(m20261206_000672_revoke_system_columns_from_app_user::Migration),
        Box::new(m20261206_000673_add_sealed_token_checks::Migration),
        Box::new(m20261206_000674_validate_sealed_token_checks::Migration),
        Box::new(m20261206_000675_hide_sign_in_tokens_from_admin::Migration),
        Box::new(m20261206_000681_serve_file_shares::Migration),
        Box::new(m20261206_000691_fold_counters_at_commit::Migration),
    ]
}

/// Phase 3's tables, `schema.table`: already isolated for `app_user` there; phase 7 gives them
/// the admin policy and the shared owner function, and audits every write to them.
const HEALTH_FINANCE: &[&str] = &[
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

/// The medical free-text columns that must hold sealed envelopes, `(table in health, column)`.
/// The `secrets` crate's list (`secrets::MEDICAL_COLUMNS`) must name the same columns; a
/// smoke test compares it with the constraints in the database.
const SEALED_TEXT: &[(&str, &str)] = &[
    ("allergies", "reaction"),
    ("health_profiles", "notes"),
    ("medical_appointments", "notes"),
    ("medical_conditions", "notes"),
    ("medication_logs", "notes"),
    ("medications", "instructions"),
];

/// The form of a sealed envelope: `v1:<key id>:<base64 of nonce, ciphertext and tag>`, the
/// blob at least 28 bytes (12 of nonce, 16 of tag), so at least 38 base64 digits.
const ENVELOPE_PATTERN: &str = "^v1:[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{38,}={0,2}$";

/// The MCP token columns of `public.mcp_integrations` that must hold sealed envelopes (as
/// bytes). `secrets::TOKEN_COLUMNS` must name the same columns; the sealed smoke test compares
/// both lists with the constraints in the database.
const SEALED_TOKENS: &[&str] = &["accessTokenEncrypted", "refreshTokenEncrypted"];

/// The check of a token column: NULL, or bytes that spell an envelope. `encode(.., 'escape')`
/// keeps printable ASCII and turns every other byte into a backslash escape, which the
/// pattern refuses.
fn token_check(column: &str) -> String {
    format!(r#""{column}" IS NULL OR encode("{column}", 'escape') ~ '{ENVELOPE_PATTERN}'"#)
}

/// The check constraint's name for `column` of `table`.
fn constraint_name(table: &str, column: &str) -> String {
    format!("{table}_{column}_sealed")
}
