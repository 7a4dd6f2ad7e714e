//! Phase 6 on the loaded database: it and every later phase rolled back, then phase 6
//! applied again by the `migration` binary while a writer inserts a message and touches a
//! conversation every period, then the later phases; each figure is the writer's worst wait
//! and the writes a deadlock aborted.

use std::time::Duration;

use anyhow::Context;
use sea_orm::sqlx;
use xshell::cmd;

use super::traffic::{INSERT_MESSAGE, PERIOD, with_writer};
use super::{Bench, Figure, ms, secs};

/// The conversation list's sort key changes with every message, as the application writes it.
const TOUCH_CONVERSATION: &str = r#"UPDATE conversations SET "updatedAt" = now() WHERE id = $1"#;

pub async fn run(bench: &Bench, url: &str) -> anyhow::Result<Vec<Figure>> {
    let position = migration::PHASES
        .iter()
        .position(|p| p.name == "hot_paths")
        .context("phase hot_paths")?;
    let count = |phases: &[migration::Phase]| -> usize {
        phases.iter().map(|p| (p.migrations)().len()).sum()
    };
    // Phase 6 and every later phase are rolled back, so that `up -n <phase 6's count>`
    // applies phase 6 alone; the later phases then follow, measured on their own.
    let own = count(&migration::PHASES[position..=position]);
    let later = count(&migration::PHASES[position + 1..]);
    let db = dbconn::connect(url).await?;
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
        .fetch_one(db.get_postgres_connection_pool())
        .await?;
    db.close().await.ok();
    let writes = [INSERT_MESSAGE, TOUCH_CONVERSATION];
    let idle = with_writer(url, &writes, async { Ok(()) }).await?.worst;
    migration_binary(bench, url, &["down", "-n", &(own + later).to_string()])
        .await
        .context("roll phase 6 and later back")?;
    let phase6 = with_writer(
        url,
        &writes,
        migration_binary(bench, url, &["up", "-n", &own.to_string()]),
    )
    .await?;
    let after = with_writer(url, &writes, migration_binary(bench, url, &["up"])).await?;
    let rate = 1.0 / PERIOD.as_secs_f64();
    let writer = format!("writer at {rate:.0} rounds/s: max write latency");
    let mut figures = vec![
        Figure::new(
            format!(
                "phase 6 ({own} migrations: 5 online indexes, 2 dropped, the search column \
                 and its backfill) on {messages}-row messages, {writer}"
            ),
            format!(
                "{} (applied in {})",
                phase6.worst_shown(),
                secs(phase6.took)
            ),
        )
        .floor(format!("{} (writer alone)", ms(idle)))
        .target(
            "< 100 ms",
            phase6.worst < Duration::from_millis(100) && phase6.deadlocks == 0,
        ),
    ];
    if later > 0 {
        figures.push(
            Figure::new(
                format!("the phases after 6 ({later} migrations) on the same database, {writer}"),
                format!("{} (applied in {})", after.worst_shown(), secs(after.took)),
            )
            .floor(format!("{} (writer alone)", ms(idle))),
        );
    }
    Ok(figures)
}

/// Runs the `migration` binary with `args` against `url`, off the async runtime.
async fn migration_binary(bench: &Bench, url: &str, args: &[&str]) -> anyhow::Result<()> {
    let binary = bench.binary("migration");
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let sh = crate::shell::workspace_shell()?;
        let shown = args.join(" ");
        cmd!(sh, "{binary} {args...}")
            .env("DATABASE_URL", &url)
            .quiet()
            .ignore_stdout()
            .run()
            .with_context(|| format!("migration {shown}"))
    })
    .await
    .context("migration binary task")?
}
