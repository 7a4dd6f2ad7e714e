//! Seed: the load profile through the `seed` binary (rows/s and peak memory), against a
//! server-side `COPY ... FROM 'file'` of the very same rows into an identical, empty schema.

use std::time::{Duration, Instant};

use anyhow::Context;
use sea_orm::sqlx;

use super::{Bench, Figure, secs};

pub async fn run(bench: &Bench, url: &str) -> anyhow::Result<Vec<Figure>> {
    bench.migrate(url)?;
    let (elapsed, peak_kb) = seed_child(bench, url).await?;
    let loaded = export(bench, url).await?;
    let floor = copy_floor(bench, &loaded.files).await?;
    Ok(figures(&loaded, elapsed, peak_kb, floor))
}

/// What the seeder loaded: its rows, written out table by table for the floor.
struct Loaded {
    rows: u64,
    messages: i64,
    usage_logs: i64,
    /// One file per table of `seed::load::TABLES`, in its order, as the server sees it.
    files: Vec<String>,
}

/// Counts the loaded rows and has the server write each table to a file.
async fn export(bench: &Bench, url: &str) -> anyhow::Result<Loaded> {
    let db = dbconn::connect(url).await?;
    let pool = db.get_postgres_connection_pool();
    let mut rows = 0u64;
    let mut files = Vec::new();
    for (table, _) in seed::load::TABLES {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(pool)
                .await
                .with_context(|| format!("count {table}"))?;
        rows += n as u64;
        // Written by the server, into the throwaway cluster's directory it owns.
        let file = bench.server.dir().join(format!("{table}.copy"));
        let path = file.to_string_lossy().replace('\'', "''");
        sqlx::query(sqlx::AssertSqlSafe(format!("COPY {table} TO '{path}'")))
            .execute(pool)
            .await
            .with_context(|| format!("export {table}"))?;
        files.push(path);
    }
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM public.messages")
        .fetch_one(pool)
        .await?;
    let usage_logs: i64 = sqlx::query_scalar("SELECT count(*) FROM public.usage_logs")
        .fetch_one(pool)
        .await?;
    db.close().await.ok();
    Ok(Loaded {
        rows,
        messages,
        usage_logs,
        files,
    })
}

/// The floor: the time of a server-side `COPY FROM` of every exported file into a fresh,
/// migrated database. The files and that database are removed afterwards.
async fn copy_floor(bench: &Bench, files: &[String]) -> anyhow::Result<Duration> {
    let floor_url = bench.fresh_database("bench_load_floor").await?;
    bench.migrate(&floor_url)?;
    let floor_db = dbconn::connect(&floor_url).await?;
    let floor_pool = floor_db.get_postgres_connection_pool();
    let started = Instant::now();
    for ((table, without_triggers), path) in seed::load::TABLES.iter().zip(files) {
        copy_from_file(floor_pool, table, *without_triggers, path).await?;
    }
    let floor = started.elapsed();
    floor_db.close().await.ok();
    for path in files {
        std::fs::remove_file(path).ok();
    }
    bench.fresh_database("bench_load_floor").await?;
    Ok(floor)
}

/// The same work as the seeder does for one table: one transaction, user triggers off where
/// the seeder switches them off, vector indexes built after the rows as the seeder builds them.
async fn copy_from_file(
    pool: &sqlx::PgPool,
    table: &str,
    without_triggers: bool,
    path: &str,
) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    if without_triggers {
        seed::load::set_user_triggers(&mut tx, table, false).await?;
    }
    let bulk = seed::load::drop_bulk_indexes(&mut tx, table).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("COPY {table} FROM '{path}'")))
        .execute(&mut *tx)
        .await
        .with_context(|| format!("COPY {table} from its file"))?;
    seed::load::build_bulk_indexes(&mut tx, &bulk).await?;
    if without_triggers {
        seed::load::set_user_triggers(&mut tx, table, true).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The seeder's rate against the floor's, and its peak memory.
fn figures(loaded: &Loaded, elapsed: Duration, peak_kb: u64, floor: Duration) -> Vec<Figure> {
    let Loaded {
        rows,
        messages,
        usage_logs,
        ..
    } = loaded;
    let rate = *rows as f64 / elapsed.as_secs_f64();
    let floor_rate = *rows as f64 / floor.as_secs_f64();
    let ratio = rate / floor_rate;
    let peak_mb = peak_kb as f64 / 1024.0;
    vec![
        Figure::new(
            format!(
                "seed: load profile, {rows} rows ({messages} messages, {usage_logs} usage logs)"
            ),
            format!("{:.0} rows/s ({})", rate, secs(elapsed)),
        )
        .floor(format!(
            "{:.0} rows/s ({}, server-side COPY FROM file, one table at a time)",
            floor_rate,
            secs(floor)
        ))
        .ratio(format!("{ratio:.2}x"))
        .target(">= 0.6x", ratio >= 0.6),
        Figure::new(
            "seed: peak memory of the seeder (VmHWM)",
            format!("{peak_mb:.0} MB"),
        )
        .target("< 200 MB", peak_mb < 200.0),
    ]
}

/// Runs `seed --profile load` and returns its wall time and peak resident memory in kB, read
/// from `/proc/<pid>/status` while it runs (the high-water mark only grows).
/// A tokio process, not xshell's: its pid is read while it runs.
async fn seed_child(bench: &Bench, url: &str) -> anyhow::Result<(Duration, u64)> {
    let started = Instant::now();
    let scale = bench.scale.to_string();
    let mut child = tokio::process::Command::new(bench.binary("seed"))
        .args(["--profile", "load", "--scale", &scale])
        .env("DATABASE_URL", url)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("start the seed binary")?;
    let status_file = format!("/proc/{}/status", child.id().context("the seed's pid")?);
    let mut peak = 0u64;
    loop {
        if let Some(kb) = std::fs::read_to_string(&status_file)
            .ok()
            .as_deref()
            .and_then(vm_hwm)
        {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().context("wait for the seed binary")? {
            anyhow::ensure!(status.success(), "the seed binary failed ({status})");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok((started.elapsed(), peak))
}

fn vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_memory_is_read_from_proc_status() {
        let status = "Name:\tseed\nVmPeak:\t  300000 kB\nVmHWM:\t   51234 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(vm_hwm(status), Some(51_234));
        assert_eq!(
            vm_hwm(&std::fs::read_to_string("/proc/self/status").unwrap()).map(|kb| kb > 0),
            Some(true)
        );
    }
}
