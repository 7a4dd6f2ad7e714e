//! `cargo xtask drift`: the entities against the live database, one line per difference.

use anyhow::Context;

pub async fn run() -> anyhow::Result<()> {
    let target = devdb::dev_target().await?;
    let db = devdb::connect(&target.url).await?;
    let findings = dbcheck::drift::check(&db)
        .await
        .context("read the database catalog")?;
    for finding in &findings {
        println!("{finding}");
    }
    if findings.is_empty() {
        eprintln!("drift: entities and {} agree", target.origin);
        Ok(())
    } else {
        anyhow::bail!(
            "{} difference(s) between the entities and {}: fix the entity or add a migration",
            findings.len(),
            target.origin
        )
    }
}
