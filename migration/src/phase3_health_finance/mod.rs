//! Phase 3, health and finance: the `health` and `finance` schemas, their tables and enums, behind row-level security.

use sea_orm_migration::MigrationTrait;

mod m20261121_000201_create_health_finance_schemas;
mod m20261121_000202_create_health_tables;
mod m20261121_000203_create_finance_tables;
mod m20261121_000204_enable_row_level_security;

/// The phase's migrations in the order they must run (the schemas first, the tables next,
/// row-level security last, once every table it covers exists).
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261121_000201_create_health_finance_schemas::Migration),
        Box::new(m20261121_000202_create_health_tables::Migration),
        Box::new(m20261121_000203_create_finance_tables::Migration),
        Box::new(m20261121_000204_enable_row_level_security::Migration),
    ]
}
