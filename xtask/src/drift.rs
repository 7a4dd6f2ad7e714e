//! `cargo xtask drift`: the entities against the live database, one line per difference.

use anyhow::Context;

pub async fn run() -> anyhow::Result<()> {
    let target = devdb::dev_target().await?;
    let db = dbconn::connect(&target.url).await?;
    migrator::drift(&db, &target.origin).await.context("drift")
}
