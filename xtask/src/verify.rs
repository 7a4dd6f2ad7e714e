//! `cargo xtask verify [--deep]`: the post-deploy check, read-only, one line per failed check
//! or (with `--deep`) per counter that differs from its recount.

use migrator::repair::VerifyArgs;

pub async fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let target = devdb::dev_target().await?;
    let db = dbconn::connect(&target.url).await?;
    migrator::repair::verify(&db, &target.origin, &args).await
}
