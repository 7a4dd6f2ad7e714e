//! The load profile writes consistent counters and never duplicates a completed load.

use smoke_tests::TestDb;

use crate::count;

#[tokio::test]
async fn loading_keeps_every_counter_equal_to_what_it_counts() {
    let test = TestDb::migrated("load_counters_agree").await;
    let report = seed::load::run(&test.db, 6, false).await.expect("load");
    let db = &test.db;
    assert_eq!(count(db, "SELECT count(*) FROM users").await, 6);
    assert!(count(db, "SELECT count(*) FROM messages").await > 10_000);
    assert!(count(db, "SELECT count(*) FROM rag_chunks").await > 0);
    assert!(count(db, "SELECT count(*) FROM finance.transactions").await > 0);
    assert_eq!(report.rows() as i64, count(db, ROW_COUNT).await - 1);
    // Conversation counters equal their messages, which the disabled trigger did not count.
    let conversations_off = r#"SELECT count(*) FROM conversations c WHERE "messageCount" <>
        (SELECT count(*) FROM messages m WHERE m."conversationId" = c.id) OR "tokenCount" <>
        (SELECT coalesce(sum(coalesce("tokensInput", 0) + coalesce("tokensOutput", 0)), 0)
           FROM messages m WHERE m."conversationId" = c.id)"#;
    assert_eq!(count(db, conversations_off).await, 0);
    let long = format!(
        r#"SELECT "messageCount"::bigint FROM conversations WHERE id = '{}'"#,
        seed::load::long_conversation_id()
    );
    assert_eq!(
        count(db, &long).await,
        seed::load::LONG_CONVERSATION_MESSAGES as i64
    );
    // Monthly usage is the sum of the month's usage logs.
    let monthly_off = r#"SELECT count(*) FROM monthly_usage mu FULL JOIN (
        SELECT "userId", extract(year FROM "timestamp")::int AS y, extract(month FROM "timestamp")::int AS m,
               count(*) AS n, sum("totalTokens") AS tokens, round(sum("totalCost"), 2) AS cost
          FROM usage_logs GROUP BY 1, 2, 3) l
        ON l."userId" = mu."userId" AND l.y = mu.year AND l.m = mu.month
        WHERE l.n IS DISTINCT FROM mu."totalMessages" OR l.tokens IS DISTINCT FROM mu."totalTokens"
           OR l.cost IS DISTINCT FROM mu."totalCost""#;
    assert_eq!(count(db, monthly_off).await, 0);
    let users_off = r#"SELECT count(*) FROM users u WHERE "totalMessages" <>
        (SELECT count(*) FROM usage_logs l WHERE l."userId" = u.id)"#;
    assert_eq!(count(db, users_off).await, 0);
    // Quotas count the user's files, which the disabled quota trigger did not.
    let quotas_off = r#"SELECT count(*) FROM storage_quotas q WHERE "usedStorage" <>
        (SELECT coalesce(sum(size), 0) FROM storage_files f WHERE f."userId" = q."userId")
        OR "fileCount" <> (SELECT count(*) FROM storage_files f WHERE f."userId" = q."userId")"#;
    assert_eq!(count(db, quotas_off).await, 0);
    // The triggers are back on: a new message moves its conversation's counter.
    let before = count(db, &long).await;
    let insert = format!(
        r#"INSERT INTO messages ("conversationId", role, content) VALUES ('{}', 'user', 'hi')"#,
        seed::load::long_conversation_id()
    );
    sea_orm::ConnectionTrait::execute_unprepared(db, &insert)
        .await
        .expect("insert");
    assert_eq!(count(db, &long).await, before + 1);
}

/// Rows of every table the load profile writes, the marker row included; not the audit
/// entries the triggers add for its health and finance rows (they have no admin).
const ROW_COUNT: &str = r#"SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM agents)
    + (SELECT count(*) FROM chat_sessions) + (SELECT count(*) FROM conversations)
    + (SELECT count(*) FROM messages) + (SELECT count(*) FROM usage_logs)
    + (SELECT count(*) FROM monthly_usage) + (SELECT count(*) FROM support_tickets)
    + (SELECT count(*) FROM storage_quotas) + (SELECT count(*) FROM storage_files)
    + (SELECT count(*) FROM health.health_measurements)
    + (SELECT count(*) FROM health.allergies)
    + (SELECT count(*) FROM finance.financial_accounts)
    + (SELECT count(*) FROM finance.transactions) + (SELECT count(*) FROM rag_documents)
    + (SELECT count(*) FROM rag_chunks)
    + (SELECT count(*) FROM audit_logs WHERE "adminId" IS NOT NULL)"#;

#[tokio::test]
async fn loading_twice_writes_nothing_the_second_time() {
    let test = TestDb::migrated("load_twice").await;
    let first = seed::load::run(&test.db, 2, false).await.expect("load");
    assert!(first.already_loaded.is_none());
    let rows = count(&test.db, ROW_COUNT).await;
    let second = seed::load::run(&test.db, 2, false)
        .await
        .expect("load again");
    assert_eq!(second.already_loaded, Some(2));
    assert_eq!(second.rows(), 0);
    assert_eq!(count(&test.db, ROW_COUNT).await, rows);
}

#[tokio::test]
async fn an_interrupted_load_is_refused_with_the_fix() {
    let test = TestDb::migrated("load_interrupted").await;
    seed::load::run(&test.db, 1, false).await.expect("load");
    // What a killed run leaves: the data without the completion marker.
    sea_orm::ConnectionTrait::execute_unprepared(
        &test.db,
        "DELETE FROM audit_logs WHERE action = 'seed.load.complete'",
    )
    .await
    .expect("delete marker");
    let err = seed::load::run(&test.db, 1, false).await.unwrap_err();
    assert!(err.to_string().contains("cargo xtask reset"), "{err}");
}
