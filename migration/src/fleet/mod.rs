//! Fleet rollouts: `up`, `status` and `verify` on many databases (a database per tenant or
//! region, shards), listed in a targets file.
//!
//! Each target gets a whole single-database run of its own: its own connection, its own
//! [`crate::deploy::Deployer`] (lock, checksums, timeouts, backup), so every guarantee of one
//! database holds for each. On top, [`rollout`] bounds how many run at once, runs a canary
//! first (migrated and verified; any failure there starts nothing else), and after a failure
//! starts no new target unless `--keep-going`. Each target's own ledger records what it has,
//! so running the same command again after an interruption finishes what is left.

mod matrix;
pub mod rollout;
mod summary;
pub mod targets;

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

use self::rollout::{Job, Plan, Report, rollout};
use self::summary::Row;
use self::targets::Target;
use crate::cli::{Command, UpArgs};
use crate::deploy::{Backup, Settings, Status, Up};
use crate::repair::VerifyArgs;

/// The flags of a fleet run; without `--targets` the commands work on one database.
#[derive(Args, Clone, Debug)]
pub struct FleetArgs {
    /// Run `up`, `status` or `verify` on every database listed in FILE (one URL or name=URL a
    /// line, # comments) instead of DATABASE_URL. MIGRATION_TARGETS may hold the path or the
    /// list itself.
    #[arg(
        long,
        global = true,
        env = "MIGRATION_TARGETS",
        hide_env_values = true,
        value_name = "FILE"
    )]
    pub targets: Option<String>,
    /// Targets worked on at once.
    #[arg(long, global = true, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallel: u16,
    /// Migrate and verify the first K targets before any other; stop if one fails.
    #[arg(long, global = true, value_name = "K", default_value_t = 0)]
    pub canary: usize,
    /// After the canary, finish every target even when one fails (by default a failure stops
    /// new starts; those running finish).
    #[arg(long, global = true)]
    pub keep_going: bool,
    /// Print the summary as JSON (for pipelines) instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

impl FleetArgs {
    fn plan(&self) -> Plan {
        Plan {
            parallel: usize::from(self.parallel),
            canary: self.canary,
            keep_going: self.keep_going,
        }
    }

    /// The plan of a read-only command: every target, whatever another's result.
    fn read_only_plan(&self) -> Plan {
        Plan {
            parallel: usize::from(self.parallel),
            canary: 0,
            keep_going: true,
        }
    }
}

/// The commands a fleet runs.
#[derive(Clone, Debug)]
pub enum FleetCommand {
    /// `up` with its flags; `through` limits it as xtask's `--phase` does.
    Up {
        args: UpArgs,
        through: Option<String>,
    },
    Status,
    Verify(VerifyArgs),
}

impl FleetCommand {
    /// The fleet form of a migrate command; only `up` and `status` have one.
    pub fn migrate(command: Command, through: Option<String>) -> anyhow::Result<Self> {
        match command {
            Command::Up(args) => {
                // Each target is production as much as one database is.
                crate::operate::require_backup_decision(&args)?;
                Ok(Self::Up { args, through })
            }
            Command::Status(status) if !status.check => Ok(Self::Status),
            _ => bail!(
                "--targets works with up, status and verify: run other commands on one \
                 database at a time (DATABASE_URL)"
            ),
        }
    }
}

/// Runs `command` on every target of `args.targets` and prints the summary; fails, naming the
/// targets, when any failed or never started.
pub async fn run(
    args: &FleetArgs,
    settings: Settings,
    command: FleetCommand,
) -> anyhow::Result<()> {
    let source = args
        .targets
        .as_deref()
        .context("a fleet run needs --targets FILE")?;
    let targets = targets::load(source)?;
    let count = targets.len();
    // Only `up` has a canary: the read-only commands look at every target anyway.
    let canary = match (&command, args.canary) {
        (FleetCommand::Up { .. }, k) if k > 0 => format!(", canary {}", k.min(count)),
        _ => String::new(),
    };
    eprintln!(
        "fleet: {count} target(s), {} at a time{canary}",
        args.parallel
    );
    let name = match &command {
        FleetCommand::Up { .. } => "up",
        FleetCommand::Status => "status",
        FleetCommand::Verify(_) => "verify",
    };
    match command {
        FleetCommand::Up { args: up, through } => {
            self::up(targets, args, settings, up, through).await
        }
        FleetCommand::Status => status(targets, args, settings).await,
        FleetCommand::Verify(verify_args) => verify(targets, args, settings, verify_args).await,
    }?;
    eprintln!("fleet: {name} succeeded on all {count} target(s)");
    Ok(())
}

/// What `up` did on one target.
struct Applied {
    names: Vec<String>,
    verified: bool,
}

impl Row for Applied {
    fn applied(&self) -> String {
        self.names.len().to_string()
    }

    fn note(&self) -> String {
        if self.verified {
            "verified".into()
        } else {
            String::new()
        }
    }

    fn json(&self) -> Value {
        json!({ "applied": self.names.len(), "migrations": self.names, "verified": self.verified })
    }
}

/// Everything each target's `up` shares.
struct UpJob {
    settings: Settings,
    args: UpArgs,
    through: Option<String>,
    /// Names of the canary targets: they are verified after migrating.
    canary: HashSet<String>,
}

