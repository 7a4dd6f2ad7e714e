//! `cargo xtask seed`: fill the database with a profile's data.

use crate::flags::{Profile, SeedArgs};
use migration::conn::guard;

pub async fn run(args: SeedArgs) -> anyhow::Result<()> {
    let target = devdb::dev_target().await?;
    let profile = match args.profile {
        Profile::Dev => {
            guard::destructive("seed dev data", &target.url, args.force)?;
            seed::Profile::Dev
        }
        Profile::Prod => seed::Profile::prod_from_env()?,
    };
    let db = devdb::connect(&target.url).await?;
    let summary = seed::run(&db, &profile).await?;
    eprintln!("seed: {summary} on {}", target.origin);
    Ok(())
}
