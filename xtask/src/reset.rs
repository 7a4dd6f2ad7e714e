//! `cargo xtask reset`: drop everything the project owns, migrate, seed dev.

use anyhow::Context;

use crate::flags::ResetArgs;
use dbconn::guard;
use deployer::Settings;

pub async fn run(args: ResetArgs) -> anyhow::Result<()> {
    let target = devdb::dev_target().await?;
    guard::destructive("reset the database", &target.url, args.force)?;
    let db = dbconn::connect(&target.url).await?;
    dbconn::require_pgvector(&db, &target.url).await?;
    // `fresh` drops and migrates under the migration lock, so a concurrent migrator waits.
    let applied = migrator::deployer(Settings::default())
        .await?
        .fresh(&db)
        .await
        .context("drop and migrate")?;
    eprintln!(
        "reset: dropped every table, type and schema the project owns, applied {} migration(s)",
        applied.len()
    );
    let summary = seed::run(&db, &seed::Profile::Dev).await?;
    eprintln!("reset: seeded {summary}");
    Ok(())
}
