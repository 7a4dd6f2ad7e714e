//! Phase 2, support, storage and tags: tickets, folders, files, quotas, shares and tags (schema `public`).

use sea_orm_migration::MigrationTrait;

/// The phase's migrations in the order they must run.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![]
}
