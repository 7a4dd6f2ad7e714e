//! Fleet: forty empty databases brought up by `migration up --targets`, eight at a time,
//! against the same rollout one at a time. The smoke test times the same thing, but beside
//! the other tests; here the server has nothing else to do.

use std::time::{Duration, Instant};

use anyhow::Context;
use xshell::cmd;

use super::{Bench, Figure, secs};

/// Databases in the fleet.
const SIZE: usize = 40;

pub async fn run(bench: &Bench) -> anyhow::Result<Vec<Figure>> {
    let parallel = rollout(bench, "bench_fleet_parallel", 8).await?;
    let sequential = rollout(bench, "bench_fleet_sequential", 1).await?;
    let speedup = sequential.as_secs_f64() / parallel.as_secs_f64().max(1e-3);
    Ok(vec![
        Figure::new(
            format!("fleet: {SIZE} empty databases, `migration up --targets`, 8 at a time"),
            secs(parallel),
        )
        .floor(format!("{} (the same, one at a time)", secs(sequential)))
        .ratio(format!("{speedup:.2}x faster")),
    ])
}

/// Creates the fleet's databases, times one rollout `parallel` at a time, then drops them
/// (eighty migrated databases would only fill the disk).
async fn rollout(bench: &Bench, prefix: &str, parallel: usize) -> anyhow::Result<Duration> {
    let mut names = Vec::with_capacity(SIZE);
    let mut targets = String::new();
    for i in 0..SIZE {
        let name = format!("{prefix}_{i:02}");
        let url = bench.fresh_database(&name).await?;
        targets.push_str(&format!("t{i:02}={url}\n"));
        names.push(name);
    }
    let file = bench.work.join(format!("{prefix}.targets"));
    std::fs::write(&file, targets).with_context(|| format!("write {}", file.display()))?;
    let sh = xshell::Shell::new()?;
    let migration = bench.binary("migration");
    let parallel = parallel.to_string();
    let started = Instant::now();
    cmd!(sh, "{migration} up --targets {file} --parallel {parallel}")
        .env_remove("DATABASE_URL")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run()
        .context("run the fleet rollout")?;
    let took = started.elapsed();
    std::fs::remove_file(&file).ok();
    for name in names {
        devdb::databases::drop_if_exists(bench.server.admin_url(), &name).await?;
    }
    Ok(took)
}
