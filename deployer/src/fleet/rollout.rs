//! Running one job on many targets: a bounded number at a time, a canary first, and no new
//! starts after a failure unless told to keep going.
//!
//! The runner knows nothing of what the job does: each target's job is one future (for `up`,
//! a whole single-database deploy with its own lock, checksums and timeouts), and a job that
//! has started is always let finish, since each target's migrations are all-or-nothing by
//! themselves and cutting one off would only leave a lock to time out.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::{Id, JoinSet};
use tracing::Instrument;

use super::targets::Target;

/// How a rollout proceeds.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Targets worked on at once (at least 1).
    pub parallel: usize,
    /// The first `canary` targets run first; if any fails, no other target starts.
    pub canary: usize,
    /// After the canary, finish every target even when one fails (otherwise a failure stops
    /// new starts; those running finish).
    pub keep_going: bool,
}

/// What happened on one target.
#[derive(Debug)]
pub enum Outcome<T> {
    Done(T),
    /// The job's error, one line.
    Failed(String),
    /// Never started, and why.
    NotStarted(String),
}

/// One target's outcome and how long its job ran.
#[derive(Debug)]
pub struct Report<T> {
    pub target: Target,
    pub outcome: Outcome<T>,
    pub took: Duration,
    /// Whether the target was one of the canary.
    pub canary: bool,
}

impl<T> Report<T> {
    pub fn failed(&self) -> bool {
        !matches!(self.outcome, Outcome::Done(_))
    }
}

/// A job's future.
pub type JobFuture<T> = Pin<Box<dyn Future<Output = anyhow::Result<T>> + Send>>;

/// The job run on each target.
pub type Job<T> = Arc<dyn Fn(Target) -> JobFuture<T> + Send + Sync>;

/// Runs `job` on every target as `plan` says and returns one report per target, in the
/// targets' order.
pub async fn rollout<T: Send + 'static>(
    targets: Vec<Target>,
    plan: &Plan,
    job: Job<T>,
) -> Vec<Report<T>> {
    let mut rest = targets;
    let canary: Vec<Target> = rest.drain(..plan.canary.min(rest.len())).collect();
    let mut reports = Vec::new();
    if !canary.is_empty() {
        // A canary failure always stops the rollout: that is what a canary is for.
        reports = wave(canary, plan.parallel, false, &job).await;
        for report in &mut reports {
            report.canary = true;
        }
        if let Some(failed) = reports.iter().find(|r| r.failed()) {
            let why = format!("not started: canary {} failed", failed.target.name);
            reports.extend(rest.into_iter().map(|t| not_started(t, &why)));
            return reports;
        }
    }
    reports.extend(wave(rest, plan.parallel, plan.keep_going, &job).await);
    reports
}

/// Runs `job` on `targets`, `parallel` at a time, in order; after a failure, starts no more
/// unless `keep_going`.
async fn wave<T: Send + 'static>(
    targets: Vec<Target>,
    parallel: usize,
    keep_going: bool,
    job: &Job<T>,
) -> Vec<Report<T>> {
    let mut slots: Vec<Option<Report<T>>> = targets.iter().map(|_| None).collect();
    let mut queue = targets.into_iter().enumerate();
    let mut running = JoinSet::new();
    // Which target each task runs, for a task that panics and so returns no report.
    let mut tasks: HashMap<Id, (usize, Target)> = HashMap::new();
    let mut stopped_by: Option<String> = None;
    loop {
        while running.len() < parallel.max(1) && stopped_by.is_none() {
            let Some((index, target)) = queue.next() else {
                break;
            };
            let task = running.spawn(run_one(target.clone(), job.clone()));
            tasks.insert(task.id(), (index, target));
        }
        let Some(joined) = running.join_next_with_id().await else {
            break;
        };
        let (id, report) = match joined {
            Ok((id, report)) => (id, report),
            Err(err) => {
                let target = tasks[&err.id()].1.clone();
                let outcome = Outcome::Failed(format!("the job panicked: {err}"));
                (
                    err.id(),
                    Report {
                        target,
                        outcome,
                        took: Duration::ZERO,
                        canary: false,
                    },
                )
            }
        };
        let (index, _) = tasks.remove(&id).expect("a task of this wave");
        if report.failed() && !keep_going && stopped_by.is_none() {
            stopped_by = Some(report.target.name.clone());
        }
        slots[index] = Some(report);
    }
    let why = format!("not started: {} failed", stopped_by.unwrap_or_default());
    for (index, target) in queue {
        slots[index] = Some(not_started(target, &why));
    }
    slots.into_iter().flatten().collect()
}

