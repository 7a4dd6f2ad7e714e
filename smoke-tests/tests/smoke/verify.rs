//! Verify: a migrated and seeded database passes every post-deploy check, and a dropped
//! index or an orphan row fails the check that names it.

use sea_orm::ConnectionTrait;
use smoke_tests::TestDb;

use crate::seeded;

async fn failures(test: &TestDb) -> Vec<String> {
    dbcheck::verify::check(&test.db)
        .await
        .expect("verify")
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[tokio::test]
async fn a_migrated_and_seeded_database_passes_verify() {
    let test = seeded("a_migrated_and_seeded_database_passes_verify").await;
    assert_eq!(failures(&test).await, Vec::<String>::new());
}

#[tokio::test]
async fn verify_fails_on_a_dropped_index() {
    let test = seeded("verify_fails_on_a_dropped_index").await;
    test.db
        .execute_unprepared(r#"DROP INDEX "usage_logs_userId_timestamp_idx""#)
        .await
        .expect("drop index");
    let found = failures(&test).await;
    assert!(
        found.contains(
            &"indexes: missing usage_logs_userId_timestamp_idx on usage_logs (133 of 134 expected present, 133 in all)"
                .to_owned()
        ),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("query usage_logs_of_user_by_time (index path")),
        "{found:#?}"
    );
}

#[tokio::test]
async fn verify_fails_on_an_orphan_row() {
    let test = seeded("verify_fails_on_an_orphan_row").await;
    // With replication role `replica` the foreign key's triggers do not fire, so deleting a
    // chat session leaves its conversations behind: the orphan the seed document checks for.
    test.db
        .execute_unprepared(
            r#"SET session_replication_role = replica;
               DELETE FROM chat_sessions WHERE "id" = (SELECT "chatSessionId" FROM conversations LIMIT 1);
               SET session_replication_role = origin"#,
        )
        .await
        .expect("inject orphan");
    let found = failures(&test).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].starts_with("orphans: ")
            && found[0]
                .ends_with("row(s) of conversations whose chatSessionId has no chat_sessions row"),
        "{found:#?}"
    );
}
