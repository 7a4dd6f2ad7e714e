//! `cargo xtask verify`: the post-deploy check, read-only, one line per failed check.

pub async fn run() -> anyhow::Result<()> {
    let target = devdb::dev_target().await?;
    let db = dbconn::connect(&target.url).await?;
    dbcheck::verify::report(&db, &target.origin).await
}
