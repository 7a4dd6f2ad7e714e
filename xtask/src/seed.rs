//! `cargo xtask seed`: the `seed` binary's command, on the dev target.

use seed::cli::SeedArgs;

pub async fn run(args: SeedArgs) -> anyhow::Result<()> {
    let target = devdb::dev_target().await?;
    seed::cli::run(&target.url, &target.origin, &args).await
}
