//! The seed command, shared by the `seed` binary and `cargo xtask seed`: one set of flags,
//! one guard, one report, whichever way it is started.

use clap::{Args, ValueEnum};
use dbconn::guard;

use crate::Profile;

/// Which data to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    /// The seed document's sample data (development databases only).
    Dev,
    /// Only the super admin, from SEED_SUPER_ADMIN_EMAIL (safe on production).
    Prod,
    /// Bulk data through COPY: --scale users, about 200 messages and 200 usage logs each
    /// (development databases only).
    Load,
}

#[derive(Args, Clone, Debug)]
pub struct SeedArgs {
    /// Which data to write; running a profile again changes nothing.
    #[arg(long, value_enum, default_value = "dev")]
    pub profile: ProfileArg,
    /// Allow the dev or load profile on a non-local host (never with APP_ENV=production).
    #[arg(long)]
    pub force: bool,
    /// Users of the load profile; the default gives about a million messages.
    #[arg(long, default_value_t = crate::load::DEFAULT_SCALE, value_name = "N", value_parser = dbconn::cli::whole::<u64>)]
    pub scale: u64,
    /// With --profile prod: add SEED_SUPER_ADMIN_EMAIL as a super admin even when another one
    /// exists (without it, a run that finds a super admin adds nothing).
    #[arg(long)]
    pub add_super_admin: bool,
    /// Show a progress bar per table of the load profile even when stderr is no terminal.
    #[arg(long)]
    pub progress: bool,
}

/// Refuses the dev and load profiles on production, and on a non-local host unless
/// `--force`. It needs only the URL, so it runs before connecting.
pub fn guard(args: &SeedArgs, url: &str) -> anyhow::Result<()> {
    let fix = "use --profile prod";
    match args.profile {
        ProfileArg::Dev => guard::development_only("seed dev data", url, args.force, fix),
        ProfileArg::Load => guard::development_only("load bulk data", url, args.force, fix),
        ProfileArg::Prod => Ok(()),
    }
}

/// Seeds the database at `url` (described as `origin` in the report) as `args` say.
pub async fn run(url: &str, origin: &str, args: &SeedArgs) -> anyhow::Result<()> {
    guard(args, url)?;
    let profile = match args.profile {
        ProfileArg::Dev => Profile::Dev,
        ProfileArg::Prod => Profile::prod_from_env(args.add_super_admin)?,
        ProfileArg::Load => {
            let db = dbconn::connect(url).await?;
            let progress = args.progress || std::io::IsTerminal::is_terminal(&std::io::stderr());
            let report = crate::load::run(&db, args.scale, progress).await?;
            eprintln!(
                "seed: load profile at scale {} on {origin}:\n{report}",
                args.scale
            );
            return Ok(());
        }
    };
    let db = dbconn::connect(url).await?;
    let summary = crate::run(&db, &profile).await?;
    eprintln!("seed: {profile} profile: {summary} on {origin}");
    Ok(())
}
