//! `cargo xtask monitor`: the operator's report on the dev target (read-only, safe on
//! production); the same as `migration monitor`.

use migrator::monitor::MonitorArgs;

pub async fn run(args: MonitorArgs) -> anyhow::Result<()> {
    let target = devdb::dev_target().await?;
    let db = dbconn::connect(&target.url).await?;
    migrator::monitor::run(&db, &target.origin, &args).await
}
