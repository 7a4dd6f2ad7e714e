//! Phase 2, support, storage and tags: tickets, folders, files, quotas, shares and tags (schema `public`).

use sea_orm_migration::MigrationTrait;

mod m20261121_000101_create_support_storage_enums;
mod m20261121_000102_create_support_tables;
mod m20261121_000103_create_storage_tables;
mod m20261121_000104_create_tag_tables;
mod m20261121_000105_create_storage_quota_trigger;

/// The phase's migrations in the order they must run (each one's foreign keys point only at
/// tables of the ones before it, or of phase 1).
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261121_000101_create_support_storage_enums::Migration),
        Box::new(m20261121_000102_create_support_tables::Migration),
        Box::new(m20261121_000103_create_storage_tables::Migration),
        Box::new(m20261121_000104_create_tag_tables::Migration),
        Box::new(m20261121_000105_create_storage_quota_trigger::Migration),
    ]
}
