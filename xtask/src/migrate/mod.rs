//! `cargo xtask migrate`: the migration binary's commands, on the dev target, phase by phase.

use deployer::cli::{BackupsArgs, Command, RestoreArgs, UpArgs};

mod dev;
mod diff;
mod naming;
mod new;
mod phase;

use crate::flags::{MigrateAction, MigrateArgs};

pub async fn run(mut args: MigrateArgs) -> anyhow::Result<()> {
    let command = match args.action.take() {
        Some(MigrateAction::New(new)) => return new::run(&new),
        Some(MigrateAction::Dev(dev)) => return dev::run(&dev).await,
        Some(MigrateAction::Diff(diff)) => return diff::run(&diff).await,
        Some(MigrateAction::Deploy(command)) => command,
        None => Command::Up(args.up.clone()),
    };
    deploy(args, command).await
}

async fn deploy(args: MigrateArgs, command: Command) -> anyhow::Result<()> {
    args.lag.apply();
    if args.fleet.targets.is_some() {
        return fleet(args, command).await;
    }
    // Checked first: a bad --phase is refused before anything connects or starts.
    let through = migration::through_phase(args.phase)?;
    let mut command = command;
    if let Command::Backups(backups) = &command
        && !backups.take
    {
        return deployer::cli::backups(backups, None).await;
    }
    let target = devdb::migration_target().await?;
    deployer::cli::guard(&command, &target.url)?;
    let liveness = args.settings.liveness();
    let db = dbconn::connect_live(&target.url, args.settings.wait, &liveness).await?;
    embedded_tools(&mut command);
    eprintln!("migrate: on {}", target.origin);
    let deployer = migrator::deployer(args.settings).await?;
    deployer::cli::execute(&db, &target.url, deployer, command, through).await
}

/// The embedded server's own pg_dump and pg_restore match its version; PATH may hold older
/// ones, so they are the default where a command dumps or restores.
fn embedded_tools(command: &mut Command) {
    let (tool, slot) = match command {
        Command::Up(UpArgs {
            backup: Some(_),
            pg_dump,
            ..
        })
        | Command::Backups(BackupsArgs {
            take: true,
            pg_dump,
            ..
        }) => ("pg_dump", pg_dump),
        Command::Restore(RestoreArgs { pg_restore, .. }) => ("pg_restore", pg_restore),
        _ => return,
    };
    if slot.is_none() {
        *slot = devdb::embedded::tool(tool).ok();
    }
}

/// `--targets FILE`: the fleet's databases, never the dev one.
async fn fleet(args: MigrateArgs, mut command: Command) -> anyhow::Result<()> {
    let through = migration::through_phase(args.phase)?;
    // As for one database: the embedded server's tools, when there are some.
    embedded_tools(&mut command);
    let deployer = migrator::deployer(args.settings).await?;
    deployer::cli::execute_fleet(&args.fleet, deployer, command, through).await
}
