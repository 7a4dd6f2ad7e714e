//! `cargo xtask repair [--apply]`: derived counters that differ from their recount, listed,
//! and with `--apply` set back to it in short batches.

use migrator::repair::RepairArgs;

pub async fn run(args: RepairArgs) -> anyhow::Result<()> {
    let target = devdb::dev_target().await?;
    let db = dbconn::connect(&target.url).await?;
    migrator::repair::report(&db, &target.origin, &args).await
}
