//! Phase 3, health and finance: the `health` and `finance` schemas, their tables and enums, behind row-level security.

use sea_orm_migration::MigrationTrait;

/// The phase's migrations in the order they must run.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![]
}
