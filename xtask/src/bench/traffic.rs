//! Migration under traffic: a writer inserts messages at a steady rate while an index is added
//! to `messages`, once with the online helper (`deployer::online`) and once the naive way
//! (plain `CREATE INDEX` in a transaction); the figure is the writer's worst latency. Both
//! copies are dropped afterwards.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use deployer::online::{OnlineIndex, create_index_concurrently};
use sea_orm::sqlx;

use super::{Figure, ms, secs};

/// One round of writes every this often.
pub(super) const PERIOD: Duration = Duration::from_millis(10);

/// The writer of the index figure: one message into the longest conversation (`$1`).
pub(super) const INSERT_MESSAGE: &str = r#"INSERT INTO messages ("conversationId", role, content, "tokensInput")
    VALUES ($1, 'user', 'written during a benchmark', 10)"#;
pub const INDEX: &str = "bench_messages_conversation_time_id_idx";

pub async fn run(url: &str) -> anyhow::Result<Vec<Figure>> {
    let db = dbconn::connect(url).await?;
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
        .fetch_one(db.get_postgres_connection_pool())
        .await?;

    let idle = with_writer(url, &[INSERT_MESSAGE], async { Ok(()) })
        .await?
        .worst;
    let helper = OnlineIndex {
        lock_timeout: Duration::from_millis(100),
        ..OnlineIndex::new(
            INDEX,
            "public",
            "messages",
            &["conversationId", "timestamp", "id"],
        )
    };
    let naive = with_writer(url, &[INSERT_MESSAGE], build_naively(&db)).await?;
    drop_index(&db).await?;
    let online = with_writer(url, &[INSERT_MESSAGE], async {
        create_index_concurrently(&db, &helper)
            .await
            .context("online index build")
    })
    .await?;
    drop_index(&db).await?; // phase 6 has the same index: later figures see the deployed schema
    db.close().await.ok();

    let rate = 1.0 / PERIOD.as_secs_f64();
    let title = |how: &str| {
        format!(
            "index on {messages}-row messages {how}, writer at {rate:.0} inserts/s: max write latency"
        )
    };
    Ok(vec![
        Figure::new(
            title("with the online helper (CONCURRENTLY, lock_timeout)"),
            format!("{} (build {})", online.worst_shown(), secs(online.took)),
        )
        .floor(format!("{} (writer alone)", ms(idle)))
        .target("<= 100 ms", online.within(Duration::from_millis(100))),
        Figure::new(
            title("the naive way (CREATE INDEX in a transaction)"),
            format!("{} (build {})", naive.worst_shown(), secs(naive.took)),
        )
        .floor(format!("{} (writer alone)", ms(idle))),
    ])
}

/// The same index the naive way: `CREATE INDEX` in a transaction, which holds a SHARE lock
/// on the table, so every writer waits for the whole build.
async fn build_naively(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    let mut tx = db.get_postgres_connection_pool().begin().await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        r#"CREATE INDEX "{INDEX}" ON public.messages ("conversationId", "timestamp", id)"#
    )))
    .execute(&mut *tx)
    .await
    .context("naive index build")?;
    tx.commit().await?;
    Ok(())
}

async fn drop_index(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        r#"DROP INDEX IF EXISTS public."{INDEX}""#
    )))
    .execute(db.get_postgres_connection_pool())
    .await
    .context("drop the benchmark index")?;
    Ok(())
}

/// What the writer of [`with_writer`] saw while `work` ran.
pub(super) struct Traffic {
    /// The writer's worst round latency.
    pub worst: Duration,
    /// How long `work` took.
    pub took: Duration,
    /// Writer statements the server aborted to break a deadlock with `work` (SQLSTATE
    /// 40P01): an application would see them fail, so a figure must show them.
    pub deadlocks: u32,
}

impl Traffic {
    /// The worst latency as a figure shows it, with the deadlocks when there were any.
    pub fn worst_shown(&self) -> String {
        match self.deadlocks {
            0 => ms(self.worst),
            n => format!("{}, {n} writes aborted by deadlock", ms(self.worst)),
        }
    }

    /// Whether the writer never waited longer than `limit` and never lost a deadlock.
    pub fn within(&self, limit: Duration) -> bool {
        self.worst <= limit && self.deadlocks == 0
    }
}

/// Runs `work` while a writer runs `writes` every [`PERIOD`] on its own connection, from half
/// a second before to half a second after. A statement that mentions `$1` gets the load
/// profile's longest conversation. A writer statement aborted by a deadlock is counted and
/// the writer goes on; any other error fails the figure.
pub(super) async fn with_writer(
    url: &str,
    writes: &[&'static str],
    work: impl Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<Traffic> {
    let writer_db = dbconn::connect(url).await?;
    let pool = writer_db.get_postgres_connection_pool().clone();
    let stop = Arc::new(AtomicBool::new(false));
    let conversation = seed::load::long_conversation_id();
    let writes = writes.to_vec();
    let writer = tokio::spawn({
        let stop = stop.clone();
        async move {
            let mut conn = pool.acquire().await?;
            let (mut worst, mut deadlocks) = (Duration::ZERO, 0);
            let mut tick = tokio::time::interval(PERIOD);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let started = Instant::now();
                for sql in &writes {
                    let query = sqlx::query(*sql);
                    let query = if sql.contains("$1") {
                        query.bind(conversation)
                    } else {
                        query
                    };
                    match query.execute(&mut *conn).await {
                        Ok(_) => {}
                        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("40P01") => {
                            deadlocks += 1;
                        }
                        Err(e) => return Err(e),
                    }
                }
                worst = worst.max(started.elapsed());
            }
            Ok::<_, sqlx::Error>((worst, deadlocks))
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let result = work.await;
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let (worst, deadlocks) = writer
        .await
        .context("writer task")?
        .context("writer statement")?;
    writer_db.close().await.ok();
    result?;
    Ok(Traffic {
        worst,
        took,
        deadlocks,
    })
}
