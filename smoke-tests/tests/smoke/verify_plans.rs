//! Verify's plan check on healthy databases as they really are, through the shipped binaries:
//! the dev seed after ANALYZE, the dev seed after ordinary writes and the autoanalyze they
//! trigger, and the load profile at two scales all pass; a dropped index that leaves a
//! critical query reading a large table whole still fails.

use std::process::Output;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use smoke_tests::{TestDb, migrator};

use crate::query_strings;

fn assert_succeeded(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed:\n{}",
        migrator::printed(output)
    );
}

/// `seed` with `args` on `test`'s database, as a developer runs it.
async fn seed(test: &TestDb, args: &[&str]) {
    let output = migrator::finish(migrator::seed_command(&test.url, args)).await;
    assert_succeeded(&output, &format!("seed {args:?}"));
}

/// `migration verify` on `test`'s database, as a deploy gate runs it.
async fn verify(test: &TestDb) -> Output {
    migrator::run(&test.url, &["verify"]).await
}

async fn analyze(db: &DatabaseConnection, tables: &str) {
    db.execute_unprepared(&format!("ANALYZE {tables}"))
        .await
        .expect("analyze");
}

#[tokio::test]
async fn verify_passes_on_a_fresh_dev_seed_after_analyze() {
    let test = TestDb::new("verify_plans_dev_analyzed").await;
    assert_succeeded(&migrator::run(&test.url, &["up"]).await, "up");
    seed(&test, &["--profile", "dev"]).await;
    analyze(&test.db, "").await;
    assert_succeeded(&verify(&test).await, "verify");
}

/// What a user does between two deploys: sixty more messages in their conversation, each
/// with its usage log and bumping the session's `lastActivity` in a transaction of its own as
/// the application does (the triggers count each on the conversation at its commit).
const ORDINARY_WRITES: &str = r#"
    DO $$
    DECLARE
        conversation conversations%ROWTYPE;
        owner uuid;
    BEGIN
        SELECT * INTO conversation FROM conversations ORDER BY "createdAt", id LIMIT 1;
        SELECT "userId" INTO owner FROM chat_sessions WHERE id = conversation."chatSessionId";
        FOR i IN 1..60 LOOP
            INSERT INTO messages ("conversationId", role, content, "tokensInput", "tokensOutput")
                VALUES (conversation.id, 'user', 'Hola, necesito ayuda con mi agente ' || i, 10, 20);
            INSERT INTO usage_logs ("userId", "agentId", "conversationId", "tokensInput",
                                    "tokensOutput", "totalTokens", model, "costInput",
                                    "costOutput", "totalCost")
                VALUES (owner, conversation."agentId", conversation.id, 10, 20, 30, 'gpt-4o',
                        0.001, 0.002, 0.003);
            UPDATE chat_sessions SET "lastActivity" = now()
             WHERE id = conversation."chatSessionId";
            COMMIT;
        END LOOP;
    END $$"#;

/// The tables autovacuum would analyze now, by its own rule: more rows changed since the last
/// analyze than `autovacuum_analyze_threshold` plus `autovacuum_analyze_scale_factor` of the
/// table. The writer flushed its statistics before returning, so they are current.
async fn due_for_autoanalyze(db: &DatabaseConnection) -> Vec<String> {
    query_strings(
        db,
        "SELECT quote_ident(s.schemaname) || '.' || quote_ident(s.relname)
           FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
          WHERE s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8
                + current_setting('autovacuum_analyze_scale_factor')::float8
                  * GREATEST(c.reltuples, 0)
          ORDER BY 1",
    )
    .await
}

#[tokio::test]
async fn verify_passes_after_ordinary_writes_and_the_autoanalyze_they_trigger() {
    let test = TestDb::migrated("verify_plans_dev_autoanalyzed").await;
    seed(&test, &["--profile", "dev"]).await;
    let before = query_strings(&test.db, "SELECT now()::text").await.concat();
    // One connection for the writes and the flush of their statistics; the block commits each
    // message as the application does, so it is alone in its statement.
    let mut conn = test
        .db
        .get_postgres_connection_pool()
        .acquire()
        .await
        .expect("a connection");
    for sql in [ORDINARY_WRITES, "SELECT pg_stat_force_next_flush()"] {
        sea_orm::sqlx::raw_sql(sql)
            .execute(&mut *conn)
            .await
            .expect("ordinary writes");
    }
    drop(conn);
    let due = due_for_autoanalyze(&test.db).await;
    // The server's own autovacuum may have got there first; either way the table is analyzed.
    let done = query_strings(
        &test.db,
        &format!(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(relname) FROM pg_stat_user_tables
              WHERE last_autoanalyze >= '{before}'::timestamptz"
        ),
    )
    .await;
    for table in [
        "public.chat_sessions",
        "public.conversations",
        "public.messages",
    ] {
        assert!(
            due.contains(&table.to_owned()) || done.contains(&table.to_owned()),
            "{table} is due: {due:?}"
        );
    }
    // What autovacuum's next round does; analyzing here instead of waiting for it keeps the
    // test deterministic, and the statistics are the same.
    if !due.is_empty() {
        analyze(&test.db, &due.join(", ")).await;
    }
    assert_eq!(due_for_autoanalyze(&test.db).await, Vec::<String>::new());
    assert_succeeded(&verify(&test).await, "verify");
}

/// A migrated database loaded at `scale` and analyzed, as autoanalyze leaves it after a bulk
/// load.
async fn loaded(name: &str, scale: &str) -> TestDb {
    let test = TestDb::migrated(name).await;
    seed(&test, &["--profile", "load", "--scale", scale]).await;
    analyze(&test.db, "").await;
    test
}

#[tokio::test]
async fn verify_passes_on_the_load_profile_at_scale_two() {
    let test = loaded("verify_plans_load_2", "2").await;
    assert_succeeded(&verify(&test).await, "verify");
}

#[tokio::test]
async fn verify_passes_on_the_load_profile_at_scale_six() {
    let test = loaded("verify_plans_load_6", "6").await;
    assert_succeeded(&verify(&test).await, "verify");
}

#[tokio::test]
async fn verify_fails_when_a_dropped_index_leaves_a_critical_query_reading_a_large_table_whole() {
    let test = loaded("verify_plans_load_dropped", "2").await;
    test.db
        .execute_unprepared(r#"DROP INDEX "messages_conversationId_timestamp_id_idx""#)
        .await
        .expect("drop index");
    let output = verify(&test).await;
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        migrator::printed(&output)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let keyset = "query messages_of_conversation_by_time: ";
    // The planner reads the table whole or through another whole index
    // (`messages_userId_timestamp_idx`): its choice; both are reported as reading the table.
    for expected in [
        format!("{keyset}no valid index on public.messages leads with \"conversationId\""),
        format!("{keyset}reads public.messages (over 10000 rows) through "),
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(&expected)),
            "{expected}\n{stdout}"
        );
    }
}
