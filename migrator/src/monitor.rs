//! `monitor`: what an operator watches after a deploy, dbcheck's read-only report as tables or
//! JSON, and the exit codes of its alerts.

use anyhow::Context;
use clap::Args;
use dbcheck::monitor::{self, Level};
use sea_orm::DatabaseConnection;

#[derive(Args, Clone, Debug)]
pub struct MonitorArgs {
    /// Print JSON, for alerting, instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Exit 2 (the worst finding is warn) or 3 (crit) when a finding is at LEVEL or worse.
    #[arg(long, value_name = "warn|crit")]
    pub fail_on: Option<Level>,
    /// How many rows the size and slow-query lists show.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
    /// Override a threshold, e.g. `transaction_age=2m,10m` or `connections=60,80`
    /// (repeatable; the names and defaults are in docs/operating.md).
    #[arg(long = "threshold", value_name = "NAME=WARN,CRIT")]
    pub thresholds: Vec<String>,
}

/// `monitor`: the report on stdout as tables or JSON, and with `--fail-on` an [`monitor::Alert`]
/// error when a finding is at that level or worse ([`exit_code`] maps it).
pub async fn run(db: &DatabaseConnection, origin: &str, args: &MonitorArgs) -> anyhow::Result<()> {
    crate::known::require(db, origin).await?;
    let mut options = monitor::Options {
        top: args.top,
        ..monitor::Options::default()
    };
    for spec in &args.thresholds {
        options.thresholds.set(spec)?;
    }
    let report = monitor::collect(db, &options)
        .await
        .with_context(|| format!("monitor {origin}"))?;
    if args.json {
        println!("{}", monitor::render::json_text(&report, args.top));
    } else {
        print!("{}", monitor::render::text(&report, args.top));
    }
    match args.fail_on.and_then(|level| report.alert(level)) {
        Some(alert) => Err(alert.into()),
        None => Ok(()),
    }
}

/// The process's exit code for an error: a monitor's alert says its own (2 or 3), anything
/// else is 1.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    err.downcast_ref::<monitor::Alert>()
        .map_or(1, monitor::Alert::exit_code)
}
