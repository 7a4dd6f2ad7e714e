//! Phase 8, big tenants: say in one line what this feature area holds.

use sea_orm_migration::MigrationTrait;
mod m20261206_000701_create_nearest_chunks;

/// The phase's migrations in the order they must run.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(m20261206_000701_create_nearest_chunks::Migration)]
}
