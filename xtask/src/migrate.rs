//! `cargo xtask migrate`: the migration binary's commands, on the dev target, phase by phase.

use migration::cli::{Command, UpArgs};

use crate::flags::MigrateArgs;

pub async fn run(args: MigrateArgs) -> anyhow::Result<()> {
    args.lag.apply();
    if args.fleet.targets.is_some() {
        return fleet(args).await;
    }
    let target = devdb::dev_target().await?;
    let mut command = args.action.unwrap_or(Command::Up(args.up));
    migration::cli::guard(&command, &target.url)?;
    let db = dbconn::connect_waiting(&target.url, args.settings.wait).await?;
    if let Command::Up(UpArgs {
        backup: Some(_),
        pg_dump: pg_dump @ None,
        ..
    }) = &mut command
    {
        // The embedded server's own pg_dump matches its version; PATH may hold an older one.
        *pg_dump = devdb::embedded::tool("pg_dump").ok();
    }
    let through = migration::through_phase(args.phase)?;
    eprintln!("migrate: on {}", target.origin);
    migration::cli::execute(&db, &target.url, args.settings, command, through).await
}

/// `--targets FILE`: the fleet's databases, never the dev one.
async fn fleet(args: MigrateArgs) -> anyhow::Result<()> {
    let through = migration::through_phase(args.phase)?;
    let mut command = args.action.unwrap_or(Command::Up(args.up));
    if let Command::Up(UpArgs {
        backup: Some(_),
        pg_dump: pg_dump @ None,
        ..
    }) = &mut command
    {
        // As for one database: the embedded server's pg_dump, when there is one.
        *pg_dump = devdb::embedded::tool("pg_dump").ok();
    }
    let command = migration::fleet::FleetCommand::migrate(command, through)?;
    migration::fleet::run(&args.fleet, args.settings, command).await
}