async fn up(
    targets: Vec<Target>,
    args: &FleetArgs,
    settings: Settings,
    up: UpArgs,
    through: Option<String>,
) -> anyhow::Result<()> {
    if up.dry_run {
        bail!(
            "--dry-run prints one database's SQL: run it on one target (DATABASE_URL); \
             `status --targets` shows what each target would apply"
        );
    }
    let canary = targets
        .iter()
        .take(args.canary)
        .map(|t| t.name.clone())
        .collect();
    let shared = Arc::new(UpJob {
        settings,
        args: up,
        through,
        canary,
    });
    let job: Job<Applied> = Arc::new(move |target| {
        let shared = shared.clone();
        Box::pin(async move { shared.run(&target).await })
    });
    let reports = rollout(targets, &args.plan(), job).await;
    print(args, "up", &reports, summary::table);
    summary::verdict(&reports)
}

impl UpJob {
    /// One target's deploy, as `migration up` would run it on that database alone.
    async fn run(&self, target: &Target) -> anyhow::Result<Applied> {
        let db = dbconn::connect_waiting(&target.url, self.settings.wait).await?;
        let result = self.deploy(&db, target).await;
        db.close().await.ok();
        result
    }

    async fn deploy(&self, db: &DatabaseConnection, target: &Target) -> anyhow::Result<Applied> {
        dbconn::require_pgvector(db, &target.url).await?;
        let deployer = crate::deployer(self.settings.clone())
            .await?
            .with_url(&target.url);
        let up = Up {
            through: self.through.clone(),
            steps: self.args.num,
            dry_run: false,
            // A directory per target: dumps of same-named databases on different servers
            // would otherwise take the same file name.
            backup: crate::operate::backup_of(&self.args).map(|backup| Backup {
                dir: backup.dir.join(target.file_name()),
                ..backup
            }),
        };
        let names = deployer.up(db, &up).await?;
        // Verify checks a fully migrated database: a partial `up` is not verified.
        let complete = self.through.is_none() && self.args.num.is_none();
        let verified = complete && self.canary.contains(&target.name);
        if verified {
            let failures = dbcheck::verify::check(db).await.context("verify")?;
            if let Some(first) = failures.first() {
                bail!(
                    "migrated, but {} verify check(s) failed, first {first}",
                    failures.len()
                );
            }
        }
        Ok(Applied { names, verified })
    }
}

async fn status(targets: Vec<Target>, args: &FleetArgs, settings: Settings) -> anyhow::Result<()> {
    let wait = settings.wait;
    // Reading the status takes no lock and changes nothing: one deployer serves every target.
    let deployer = Arc::new(crate::deployer(settings).await?);
    let job: Job<Status> = Arc::new(move |target| {
        let deployer = deployer.clone();
        Box::pin(async move {
            let db = dbconn::connect_waiting(&target.url, wait)
                .await
                .context("unreachable")?;
            let status = deployer.status(&db).await;
            db.close().await.ok();
            status
        })
    });
    let reports = rollout(targets, &args.read_only_plan(), job).await;
    print(args, "status", &reports, matrix::matrix);
    let problems = matrix::problems(&reports);
    if !problems.is_empty() {
        bail!(
            "{} target(s) need attention: {} (see their state above)",
            problems.len(),
            problems.join(", ")
        );
    }
    Ok(())
}

/// What `verify` found on one target that passed.
struct Verified {
    deep: Option<u64>,
}

impl Row for Verified {
    fn applied(&self) -> String {
        "-".into()
    }

    fn note(&self) -> String {
        match self.deep {
            Some(rows) => format!("verified, {rows} counter rows recounted"),
            None => "verified".into(),
        }
    }

    fn json(&self) -> Value {
        json!({ "verified": true, "recounted_rows": self.deep })
    }
}

async fn verify(
    targets: Vec<Target>,
    args: &FleetArgs,
    settings: Settings,
    verify_args: VerifyArgs,
) -> anyhow::Result<()> {
    let wait = settings.wait;
    let job: Job<Verified> = Arc::new(move |target| {
        let verify_args = verify_args.clone();
        Box::pin(async move {
            let db = dbconn::connect_waiting(&target.url, wait).await?;
            let result = verify_one(&db, &target, &verify_args).await;
            db.close().await.ok();
            result
        })
    });
    let reports = rollout(targets, &args.read_only_plan(), job).await;
    print(args, "verify", &reports, summary::table);
    summary::verdict(&reports)
}

/// `verify [--deep]` on one target; each failure is printed on stdout after the target's name.
async fn verify_one(
    db: &DatabaseConnection,
    target: &Target,
    args: &VerifyArgs,
) -> anyhow::Result<Verified> {
    let mut failures: Vec<String> = dbcheck::verify::check(db)
        .await
        .context("verify")?
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut deep = None;
    if args.deep {
        let recount = dbcheck::counters::check(db, args.batch_size)
            .await
            .context("recount the counters")?;
        failures.extend(recount.mismatches.iter().map(|m| format!("counters: {m}")));
        deep = Some(recount.rows);
    }
    for failure in &failures {
        println!("{}: {failure}", target.name);
    }
    match failures.first() {
        None => Ok(Verified { deep }),
        Some(first) => bail!("{} check(s) failed, first {first}", failures.len()),
    }
}

/// Prints the summary: `render` of the reports, or JSON with `--json`.
fn print<T: Row>(
    args: &FleetArgs,
    command: &str,
    reports: &[Report<T>],
    render: fn(&[Report<T>]) -> String,
) {
    if args.json {
        let doc = summary::json(command, reports);
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_else(|_| doc.to_string())
        );
    } else {
        println!("{}", render(reports));
    }
}
