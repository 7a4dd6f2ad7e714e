//! Sixteen writers move files between two owners and messages between two conversations, in
//! opposite directions at once: no deadlock, no error, and every counter equals its recount.

use sea_orm::DatabaseConnection;
use smoke_tests::TestDb;

use super::{CONVERSATIONS_OFF, QUOTAS_OFF, Rng, exec, move_file, move_message};
use crate::count;

const WRITERS: usize = 16;
const ROUNDS: usize = 40;
const FILES_EACH: usize = 20;

/// The two owners and the two conversations the writers move things between.
#[derive(Clone)]
pub(super) struct Pairs {
    pub(super) users: [String; 2],
    pub(super) conversations: [String; 2],
}

/// What one writer did.
#[derive(Default, Debug)]
struct Tally {
    statements: usize,
    deadlocks: usize,
    errors: Vec<String>,
}

#[tokio::test]
async fn opposite_moves_by_sixteen_writers_never_deadlock_and_stay_exact() {
    let test = TestDb::migrated("counters_concurrent_moves").await;
    let pairs = setup(&test.db).await;
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let db = test.connect().await;
        let pairs = pairs.clone();
        writers.push(tokio::spawn(async move { write(&db, &pairs, w).await }));
    }
    let mut total = Tally::default();
    for writer in writers {
        let tally = writer.await.expect("writer");
        total.statements += tally.statements;
        total.deadlocks += tally.deadlocks;
        total.errors.extend(tally.errors);
    }
    let db = &test.db;
    let mismatches = count(db, QUOTAS_OFF).await + count(db, CONVERSATIONS_OFF).await;
    eprintln!(
        "{WRITERS} writers, {} statements: deadlocks={}, other errors={}, mismatches={mismatches}",
        total.statements,
        total.deadlocks,
        total.errors.len()
    );
    assert_eq!(total.deadlocks, 0, "{total:?}");
    assert_eq!(total.errors, Vec::<String>::new());
    assert_eq!(mismatches, 0);
    let recount = dbcheck::counters::check(db, 1_000).await.expect("recount");
    assert_eq!(recount.mismatches, Vec::new());
    // Files only moved: the two quotas still hold all of them between them.
    let files = r#"SELECT sum("fileCount")::bigint FROM storage_quotas"#;
    assert_eq!(count(db, files).await, 2 * FILES_EACH as i64);
}

pub(super) async fn setup(db: &DatabaseConnection) -> Pairs {
    let mut rng = Rng::new(16);
    let users = [rng.uuid(), rng.uuid()];
    let conversations = [rng.uuid(), rng.uuid()];
    let (u, v) = (&users[0], &users[1]);
    let (a, b) = (&conversations[0], &conversations[1]);
    let session = rng.uuid();
    exec(db, &format!(
        r#"INSERT INTO users (id, email) VALUES ('{u}', 'u@example.com'), ('{v}', 'v@example.com');
           INSERT INTO storage_quotas ("userId", "maxStorage", "maxFileSize", "maxFiles", "subscriptionTier")
             VALUES ('{u}', 1000000000, 1000000, 1000, 'FREE'), ('{v}', 1000000000, 1000000, 1000, 'FREE');
           INSERT INTO storage_files ("userId", name, "mimeType", size, "storageKey")
             SELECT CASE WHEN n % 2 = 0 THEN '{u}'::uuid ELSE '{v}'::uuid END, 'f', 'text/plain', n * 10, 'k' || n
               FROM generate_series(1, {files}) n;
           INSERT INTO agents (id, "createdBy", name, slug, category, model, "endpointUrl")
             VALUES ('{u}', '{u}', 'Agent', 'agent', 'test', 'm', 'https://agent.example');
           INSERT INTO chat_sessions (id, "userId", "lastActivity") VALUES ('{session}', '{u}', now());
           INSERT INTO conversations (id, "chatSessionId", "agentId", title)
             VALUES ('{a}', '{session}', '{u}', 'a'), ('{b}', '{session}', '{u}', 'b');
           INSERT INTO messages ("conversationId", role, content, "tokensInput", "tokensOutput")
             SELECT CASE WHEN n % 2 = 0 THEN '{a}'::uuid ELSE '{b}'::uuid END, 'user', 'm', n, n
               FROM generate_series(1, {files}) n;"#,
        files = 2 * FILES_EACH
    ))
    .await;
    Pairs {
        users,
        conversations,
    }
}

/// Writer `w`'s rounds: even writers move towards the second owner and conversation, odd ones
/// towards the first; every fourth round swaps one of each both ways in a single statement
/// ([`swap`]). What is under test is the triggers, which must add no lock-order cycle of
/// their own.
async fn write(db: &DatabaseConnection, pairs: &Pairs, w: usize) -> Tally {
    let (from, to) = if w.is_multiple_of(2) { (0, 1) } else { (1, 0) };
    let (src, dst) = (&pairs.users[from], &pairs.users[to]);
    let (a, b) = (&pairs.conversations[from], &pairs.conversations[to]);
    let [u, v] = &pairs.users;
    let [c, d] = &pairs.conversations;
    let mut tally = Tally::default();
    // One connection held for the writer's whole run: a pooled statement could wait for a
    // connection under load, an error that says nothing about the counters.
    let mut conn = db
        .get_postgres_connection_pool()
        .acquire()
        .await
        .expect("the writer's connection");
    for round in 0..ROUNDS {
        let k = (w * 7 + round) % 5;
        let mut statements = vec![move_file(src, dst, k), move_message(a, b, k)];
        if round.is_multiple_of(4) {
            statements.push(swap("storage_files", "userId", u, v));
            statements.push(swap("messages", "conversationId", c, d));
        }
        for sql in statements {
            tally.statements += 1;
            match sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(sql.clone()))
                .execute(&mut *conn)
                .await
            {
                Ok(_) => {}
                Err(err) if err.to_string().contains("deadlock detected") => tally.deadlocks += 1,
                Err(err) => tally.errors.push(format!("{err}: {sql}")),
            }
        }
    }
    tally
}

/// A statement moving the newest row of `table` whose `column` is `x` to `y`, and the newest
/// whose `column` is `y` to `x`. It locks the two rows in id order first, as any multi-row
/// update must: rows picked by `column` change `column`, so two swaps would otherwise lock
/// the same pair in opposite orders and deadlock with no trigger involved.
fn swap(table: &str, column: &str, x: &str, y: &str) -> String {
    format!(
        r#"UPDATE {table} t SET "{column}" = CASE WHEN t."{column}" = '{x}' THEN '{y}'::uuid ELSE '{x}'::uuid END
           FROM (SELECT id FROM {table}
                  WHERE id IN ((SELECT id FROM {table} WHERE "{column}" = '{x}' ORDER BY id DESC LIMIT 1)
                         UNION ALL (SELECT id FROM {table} WHERE "{column}" = '{y}' ORDER BY id DESC LIMIT 1))
                  ORDER BY id FOR UPDATE) locked
          WHERE t.id = locked.id"#
    )
}
