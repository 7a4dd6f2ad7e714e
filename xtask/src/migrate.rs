//! `cargo xtask migrate`: the migration binary's commands, on the dev target, phase by phase.

use migration::cli::{Command, UpArgs};

use crate::flags::MigrateArgs;

pub async fn run(args: MigrateArgs) -> anyhow::Result<()> {
    // Checked first: a bad --phase is refused before anything connects or starts.
    let through = migration::through_phase(args.phase)?;
    let target = devdb::dev_target().await?;
    let mut command = args.action.unwrap_or(Command::Up(args.up));
    migration::cli::guard(&command, &target.url)?;
    let liveness = args.settings.liveness();
    let db = dbconn::connect_live(&target.url, args.settings.wait, &liveness).await?;
    if let Command::Up(UpArgs {
        backup: Some(_),
        pg_dump: pg_dump @ None,
        ..
    }) = &mut command
    {
        // The embedded server's own pg_dump matches its version; PATH may hold an older one.
        *pg_dump = devdb::embedded::tool("pg_dump").ok();
    }
    eprintln!("migrate: on {}", target.origin);
    migration::cli::execute(&db, &target.url, args.settings, command, through).await
}
