//! `verify --targets`: the project's post-deploy check on every database of a fleet, through
//! the deployer's rollout, and the same check on the canary of `up --targets`.

use std::sync::Arc;

use anyhow::{Context, bail};
use deployer::fleet::rollout::{Job, rollout};
use deployer::fleet::summary::{self, Row};
use deployer::fleet::targets::Target;
use deployer::fleet::{FleetArgs, print};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

use crate::repair::VerifyArgs;

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

/// `verify [--deep] --targets`: every target checked whatever another's result; a summary; an
/// error naming the targets that failed.
pub async fn verify(
    args: &FleetArgs,
    wait: std::time::Duration,
    verify_args: VerifyArgs,
) -> anyhow::Result<()> {
    let targets = args.load("verify")?;
    let count = targets.len();
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
    summary::verdict(&reports)?;
    eprintln!("fleet: verify succeeded on all {count} target(s)");
    Ok(())
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

/// The canary's check after `up --targets`: verify's structure and plan checks, failing on the
/// first.
pub async fn verify_canary(db: &DatabaseConnection) -> anyhow::Result<()> {
    let failures = dbcheck::verify::check(db).await.context("verify")?;
    if let Some(first) = failures.first() {
        bail!(
            "migrated, but {} verify check(s) failed, first {first}",
            failures.len()
        );
    }
    Ok(())
}
