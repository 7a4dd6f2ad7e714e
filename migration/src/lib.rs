//! The database schema as SeaORM migrations, grouped by phase (feature area) and applied in order.

pub use sea_orm_migration::MigrationStatus;
pub use sea_orm_migration::prelude::*;

pub mod cli;
pub mod conn;
pub mod deploy;
pub mod online;
pub mod owned;
mod phase1_core;
mod phase2_support_storage;
mod phase3_health_finance;
mod phase4_rag_mcp;
pub mod render;
mod schema_helpers;

/// One feature area's migrations, applied in order.
pub struct Phase {
    /// The phase's position; phases are applied in ascending order.
    pub number: u8,
    /// A short name for the feature area, as in the module name `phase<number>_<name>`.
    pub name: &'static str,
    /// The phase's migrations, in the order they must run.
    pub migrations: fn() -> Vec<Box<dyn MigrationTrait>>,
}

/// Every phase, in the order they are applied; [`Migrator`] runs them all.
pub const PHASES: &[Phase] = &[
    Phase {
        number: 1,
        name: "core",
        migrations: phase1_core::migrations,
    },
    Phase {
        number: 2,
        name: "support_storage",
        migrations: phase2_support_storage::migrations,
    },
    Phase {
        number: 3,
        name: "health_finance",
        migrations: phase3_health_finance::migrations,
    },
    Phase {
        number: 4,
        name: "rag_mcp",
        migrations: phase4_rag_mcp::migrations,
    },
];

/// Runs the migrations of every phase in [`PHASES`], in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        PHASES.iter().flat_map(|p| (p.migrations)()).collect()
    }

    /// SeaORM's `fresh` drops only the tables of the current schema; ours drops everything
    /// the project owns (the `health` and `finance` schemas too), then applies every
    /// migration. The CLI's `fresh` comes here.
    async fn fresh<'c, C>(db: C) -> Result<(), DbErr>
    where
        C: IntoSchemaManagerConnection<'c>,
    {
        let db = db.into_database_executor();
        owned::drop_all(&db).await?;
        Self::up(db, None).await
    }
}

/// Names of the migrations of phases 1..=n, in order.
///
/// These are the names `seaql_migrations.version` records, so a caller can tell whether a
/// database has reached phase `n`.
pub fn migrations_through_phase(n: u8) -> Vec<String> {
    PHASES
        .iter()
        .filter(|p| p.number <= n)
        .flat_map(|p| (p.migrations)())
        .map(|m| m.name().to_owned())
        .collect()
}

/// The number of the last phase.
pub fn last_phase() -> u8 {
    PHASES.last().map_or(0, |p| p.number)
}

/// The phase a migration belongs to, by name.
pub fn phase_of(name: &str) -> Option<&'static Phase> {
    PHASES
        .iter()
        .find(|p| (p.migrations)().iter().any(|m| m.name() == name))
}

/// Applies the pending migrations, all of them or only those of phases 1..=`phase`, through
/// the safe [`deploy::Deployer`] with default settings, and returns how many it applied.
pub async fn up_through_phase(
    db: &sea_orm::DatabaseConnection,
    phase: Option<u8>,
) -> anyhow::Result<usize> {
    let up = deploy::Up {
        through: through_phase(phase)?,
        ..deploy::Up::default()
    };
    let deployer = deploy::Deployer::new(deploy::Settings::default()).await?;
    Ok(deployer.up(db, &up).await?.len())
}

/// The name of the last migration of phase `n`, or `None` (no limit) for `None`.
pub fn through_phase(phase: Option<u8>) -> anyhow::Result<Option<String>> {
    match phase {
        None => Ok(None),
        Some(n) if (1..=last_phase()).contains(&n) => Ok(migrations_through_phase(n).pop()),
        Some(n) => anyhow::bail!("unknown phase {n}: phases are 1 to {}", last_phase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_numbered_in_order_from_one() {
        for (i, phase) in PHASES.iter().enumerate() {
            assert_eq!(usize::from(phase.number), i + 1, "phase {}", phase.name);
        }
    }

    #[test]
    fn migration_names_are_unique_and_sorted() {
        // sea-orm-migration applies migrations in the order given but records them by name,
        // so names must be unique; keeping them sorted keeps that order obvious.
        let names = migrations_through_phase(u8::MAX);
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn phase_one_has_its_six_migrations() {
        assert_eq!(
            migrations_through_phase(1),
            [
                "m20261121_000001_create_extensions_and_enums",
                "m20261121_000002_create_identity_tables",
                "m20261121_000003_create_agent_tables",
                "m20261121_000004_create_conversation_tables",
                "m20261121_000005_create_usage_tables",
                "m20261121_000006_create_triggers",
            ]
        );
        assert!(migrations_through_phase(0).is_empty());
    }
}
