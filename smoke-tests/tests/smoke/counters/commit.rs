//! Counters take their locks at commit, in one order: two transactions that move a message and
//! a file in opposite orders both commit, and every counter stays exact.

use sea_orm::sqlx::{self, Connection, PgConnection};
use smoke_tests::TestDb;

use super::concurrent::setup;
use super::{CONVERSATIONS_OFF, QUOTAS_OFF, move_file, move_message};
use crate::count;
use crate::security::{Setting, attempt};

#[tokio::test]
async fn transactions_moving_a_message_and_a_file_in_opposite_orders_both_commit() {
    let test = TestDb::migrated("counters_opposite_transactions").await;
    let pairs = setup(&test.db).await;
    let ([a, b], [u, v]) = (&pairs.conversations, &pairs.users);
    let (mut first, first_pid) = begin(&test.url).await;
    let (mut second, _) = begin(&test.url).await;

    // The first moves a message, the second a file: with locks taken in the statement, each
    // now holds the parents the other is about to need.
    let message = move_message(a, b, 0);
    let file = move_file(u, v, 0);
    run(&mut first, &message).await.expect("first: message");
    run(&mut second, &file).await.expect("second: file");

    // The first moves a file. Under statement-time locking it waits for the second's quota
    // rows; the test goes on once it has either finished or is seen waiting.
    let file = move_file(u, v, 1);
    let waiting = tokio::spawn(async move {
        let result = run(&mut first, &file).await;
        (first, result)
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !waiting.is_finished() && blocked(&test, first_pid).await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the first never finished nor waited"
        );
        tokio::task::yield_now().await;
    }
    // The second moves a message: under statement-time locking, a circle, and PostgreSQL ends
    // one of the two with a deadlock error.
    let second_result = run(&mut second, &move_message(a, b, 1)).await;
    let (mut first, first_result) = waiting.await.expect("the first's task");
    assert_eq!(
        (first_result, second_result),
        (Ok(()), Ok(())),
        "both transactions' second statements"
    );
    run(&mut first, "COMMIT").await.expect("first commits");
    run(&mut second, "COMMIT").await.expect("second commits");

    assert_exact_and_folded(&test.db).await;
}

/// Every conversation's and quota's counters equal a recount, and no pending change outlived
/// its transaction.
async fn assert_exact_and_folded(db: &sea_orm::DatabaseConnection) {
    assert_eq!(
        count(db, CONVERSATIONS_OFF).await,
        0,
        "conversation counters"
    );
    assert_eq!(count(db, QUOTAS_OFF).await, 0, "storage quotas");
    let pending = count(db, "SELECT count(*) FROM counter_deltas").await;
    assert_eq!(pending, 0, "no delta outlives its transaction");
}

/// A connection of its own, in a transaction, with its server pid.
async fn begin(url: &str) -> (PgConnection, i64) {
    let mut conn = PgConnection::connect(url).await.expect("connect");
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .expect("pid");
    run(&mut conn, "BEGIN").await.expect("begin");
    (conn, i64::from(pid))
}

async fn run(conn: &mut PgConnection, sql: &str) -> Result<(), String> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(conn)
        .await
        .map(drop)
        .map_err(|err| err.to_string())
}

/// How many sessions `pid` waits for.
async fn blocked(test: &TestDb, pid: i64) -> i64 {
    let sql = format!("SELECT cardinality(pg_blocking_pids({pid}))::int8");
    count(&test.db, &sql).await
}

#[tokio::test]
async fn the_application_roles_can_neither_write_pending_counter_changes_nor_call_their_writer() {
    let test = TestDb::migrated("counters_deltas_closed_to_roles").await;
    let pairs = setup(&test.db).await;
    let user = &pairs.users[0];
    // Each would take a thousand bytes off the user's quota at commit.
    let forgeries = [
        format!(
            "SELECT public.defer_counter_deltas('storage_quotas', ARRAY['{user}']::uuid[], \
             ARRAY[-1]::bigint[], ARRAY[-1000]::bigint[])"
        ),
        format!(
            "INSERT INTO counter_deltas (counter, key, n, m) VALUES ('storage_quotas', '{user}', -1, -1000)"
        ),
        "DELETE FROM counter_deltas".to_owned(),
    ];
    for role in ["app_user", "app_admin"] {
        for sql in &forgeries {
            let setting = Setting::User(user.clone());
            let refused = attempt(&test.db, role, &setting, sql).await;
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|err| err.contains("permission denied")),
                "{role}: {sql}: {refused:?}"
            );
        }
    }
}

#[tokio::test]
async fn one_transactions_writes_reach_the_counters_once_through_savepoints_truncates_and_new_quotas()
 {
    let test = TestDb::migrated("counters_one_transaction").await;
    let pairs = setup(&test.db).await;
    let [a, _] = &pairs.conversations;
    let (mut conn, _) = begin(&test.url).await;
    let user = "0c0ffee0-0000-4000-8000-000000000001";
    for sql in &steps_of_one_transaction(a, user) {
        run(&mut conn, sql).await.expect(sql);
    }
    // Folded at once on request, so the transaction reads its own counts.
    run(
        &mut conn,
        "SET CONSTRAINTS public.counter_deltas_fold IMMEDIATE",
    )
    .await
    .expect("immediate");
    run(&mut conn, &insert_messages(a, 1))
        .await
        .expect("one more message");
    let own: (i32, i32) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        r#"SELECT "messageCount", "tokenCount" FROM conversations WHERE id = '{a}'"#
    )))
    .fetch_one(&mut conn)
    .await
    .expect("the transaction's own counters");
    assert_eq!(own, (4, 28), "counters read inside the transaction");
    run(&mut conn, "COMMIT").await.expect("commit");

    let db = &test.db;
    assert_exact_and_folded(db).await;
    let quota =
        format!(r#"SELECT "fileCount"::int8 FROM storage_quotas WHERE "userId" = '{user}'"#);
    assert_eq!(count(db, &quota).await, 3, "the new user's files");
}

/// The one-transaction test's writes before it asks for its counters: a new `user` and its
/// quota, messages into `a`.
fn steps_of_one_transaction(a: &str, user: &str) -> Vec<String> {
    let file = |key: &str| {
        format!(
            r#"INSERT INTO storage_files ("userId", name, "mimeType", size, "storageKey")
               VALUES ('{user}', 'f', 'text/plain', 100, '{key}')"#
        )
    };
    vec![
        // Files before their owner's quota row: the new row's recount counts them, and their
        // pending changes must not count them again at commit.
        format!("INSERT INTO users (id, email) VALUES ('{user}', 'w@example.com')"),
        file("w1"),
        file("w2"),
        format!(
            r#"INSERT INTO storage_quotas ("userId", "maxStorage", "maxFileSize", "maxFiles", "subscriptionTier")
               VALUES ('{user}', 1000000, 1000, 10, 'FREE')"#
        ),
        file("w3"),
        // What a rolled-back savepoint wrote is not counted.
        "SAVEPOINT s".to_owned(),
        insert_messages(a, 5),
        "ROLLBACK TO SAVEPOINT s".to_owned(),
        // A TRUNCATE zeroes the counters, and what this transaction wrote before it is gone.
        insert_messages(a, 2),
        "TRUNCATE messages".to_owned(),
        insert_messages(a, 3),
    ]
}

/// `n` messages of 7 input tokens into conversation `a`.
fn insert_messages(a: &str, n: u32) -> String {
    format!(
        r#"INSERT INTO messages ("conversationId", role, content, "tokensInput")
           SELECT '{a}', 'user', 'm', 7 FROM generate_series(1, {n})"#
    )
}
