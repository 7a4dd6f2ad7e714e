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
        Profile::Load => {
            guard::destructive("load bulk data", &target.url, args.force)?;
            let db = devdb::connect(&target.url).await?;
            let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let report = seed::load::run(&db, args.scale, progress).await?;
            eprintln!(
                "seed: load profile at scale {} on {}:\n{report}",
                args.scale, target.origin
            );
            return Ok(());
        }
    };
    let db = devdb::connect(&target.url).await?;
    let summary = seed::run(&db, &profile).await?;
    eprintln!("seed: {summary} on {}", target.origin);
    Ok(())
}
