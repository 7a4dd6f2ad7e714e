//! Verify: a migrated and seeded database passes every post-deploy check, and a dropped
//! index or an orphan row fails the check that names it.

use sea_orm::ConnectionTrait;
use smoke_tests::TestDb;

use crate::{bound_role_url, drop_bound_role, seeded};

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
        found.contains(&crate::missing_index_line(
            "usage_logs_userId_timestamp_idx",
            "usage_logs"
        )),
        "{found:#?}"
    );
    // A small table is rightly read whole, so the plan passes; the catalog still says the
    // query has no index path left.
    assert!(
        found.iter().any(|f| f.starts_with(
            "query usage_logs_of_user_by_time: no valid index on public.usage_logs leads with \"userId\""
        )),
        "{found:#?}"
    );
}

/// Conversations whose chat session is gone: with replication role `replica` the foreign
/// key's triggers do not fire, so the delete leaves them behind, the orphan the seed
/// document checks for.
async fn plant_orphan(test: &TestDb) {
    test.db
        .execute_unprepared(
            r#"SET session_replication_role = replica;
               DELETE FROM chat_sessions WHERE "id" = (SELECT "chatSessionId" FROM conversations LIMIT 1);
               SET session_replication_role = origin"#,
        )
        .await
        .expect("inject orphan");
}

#[tokio::test]
async fn verify_fails_on_an_orphan_row() {
    let test = seeded("verify_fails_on_an_orphan_row").await;
    plant_orphan(&test).await;
    let found = failures(&test).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].starts_with("orphans: ")
            && found[0]
                .ends_with("row(s) of conversations whose chatSessionId has no chat_sessions row"),
        "{found:#?}"
    );
}

#[tokio::test]
async fn verify_refuses_a_role_that_row_level_security_hides_rows_from() {
    let test = seeded("verify_refuses_a_bound_role").await;
    // An orphan that verify finds as a superuser, and that a bound role would count as zero.
    plant_orphan(&test).await;
    assert!(
        failures(&test)
            .await
            .iter()
            .any(|f| f.starts_with("orphans"))
    );
    let url = bound_role_url(&test, "smoke_verify_bound").await;
    let bound = dbconn::connect(&url)
        .await
        .expect("connect as the bound role");
    let structure = dbcheck::verify::check(&bound).await.map(|_| ());
    let counters = dbcheck::counters::check(&bound, 100).await.map(|_| ());
    for (tool, result) in [("verify", structure), ("verify --deep", counters)] {
        let message = format!("{:#}", result.expect_err("a bound role is refused"));
        assert!(
            message.contains("is subject to the forced row-level security")
                && message.contains(&format!(
                    "run {tool} as a superuser or a role WITH BYPASSRLS"
                ))
                && !message.contains('\n'),
            "{message}"
        );
    }
    bound.close().await.expect("close");
    drop_bound_role(&test, "smoke_verify_bound").await;
}

#[tokio::test]
async fn verify_fails_on_a_table_of_users_rows_without_row_level_security_naming_the_fix() {
    let test = seeded("verify_fails_on_an_unisolated_user_table").await;
    // A new table of users' rows, created without what phase 7 gives every such table.
    test.db
        .execute_unprepared(
            r#"CREATE TABLE "smoke_notes" (id uuid PRIMARY KEY, "userId" uuid NOT NULL REFERENCES users (id));
               CREATE INDEX "smoke_notes_userId_idx" ON "smoke_notes" ("userId")"#,
        )
        .await
        .expect("create notes");
    let found = failures(&test).await;
    let line = found
        .iter()
        .find(|f| f.contains(": smoke_notes holds users' rows"))
        .unwrap_or_else(|| panic!("verify passed a table of users' rows left open: {found:#?}"));
    assert!(
        line.contains("lacks ENABLE and FORCE ROW LEVEL SECURITY and a policy for app_user")
            && line.contains("m20261201_000602_isolate_user_tables"),
        "{line}"
    );
    test.db
        .execute_unprepared(
            r#"ALTER TABLE "smoke_notes" ENABLE ROW LEVEL SECURITY;
               ALTER TABLE "smoke_notes" FORCE ROW LEVEL SECURITY;
               CREATE POLICY smoke_notes_owner ON "smoke_notes" TO app_user
                 USING ("userId" = public.app_current_user_id())"#,
        )
        .await
        .expect("isolate notes");
    let found = failures(&test).await;
    assert!(
        !found
            .iter()
            .any(|f| f.contains(": smoke_notes holds users' rows")),
        "{found:#?}"
    );
}
