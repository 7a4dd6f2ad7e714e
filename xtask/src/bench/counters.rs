//! Counters under unrelated writers: sixteen connections, each running transactions that move
//! one message to another conversation and one file to another user, the two statements in
//! random order. Each writer moves rows of its own, so only the parents are shared: any
//! deadlock is the counters' doing. The figure is the deadlocks per run and whether every
//! counter still equals its recount, for the deployed schema and for the schema just before
//! counters were folded at commit (m20261206_000691), so the report shows what the change
//! bought.

use std::time::{Duration, Instant};

use anyhow::Context;
use migration::MigratorTrait;
use sea_orm::sqlx::{self, Connection, PgConnection};

use super::{Bench, Figure};

const WRITERS: usize = 16;
/// Few parents, so that the writers keep meeting on them.
const USERS: u64 = 4;
/// The messages and the files each writer moves, its own.
const ROWS_EACH: u64 = 20;
/// The migration that moved the counters' locks to commit.
const FOLD_AT_COMMIT: &str = "m20261206_000691_fold_counters_at_commit";

/// What the writers did in one run.
#[derive(Default)]
struct Tally {
    commits: u64,
    deadlocks: u64,
    errors: Vec<String>,
}

pub async fn run(bench: &Bench) -> anyhow::Result<Vec<Figure>> {
    let duration = Duration::from_secs(if bench.quick { 2 } else { 20 });
    let deployed = bench.fresh_database("bench_counters").await?;
    bench.migrate(&deployed)?;
    let now = measure(&deployed, duration)
        .await
        .context("deployed schema")?;

    let before = bench.fresh_database("bench_counters_before").await?;
    let applied = migration::Migrator::migrations()
        .iter()
        .position(|m| m.name() == FOLD_AT_COMMIT)
        .context("the fold migration is listed")?;
    migrate_first(bench, &before, applied)?;
    let then = measure(&before, duration)
        .await
        .context("schema before the fold")?;

    let title = |schema: &str| {
        format!(
            "{WRITERS} writers x {}s, each transaction moving a message and a file in random \
             order ({schema})",
            duration.as_secs()
        )
    };
    Ok(vec![
        Figure::new(title("deployed schema"), now.0).target("0 deadlocks, counters exact", now.1),
        Figure::new(title("before m20261206_000691"), then.0),
    ])
}

/// Applies the first `n` migrations with the binary.
fn migrate_first(bench: &Bench, url: &str, n: usize) -> anyhow::Result<()> {
    let sh = xshell::Shell::new()?;
    let migration = bench.binary("migration");
    let n = n.to_string();
    xshell::cmd!(sh, "{migration} up -n {n}")
        .env("DATABASE_URL", url)
        .quiet()
        .ignore_stdout()
        .run()
        .context("run the migration binary")
}

/// Runs the writers on `url` for `duration`; the figure's value and whether it met the target.
async fn measure(url: &str, duration: Duration) -> anyhow::Result<(String, bool)> {
    let db = dbconn::connect(url).await?;
    let pool = db.get_postgres_connection_pool();
    sqlx::raw_sql(sqlx::AssertSqlSafe(setup()))
        .execute(pool)
        .await
        .context("setup")?;
    let until = Instant::now() + duration;
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let conn = PgConnection::connect(url)
            .await
            .context("a writer's connection")?;
        writers.push(tokio::spawn(write(conn, w as u64, until)));
    }
    let mut total = Tally::default();
    for writer in writers {
        let tally = writer.await.context("writer")??;
        total.commits += tally.commits;
        total.deadlocks += tally.deadlocks;
        total.errors.extend(tally.errors);
    }
    if let Some(error) = total.errors.first() {
        anyhow::bail!("{} writer error(s), the first: {error}", total.errors.len());
    }
    let off = dbcheck::counters::check(&db, 1_000)
        .await
        .context("recount")?
        .mismatches
        .len();
    db.close().await.ok();
    let rate = total.commits as f64 / duration.as_secs_f64();
    let value = format!(
        "{} deadlocks in {} transactions ({rate:.0}/s); {}",
        total.deadlocks,
        total.commits + total.deadlocks,
        if off == 0 {
            "counters exact".to_owned()
        } else {
            format!("{off} counter(s) off")
        }
    );
    Ok((value, total.deadlocks == 0 && off == 0))
}

/// Users with a quota and one conversation each, and their files and messages.
fn setup() -> String {
    let user = parent("u");
    format!(
        r#"INSERT INTO users (id, email)
             SELECT {user}, 'u' || u || '@bench.example' FROM generate_series(1, {USERS}) u;
           INSERT INTO storage_quotas ("userId", "maxStorage", "maxFileSize", "maxFiles", "subscriptionTier")
             SELECT id, 1000000000000, 1000000000, 1000000, 'FREE' FROM users;
           INSERT INTO agents (id, "createdBy", name, slug, category, model, "endpointUrl")
             SELECT id, id, 'Agent', 'agent-' || email, 'bench', 'm', 'https://agent.example' FROM users;
           INSERT INTO chat_sessions (id, "userId", "lastActivity") SELECT id, id, now() FROM users;
           INSERT INTO conversations (id, "chatSessionId", "agentId", title) SELECT id, id, id, 'c' FROM users;
           INSERT INTO storage_files ("userId", name, "mimeType", size, "storageKey")
             SELECT {parent}, 'f', 'text/plain', 100, 'k' || n FROM generate_series(1, {rows}) n;
           INSERT INTO messages ("conversationId", role, content, "tokensInput", "tokensOutput")
             SELECT {parent}, 'user', 'm', 1, 1 FROM generate_series(1, {rows}) n;"#,
        rows = WRITERS as u64 * ROWS_EACH,
        parent = parent(&format!("n % {USERS} + 1"))
    )
}

/// The id of user, agent, chat session and conversation number `n` (a SQL expression): one
/// id serves all four, so a conversation's owner is easy to name.
fn parent(n: &str) -> String {
    format!("('00000000-0000-4000-8000-' || lpad(({n})::text, 12, '0'))::uuid")
}

/// One writer's transactions until `until`: one of its messages moves to a random
/// conversation and one of its files to a random user, in random order.
async fn write(mut conn: PgConnection, w: u64, until: Instant) -> anyhow::Result<Tally> {
    let mut rng = (w + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut tally = Tally::default();
    while Instant::now() < until {
        let own = |r: u64| w * ROWS_EACH + r % ROWS_EACH;
        let (m, f) = (own(next()), own(next()));
        let message = format!(
            r#"UPDATE messages SET "conversationId" = {}
               WHERE id = (SELECT id FROM messages ORDER BY id OFFSET {m} LIMIT 1)"#,
            parent(&(next() % USERS + 1).to_string())
        );
        let file = format!(
            r#"UPDATE storage_files SET "userId" = {}
               WHERE id = (SELECT id FROM storage_files ORDER BY id OFFSET {f} LIMIT 1)"#,
            parent(&(next() % USERS + 1).to_string())
        );
        let (first, second) = if next() % 2 == 0 {
            (&message, &file)
        } else {
            (&file, &message)
        };
        let sql = format!("BEGIN; {first}; {second}; COMMIT;");
        match sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
        {
            Ok(_) => tally.commits += 1,
            Err(err) => {
                let deadlock = err
                    .as_database_error()
                    .and_then(|e| e.code())
                    .is_some_and(|code| code == "40P01");
                if deadlock {
                    tally.deadlocks += 1;
                } else {
                    tally.errors.push(err.to_string());
                }
                sqlx::raw_sql("ROLLBACK").execute(&mut conn).await.ok();
            }
        }
    }
    Ok(tally)
}
