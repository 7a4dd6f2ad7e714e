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
        let catalog = dbcheck::catalog::Catalog::load(&db).await?;
        eprintln!(
            "verify: every check passed on {}: {} tables, {} indexes, {} foreign keys, {} \
             critical queries with an index path",
            target.origin,
            catalog.tables.len(),
            catalog.indexes.len(),
            catalog.foreign_keys.len(),
            dbcheck::verify::critical_queries().len()
        );
        Ok(())
    } else {
        anyhow::bail!("{} check(s) failed on {}", failures.len(), target.origin)
    }
}