/// One target's job, in a span that names the target in every line it logs.
async fn run_one<T>(target: Target, job: Job<T>) -> Report<T> {
    let span = tracing::info_span!("fleet", target = %target.name);
    let started = Instant::now();
    let result = job(target.clone()).instrument(span.clone()).await;
    let took = started.elapsed();
    let outcome = span.in_scope(|| match result {
        Ok(value) => {
            tracing::info!("finished in {:.1}s", took.as_secs_f64());
            Outcome::Done(value)
        }
        Err(err) => {
            tracing::warn!("failed after {:.1}s: {err:#}", took.as_secs_f64());
            Outcome::Failed(format!("{err:#}"))
        }
    });
    Report {
        target,
        outcome,
        took,
        canary: false,
    }
}

fn not_started<T>(target: Target, why: &str) -> Report<T> {
    Report {
        target,
        outcome: Outcome::NotStarted(why.to_owned()),
        took: Duration::ZERO,
        canary: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(n: usize) -> Vec<Target> {
        (0..n)
            .map(|i| Target {
                name: format!("t{i}"),
                url: format!("postgres://h/t{i}"),
            })
            .collect()
    }

    /// A job that fails on the named targets and records the order of starts.
    fn job(
        failing: &'static [&'static str],
        started: Arc<std::sync::Mutex<Vec<String>>>,
    ) -> Job<()> {
        Arc::new(move |target: Target| {
            let started = started.clone();
            Box::pin(async move {
                started.lock().unwrap().push(target.name.clone());
                tokio::time::sleep(Duration::from_millis(5)).await;
                if failing.contains(&target.name.as_str()) {
                    anyhow::bail!("{} broke", target.name);
                }
                Ok(())
            })
        })
    }

    fn results(reports: &[Report<()>]) -> Vec<&'static str> {
        reports
            .iter()
            .map(|r| match r.outcome {
                Outcome::Done(()) => "done",
                Outcome::Failed(_) => "failed",
                Outcome::NotStarted(_) => "not started",
            })
            .collect()
    }

    fn plan(parallel: usize, canary: usize, keep_going: bool) -> Plan {
        Plan {
            parallel,
            canary,
            keep_going,
        }
    }

    #[tokio::test]
    async fn a_canary_failure_starts_nothing_else() {
        let started = Arc::default();
        let reports = rollout(
            targets(5),
            &plan(4, 2, true),
            job(&["t1"], Arc::clone(&started)),
        )
        .await;
        assert_eq!(
            results(&reports),
            [
                "done",
                "failed",
                "not started",
                "not started",
                "not started"
            ]
        );
        assert!(reports[0].canary && !reports[2].canary);
        assert_eq!(started.lock().unwrap().len(), 2);
        let Outcome::NotStarted(why) = &reports[4].outcome else {
            unreachable!()
        };
        assert_eq!(why, "not started: canary t1 failed");
    }

    #[tokio::test]
    async fn after_the_canary_a_failure_stops_new_starts_unless_keep_going() {
        let started = Arc::default();
        let reports = rollout(
            targets(5),
            &plan(1, 1, false),
            job(&["t2"], Arc::clone(&started)),
        )
        .await;
        assert_eq!(
            results(&reports),
            ["done", "done", "failed", "not started", "not started"]
        );
        let started = Arc::default();
        let reports = rollout(
            targets(5),
            &plan(2, 1, true),
            job(&["t2"], Arc::clone(&started)),
        )
        .await;
        assert_eq!(
            results(&reports),
            ["done", "done", "failed", "done", "done"]
        );
    }

    #[tokio::test]
    async fn no_more_than_parallel_run_at_once() {
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (r, p) = (running.clone(), peak.clone());
        let job: Job<()> = Arc::new(move |_| {
            let (running, peak) = (r.clone(), p.clone());
            Box::pin(async move {
                use std::sync::atomic::Ordering::SeqCst;
                let now = running.fetch_add(1, SeqCst) + 1;
                peak.fetch_max(now, SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
                running.fetch_sub(1, SeqCst);
                Ok(())
            })
        });
        let reports = rollout(targets(12), &plan(3, 0, false), job).await;
        assert_eq!(reports.len(), 12);
        assert_eq!(peak.load(std::sync::atomic::Ordering::SeqCst), 3);
    }
}
