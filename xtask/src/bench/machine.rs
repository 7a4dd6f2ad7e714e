//! The machine a benchmark ran on: cores, memory, CPU, PostgreSQL, date and commit.

use anyhow::Context;
use sea_orm::{ConnectionTrait, Statement};
use xshell::cmd;

use super::Bench;

pub async fn describe(bench: &Bench) -> anyhow::Result<String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kb: u64 = field(&meminfo, "MemTotal")
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = field(&cpuinfo, "model name")
        .unwrap_or("unknown")
        .to_string();
    let admin = dbconn::connect(bench.server.admin_url()).await?;
    let version: String = admin
        .query_one_raw(Statement::from_string(
            admin.get_database_backend(),
            "SELECT current_setting('server_version') AS v",
        ))
        .await
        .context("read the server version")?
        .context("one row")?
        .try_get("", "v")?;
    let sh = crate::shell::workspace_shell()?;
    let commit = cmd!(sh, "git rev-parse --short HEAD")
        .quiet()
        .read()
        .unwrap_or_else(|_| "unknown".into());
    let dirty = cmd!(sh, "git status --porcelain")
        .quiet()
        .read()
        .map(|s| !s.trim().is_empty())
        .unwrap_or(false);
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    Ok(format!(
        "Machine: {cores} cores ({cpu}), {:.1} GiB memory; PostgreSQL {version} (embedded); \
         {build} build; {} UTC; commit {commit}{}.\n",
        mem_kb as f64 / 1024.0 / 1024.0,
        chrono::Utc::now().format("%Y-%m-%d %H:%M"),
        if dirty { " with local changes" } else { "" },
    ))
}

fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim())
}
