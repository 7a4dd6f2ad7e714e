//! The database schema as SeaORM migrations, grouped by phase (feature area) and applied in order.

pub use sea_orm_migration::MigrationStatus;
pub use sea_orm_migration::prelude::*;

/// The online helpers phase 6's migrations build their indexes and backfills with.
pub use deployer::online;

pub mod owned;
mod phase1_core;
mod phase2_support_storage;
mod phase3_health_finance;
mod phase4_rag_mcp;
mod phase5_counters;
mod phase6_hot_paths;
mod phase7_security;
mod phase8_big_tenants;
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

impl Phase {
    /// The phase `schema_facts::PHASES` lists at `index`, with its migrations.
    const fn new(index: usize, migrations: fn() -> Vec<Box<dyn MigrationTrait>>) -> Phase {
        Phase {
            number: schema_facts::PHASES[index].number,
            name: schema_facts::PHASES[index].name,
            migrations,
        }
    }
}

/// Every phase, in the order they are applied; [`Migrator`] runs them all. Numbers and names
/// come from `schema_facts::PHASES`, the list every crate reads.
pub const PHASES: &[Phase] = &[
    Phase::new(0, phase1_core::migrations),
    Phase::new(1, phase2_support_storage::migrations),
    Phase::new(2, phase3_health_finance::migrations),
    Phase::new(3, phase4_rag_mcp::migrations),
    Phase::new(4, phase5_counters::migrations),
    Phase::new(5, phase6_hot_paths::migrations),
    Phase::new(6, phase7_security::migrations),
    Phase::new(7, phase8_big_tenants::migrations),
];

/// Runs the migrations of every phase in [`PHASES`], in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        PHASES.iter().flat_map(|p| (p.migrations)()).collect()
    }

    /// SeaORM's `fresh` drops only the tables of the current schema and migrates outside any
    /// lock; this schema's `fresh` is [`deployer()`]'s, which drops the `health` and `finance`
    /// schemas too, under the migration lock. Refused here so no caller reaches the unsafe one.
    async fn fresh<'c, C>(_db: C) -> Result<(), DbErr>
    where
        C: IntoSchemaManagerConnection<'c>,
    {
        Err(DbErr::Custom(
            "Migrator::fresh is not supported: use `migration fresh` (deployer().fresh)".into(),
        ))
    }
}

/// The safe deployer for this schema's migrations, told what the project owns
/// ([`owned::project`]). Every command that applies migrations starts here.
pub async fn deployer(settings: deployer::Settings) -> anyhow::Result<deployer::Deployer> {
    Ok(deployer::Deployer::of::<Migrator>(settings)
        .await?
        .with_project(owned::project()))
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
/// the safe [`deployer::Deployer`] with default settings, and returns how many it applied.
pub async fn up_through_phase(
    db: &sea_orm::DatabaseConnection,
    phase: Option<u8>,
) -> anyhow::Result<usize> {
    let up = deployer::Up {
        through: through_phase(phase)?,
        ..deployer::Up::default()
    };
    let deployer = deployer(deployer::Settings::default()).await?;
    Ok(deployer.up(db, &up).await?.len())
}

/// The name of the last migration of phase `n`, or `None` (no limit) for `None`.
pub fn through_phase(phase: Option<u8>) -> anyhow::Result<Option<String>> {
    match phase {
        None => Ok(None),
        Some(n) if (1..=last_phase()).contains(&n) => Ok(migrations_through_phase(n).pop()),
        Some(n) => anyhow::bail!(
            "unknown phase {n} (--phase): phases are 1 to {}, e.g. --phase 2",
            last_phase()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deployer::render::{checksum_of, render_down, render_up};

    #[test]
    fn every_phase_of_the_facts_has_its_migrations() {
        assert_eq!(PHASES.len(), schema_facts::PHASES.len());
    }

    #[test]
    fn the_facts_name_the_deployers_bookkeeping_tables() {
        assert_eq!(
            schema_facts::BOOKKEEPING_TABLES,
            [
                deployer::VERSIONS,
                deployer::CHECKSUMS,
                online::backfill::PROGRESS
            ]
        );
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

    /// The six-digit number of a migration named `mYYYYMMDD_NNNNNN_verb_noun`.
    fn number(name: &str) -> u32 {
        name.get(10..16)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name} is not named mYYYYMMDD_NNNNNN_verb_noun"))
    }

    /// The first way `names` breaks the numbering: two sharing a number, or one listed before
    /// a lower number; each names both files and the fix.
    fn numbering_problem(names: &[String]) -> Option<String> {
        let mut by_number = std::collections::BTreeMap::new();
        for name in names {
            if let Some(other) = by_number.insert(number(name), name) {
                return Some(format!(
                    "{other}.rs and {name}.rs share the number {:06}: give the newer one the \
                     next free number (`cargo xtask migrate status` shows which is applied)",
                    number(name)
                ));
            }
        }
        names.windows(2).find_map(|pair| {
            (number(&pair[0]) > number(&pair[1])).then(|| {
                format!(
                    "{}.rs is listed before {}.rs but has a higher number: list each phase's \
                     migrations in number order (its folder's mod.rs)",
                    pair[0], pair[1]
                )
            })
        })
    }

    #[test]
    fn no_two_migrations_share_a_number_and_the_lists_follow_the_numbers() {
        // Two branches that each add a migration take the same next number; merged, the
        // second must be renumbered after the first, or the order becomes a coin toss.
        if let Some(problem) = numbering_problem(&migrations_through_phase(u8::MAX)) {
            panic!("{problem}");
        }
    }

    #[test]
    fn the_numbering_check_names_both_files_of_a_clash_and_of_a_misordered_list() {
        let names = |list: &[&str]| list.iter().map(|n| String::from(*n)).collect::<Vec<_>>();
        let clash = names(&["m20261206_000673_a", "m20261207_000673_b"]);
        let said = numbering_problem(&clash).expect("a clash");
        assert!(said.starts_with("m20261206_000673_a.rs and m20261207_000673_b.rs share"));
        let misordered = names(&["m20261206_000674_a", "m20261206_000673_b"]);
        assert!(
            numbering_problem(&misordered)
                .expect("misordered")
                .contains("listed before")
        );
        assert_eq!(
            numbering_problem(&names(&["m20261206_000001_a", "m20261206_000002_b"])),
            None
        );
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

    #[tokio::test]
    async fn every_migration_renders_sql_both_ways() {
        for migration in Migrator::migrations() {
            let up = render_up(migration.as_ref()).await.unwrap();
            let down = render_down(migration.as_ref()).await.unwrap();
            assert!(!up.is_empty(), "{} renders no up SQL", migration.name());
            assert!(!down.is_empty(), "{} renders no down SQL", migration.name());
        }
    }

    #[tokio::test]
    async fn checksums_are_stable_and_differ_between_migrations() {
        let migrations = Migrator::migrations();
        let mut seen = std::collections::HashSet::new();
        let checksum = async |m: &dyn MigrationTrait| checksum_of(&render_up(m).await.unwrap());
        for migration in &migrations {
            let first = checksum(migration.as_ref()).await;
            assert_eq!(first, checksum(migration.as_ref()).await);
            assert!(seen.insert(first), "{} shares a checksum", migration.name());
        }
    }

    #[tokio::test]
    async fn the_first_migration_renders_the_extensions_it_creates() {
        let first = &Migrator::migrations()[0];
        let sql = render_up(first.as_ref()).await.unwrap().join("\n");
        assert!(sql.contains("vector"), "{sql}");
    }
}
