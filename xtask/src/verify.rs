//! `cargo xtask verify`: the post-deploy check, read-only, one line per failed check.

use anyhow::Context;

pub async fn run() -> anyhow::Result<()> {
    let target = devdb::dev_target().await?;
    let db = devdb::connect(&target.url).await?;
    let failures = dbcheck::verify::check(&db)
        .await
        .context("verify the database")?;
    for failure in &failures {
        println!("{failure}");
    }
    if failures.is_empty() {
        eprintln!("verify: every check passed on {}", target.origin);
        Ok(())
    } else {
        anyhow::bail!("{} check(s) failed on {}", failures.len(), target.origin)
    }
}
