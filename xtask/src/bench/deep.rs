//! `verify --deep` under traffic: the full recount of every derived counter runs on the load
//! database while a writer changes the rows it recounts (a message into the longest
//! conversation, a file's size); the figure is the writer's worst latency, since a recount
//! that made writers wait would be unsafe to run on production. Before it, verify's checks
//! (the critical queries' plans as the planner makes them on this data, the structure) run
//! on the same loaded database.

use anyhow::Context;
use dbcheck::counters;

use super::traffic::{PERIOD, with_writer};
use super::{Figure, ms, secs};

/// Each round of the writer: both statements fire the counter triggers, so each locks a row
/// the recount reads (a conversation, a storage quota).
const WRITES: &[&str] = &[
    r#"INSERT INTO messages ("conversationId", role, content, "tokensInput")
       VALUES ($1, 'user', 'written during verify --deep', 10)"#,
    r#"UPDATE storage_files SET size = size + 1
        WHERE id = (SELECT id FROM storage_files WHERE "deletedAt" IS NULL ORDER BY id LIMIT 1)"#,
];

pub async fn run(url: &str) -> anyhow::Result<Vec<Figure>> {
    let db = dbconn::connect(url).await?;
    let verified = verify(&db).await?;
    let idle = with_writer(url, WRITES, async { Ok(()) }).await?.worst;
    let mut recount = None;
    let traffic = with_writer(url, WRITES, async {
        recount = Some(counters::check(&db, counters::BATCH).await?);
        Ok(())
    })
    .await
    .context("recount under a writer")?;
    db.close().await.ok();
    let recount = recount.context("the recount did not run")?;
    // Concurrent writes never show up as mismatches (each batch reads one snapshot): one here
    // means a counter is wrong, which the figure must not hide.
    anyhow::ensure!(
        recount.mismatches.is_empty(),
        "verify --deep found {} mismatches on the load database, first: {}",
        recount.mismatches.len(),
        recount.mismatches[0]
    );
    let rate = 1.0 / PERIOD.as_secs_f64();
    Ok(vec![
        verified,
        Figure::new(
            format!(
                "verify --deep: {} counter rows in {} batches, writer at {rate:.0} rounds/s \
                 (a message, a file size): max write latency",
                recount.rows, recount.batches
            ),
            format!("{} (recount {})", traffic.worst_shown(), secs(traffic.took)),
        )
        .floor(format!("{} (writer alone)", ms(idle)))
        .target(
            "<= 100 ms",
            traffic.within(std::time::Duration::from_millis(100)),
        ),
    ])
}

/// verify's checks on the loaded database: the critical queries' real plans on its data.
async fn verify(db: &sea_orm::DatabaseConnection) -> anyhow::Result<Figure> {
    let failures = dbcheck::verify::check(db)
        .await
        .context("verify on the load database")?;
    let value = match failures.first() {
        None => "passed".to_owned(),
        Some(first) => format!("{} failure(s), first: {first}", failures.len()),
    };
    Ok(Figure::new(
        "verify on the loaded database (structure, the critical queries' real plans)",
        value,
    )
    .target("passes", failures.is_empty()))
}
