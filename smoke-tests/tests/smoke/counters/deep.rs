//! `migration verify --deep` reports planted counter errors one per line, `repair` without
//! `--apply` changes nothing, `repair --apply` fixes them all; a load-profile database
//! recounts clean.

use smoke_tests::{TestDb, migrator};

use super::exec;
use crate::{all_rows, count};

/// Three wrong counters: a message written with the triggers off (its conversation's two
/// counters miss it; with its owner trigger off too, it names its owner itself), a quota and a
/// document written wrong directly.
const PLANT: &str = r#"
    ALTER TABLE messages DISABLE TRIGGER USER;
    INSERT INTO messages ("conversationId", role, content, "tokensInput", "userId")
      SELECT c.id, 'user', 'planted', 40, s."userId" FROM conversations c
        JOIN chat_sessions s ON s.id = c."chatSessionId" WHERE c."messageCount" > 0
       ORDER BY c.id LIMIT 1;
    ALTER TABLE messages ENABLE TRIGGER USER;
    UPDATE storage_quotas SET "usedStorage" = "usedStorage" + 5
     WHERE "userId" = (SELECT "userId" FROM storage_quotas ORDER BY "userId" LIMIT 1);
    UPDATE rag_documents SET "chunkCount" = 99;"#;

/// The stdout lines of a `migration` run that name a counter.
fn counter_lines(output: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| l.starts_with("counters: "))
        .map(str::to_owned)
        .collect()
}

/// Checks that the counter lines name each planted value, with its stored and actual count.
fn assert_names_each_planted_value(lines: &[String]) {
    assert_eq!(lines.len(), 4, "{lines:#?}");
    for expected in [
        "conversations id=",
        "messageCount: stored 2, actual 3",
        "tokenCount: stored 58, actual 98",
        "usedStorage: stored ",
        "chunkCount: stored 99, actual 4",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(expected)),
            "{expected}: {lines:#?}"
        );
    }
}

#[tokio::test]
async fn verify_deep_reports_planted_errors_and_repair_apply_fixes_them() {
    let test = TestDb::migrated("counters_verify_deep_and_repair").await;
    seed::run(&test.db, &seed::Profile::Dev)
        .await
        .expect("seed");
    // More parents than the batch size below, so batches are ranged by key.
    exec(&test.db, r#"INSERT INTO conversations ("chatSessionId", "agentId", title)
                      SELECT "chatSessionId", "agentId", 'more ' || n FROM conversations, generate_series(1, 5) n"#).await;
    let deep = ["verify", "--deep", "--batch-size", "2"];
    let clean = migrator::run(&test.url, &deep).await;
    assert!(
        clean.status.success(),
        "{}",
        migrator::last_stderr_line(&clean)
    );
    exec(&test.db, PLANT).await;

    // Plain verify checks structure only; --deep finds each planted value, one line each.
    assert!(migrator::run(&test.url, &["verify"]).await.status.success());
    let found = migrator::run(&test.url, &deep).await;
    assert_eq!(found.status.code(), Some(1));
    let lines = counter_lines(&found);
    assert_names_each_planted_value(&lines);

    // A dry run lists the same lines and changes nothing.
    let before = all_rows(&test.db).await;
    let dry = migrator::run(&test.url, &["repair", "--batch-size", "2"]).await;
    assert!(dry.status.success(), "{}", migrator::last_stderr_line(&dry));
    assert_eq!(counter_lines(&dry), lines);
    assert!(migrator::last_stderr_line(&dry).contains("nothing changed"));
    assert_eq!(all_rows(&test.db).await, before);

    let fixed = migrator::run(&test.url, &["repair", "--apply", "--batch-size", "2"]).await;
    assert!(
        fixed.status.success(),
        "{}",
        migrator::last_stderr_line(&fixed)
    );
    assert!(
        migrator::last_stderr_line(&fixed).contains("3 row(s) set to their recount"),
        "{}",
        migrator::last_stderr_line(&fixed)
    );
    let after = migrator::run(&test.url, &deep).await;
    assert!(
        after.status.success(),
        "{}",
        String::from_utf8_lossy(&after.stdout)
    );
    assert_eq!(count(&test.db, super::CONVERSATIONS_OFF).await, 0);
}

#[tokio::test]
async fn a_load_profile_database_recounts_without_a_mismatch() {
    let test = TestDb::migrated("counters_load_profile_deep").await;
    seed::load::run(&test.db, 4, false).await.expect("load");
    let recount = dbcheck::counters::check(&test.db, dbcheck::counters::BATCH)
        .await
        .expect("recount");
    assert_eq!(recount.mismatches, Vec::new());
    let parents = count(
        &test.db,
        "SELECT (SELECT count(*) FROM conversations) + (SELECT count(*) FROM storage_quotas)
              + (SELECT count(*) FROM rag_documents)",
    )
    .await;
    assert_eq!(recount.rows as i64, parents);
    assert!(parents > 20, "{parents}");
    let deep = migrator::run(&test.url, &["verify", "--deep"]).await;
    assert!(
        deep.status.success(),
        "{}",
        migrator::last_stderr_line(&deep)
    );
}
