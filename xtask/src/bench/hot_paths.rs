//! Phase 6 on the loaded database: its migrations rolled back, then applied again by the
//! `migration` binary while a writer inserts a message and touches a conversation every
//! period; the figure is the writer's worst wait.

use std::time::Duration;

use anyhow::Context;
use sea_orm::sqlx;

use super::traffic::{INSERT_MESSAGE, PERIOD, with_writer};
use super::{Bench, Figure, ms, secs};

/// The conversation list's sort key changes with every message, as the application writes it.
const TOUCH_CONVERSATION: &str = r#"UPDATE conversations SET "updatedAt" = now() WHERE id = $1"#;

pub async fn run(bench: &Bench, url: &str) -> anyhow::Result<Vec<Figure>> {
    let phase = migration::PHASES
        .iter()
        .find(|p| p.name == "hot_paths")
        .context("phase hot_paths")?;
    let count = (phase.migrations)().len();
    let db = dbconn::connect(url).await?;
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
        .fetch_one(db.get_postgres_connection_pool())
        .await?;
    db.close().await.ok();
    let writes = [INSERT_MESSAGE, TOUCH_CONVERSATION];
    let (idle, _) = with_writer(url, &writes, async { Ok(()) }).await?;
    migration_binary(bench, url, &["down", "-n", &count.to_string()])
        .await
        .context("roll phase 6 back")?;
    let (worst, took) = with_writer(url, &writes, migration_binary(bench, url, &["up"])).await?;
    let rate = 1.0 / PERIOD.as_secs_f64();
    Ok(vec![
        Figure::new(
            format!(
                "phase 6 ({count} migrations: 5 online indexes, 2 dropped, the search column \
                 and its backfill) on {messages}-row messages, writer at {rate:.0} rounds/s: \
                 max write latency"
            ),
            format!("{} (applied in {})", ms(worst), secs(took)),
        )
        .floor(format!("{} (writer alone)", ms(idle)))
        .target("< 100 ms", worst < Duration::from_millis(100)),
    ])
}

/// Runs the `migration` binary with `args` against `url`, off the async runtime.
async fn migration_binary(bench: &Bench, url: &str, args: &[&str]) -> anyhow::Result<()> {
    let binary = bench.binary("migration");
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        duct::cmd(&binary, &args)
            .env("DATABASE_URL", &url)
            .stdout_null()
            .run()
            .map(|_| ())
            .with_context(|| format!("migration {}", args.join(" ")))
    })
    .await
    .context("migration binary task")?
}
