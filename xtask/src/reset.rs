//! `cargo xtask reset`: drop everything the project owns, migrate, seed dev.

use anyhow::Context;

use crate::flags::ResetArgs;
use crate::{guard, migrate};

pub async fn run(args: ResetArgs) -> anyhow::Result<()> {
    let target = devdb::dev_target().await?;
    guard::destructive("reset the database", &target, args.force)?;
    let db = devdb::connect(&target.url).await?;
    migration::owned::drop_all(&db)
        .await
        .context("drop the project's objects")?;
    eprintln!("reset: dropped every table, type and schema the project owns");
    migrate::up(&db, &target, None).await?;
    let summary = seed::run(&db, &seed::Profile::Dev).await?;
    eprintln!("reset: seeded {summary}");
    Ok(())
}
