//! `cargo xtask migrate`: apply, inspect and roll back migrations, phase by phase.

use std::collections::HashMap;

use anyhow::Context;
use migration::{MigrationStatus, Migrator, MigratorTrait, PHASES};
use sea_orm::DatabaseConnection;

use crate::flags::{DownArgs, MigrateArgs, MigrateCommand};
use crate::guard;

pub async fn run(args: MigrateArgs) -> anyhow::Result<()> {
    let target = devdb::dev_target().await?;
    let db = devdb::connect(&target.url).await?;
    match args.action {
        None => up(&db, &target, args.phase).await,
        Some(MigrateCommand::Status) => status(&db).await,
        Some(MigrateCommand::Down(down_args)) => down(&db, &target, down_args).await,
    }
}

/// Applies what is pending, or only what is pending through `phase`.
pub async fn up(
    db: &DatabaseConnection,
    target: &devdb::Target,
    phase: Option<u8>,
) -> anyhow::Result<()> {
    devdb::require_pgvector(db, &target.url).await?;
    let applied = migration::up_through_phase(db, phase)
        .await
        .context("apply migrations")?;
    if applied == 0 {
        eprintln!("migrate: nothing pending on {}", target.origin);
    } else {
        eprintln!(
            "migrate: applied {applied} migration(s) to {}",
            target.origin
        );
    }
    Ok(())
}

async fn status(db: &DatabaseConnection) -> anyhow::Result<()> {
    let phase_of: HashMap<String, (u8, &str)> = PHASES
        .iter()
        .flat_map(|p| {
            (p.migrations)()
                .into_iter()
                .map(move |m| (m.name().to_string(), (p.number, p.name)))
        })
        .collect();
    let migrations = Migrator::get_migration_with_status(db)
        .await
        .context("read migration status")?;
    for m in &migrations {
        let (number, name) = phase_of.get(m.name()).copied().unwrap_or((0, "?"));
        let state = match m.status() {
            MigrationStatus::Applied => "applied",
            MigrationStatus::Pending => "pending",
        };
        println!("phase {number} {name:<16} {state:<8} {}", m.name());
    }
    let pending = migrations
        .iter()
        .filter(|m| m.status() == MigrationStatus::Pending)
        .count();
    println!("{} migration(s), {pending} pending", migrations.len());
    Ok(())
}

async fn down(
    db: &DatabaseConnection,
    target: &devdb::Target,
    args: DownArgs,
) -> anyhow::Result<()> {
    if args.all {
        guard::destructive("roll back every migration", target, args.force)?;
        Migrator::down(db, None)
            .await
            .context("roll back migrations")?;
        eprintln!("migrate: rolled back every migration on {}", target.origin);
    } else {
        Migrator::down(db, Some(args.steps))
            .await
            .context("roll back migrations")?;
        eprintln!(
            "migrate: rolled back up to {} migration(s) on {}",
            args.steps, target.origin
        );
    }
    Ok(())
}
