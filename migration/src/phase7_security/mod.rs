//! Phase 7, security: every user's rows isolated by row-level security for `app_user`, an
//! `app_admin` role that sees all of them, no reference from one user's row to another's, and
//! an audit trail of sensitive writes.

use sea_orm_migration::MigrationTrait;

mod m20261201_000601_create_admin_role;
mod m20261201_000602_isolate_user_tables;
mod m20261201_000603_refuse_cross_user_references;
mod m20261201_000604_extend_audit_logs;
mod m20261201_000605_create_audit_triggers;

/// The phase's migrations in the order they must run: the role and the owner function first,
/// since every policy after them names one or the other.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261201_000601_create_admin_role::Migration),
        Box::new(m20261201_000602_isolate_user_tables::Migration),
        Box::new(m20261201_000603_refuse_cross_user_references::Migration),
        Box::new(m20261201_000604_extend_audit_logs::Migration),
        Box::new(m20261201_000605_create_audit_triggers::Migration),
    ]
}
