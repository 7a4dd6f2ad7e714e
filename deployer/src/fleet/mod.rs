//! Fleet rollouts: `up`, `status` and `verify` on many databases (a database per tenant or
//! region, shards), listed in a targets file.
//!
//! Each target gets a whole single-database run of its own: its own connection, its own
//! [`crate::Deployer`] (lock, checksums, timeouts, backup), so every guarantee of one
//! database holds for each. On top, [`rollout`] bounds how many run at once, runs a canary
//! first (migrated and verified; any failure there starts nothing else), and after a failure
//! starts no new target unless `--keep-going`. Each target's own ledger records what it has,
//! so running the same command again after an interruption finishes what is left.

pub mod matrix;
pub mod rollout;
pub mod summary;
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
use crate::backup::Backup;
use crate::deploy::{Deployer, Up};
use crate::status::Status;

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
    /// The targets of `--targets`, after saying how many and how they will be run.
    pub fn load(&self, command: &str) -> anyhow::Result<Vec<Target>> {
        let source = self
            .targets
            .as_deref()
            .context("a fleet run needs --targets FILE")?;
        let targets = targets::load(source)?;
        // Only `up` has a canary: the read-only commands look at every target anyway.
        let canary = match (command, self.canary) {
            ("up", k) if k > 0 => format!(", canary {}", k.min(targets.len())),
            _ => String::new(),
        };
        eprintln!(
            "fleet: {} target(s), {} at a time{canary}",
            targets.len(),
            self.parallel
        );
        Ok(targets)
    }

    /// The plan of `up`: the canary first, and no new start after a failure unless
    /// `--keep-going`.
    pub fn plan(&self) -> Plan {
        Plan {
            parallel: usize::from(self.parallel),
            canary: self.canary,
            keep_going: self.keep_going,
        }
    }

    /// The plan of a read-only command: every target, whatever another's result.
    pub fn read_only_plan(&self) -> Plan {
        Plan {
            parallel: usize::from(self.parallel),
            canary: 0,
            keep_going: true,
        }
    }
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
    deployer: Deployer,
    /// What each target's `up` applies; its backup directory gets a directory per target.
    up: Up,
    /// Names of the canary targets: they are verified after migrating.
    canary: HashSet<String>,
}

/// `up --targets`: every target migrated by a whole deploy of its own, the canary first and
/// verified by the project's check; a summary; an error naming the targets that failed.
pub async fn up(args: &FleetArgs, deployer: Deployer, up: Up) -> anyhow::Result<()> {
    if up.dry_run {
        bail!(
            "--dry-run prints one database's SQL: run it on one target (DATABASE_URL); \
             `status --targets` shows what each target would apply"
        );
    }
    let targets = args.load("up")?;
    let count = targets.len();
    let canary = targets
        .iter()
        .take(args.canary)
        .map(|t| t.name.clone())
        .collect();
    let shared = Arc::new(UpJob {
        deployer,
        up,
        canary,
    });
    let job: Job<Applied> = Arc::new(move |target| {
        let shared = shared.clone();
        Box::pin(async move { shared.run(&target).await })
    });
    let reports = rollout(targets, &args.plan(), job).await;
    print(args, "up", &reports, summary::table);
    summary::verdict(&reports)?;
    eprintln!("fleet: up succeeded on all {count} target(s)");
    Ok(())
}

impl UpJob {
    /// One target's deploy, as `up` would run it on that database alone.
    async fn run(&self, target: &Target) -> anyhow::Result<Applied> {
        let db = dbconn::connect_waiting(&target.url, self.deployer.settings().wait).await?;
        let result = self.deploy(&db, target).await;
        db.close().await.ok();
        result
    }

    async fn deploy(&self, db: &DatabaseConnection, target: &Target) -> anyhow::Result<Applied> {
        let project = *self.deployer.project();
        if let Some(check) = project.before_up {
            check(db, &target.url).await?;
        }
        let deployer = self.deployer.clone().with_url(&target.url);
        let up = Up {
            // A directory per target: dumps of same-named databases on different servers
            // would otherwise take the same file name.
            backup: self.up.backup.clone().map(|backup| Backup {
                dir: backup.dir.join(target.file_name()),
                ..backup
            }),
            ..self.up.clone()
        };
        let names = deployer.up(db, &up).await?;
        // Verification checks a fully migrated database: a partial `up` is not verified.
        let complete = up.through.is_none() && up.steps.is_none();
        let verified = complete && self.canary.contains(&target.name);
        if let Some(verify) = project.verify.filter(|_| verified) {
            verify(db, &target.url).await?;
        }
        Ok(Applied {
            names,
            verified: verified && project.verify.is_some(),
        })
    }
}

/// `status --targets`: every target's status as one matrix; an error naming the targets that
/// are behind, edited or unreachable.
pub async fn status(args: &FleetArgs, deployer: Deployer) -> anyhow::Result<()> {
    let targets = args.load("status")?;
    let count = targets.len();
    let wait = deployer.settings().wait;
    let group_of = deployer.project().group_of;
    // Reading the status takes no lock and changes nothing: one deployer serves every target.
    let deployer = Arc::new(deployer);
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
    print(args, "status", &reports, |reports| {
        matrix::matrix(reports, group_of)
    });
    let problems = matrix::problems(&reports);
    if !problems.is_empty() {
        bail!(
            "{} target(s) need attention: {} (see their state above)",
            problems.len(),
            problems.join(", ")
        );
    }
    eprintln!("fleet: status succeeded on all {count} target(s)");
    Ok(())
}

/// Prints the summary: `render` of the reports, or JSON with `--json`.
pub fn print<T: Row>(
    args: &FleetArgs,
    command: &str,
    reports: &[Report<T>],
    render: impl Fn(&[Report<T>]) -> String,
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
