//! The shipped binary checks what it deployed: `verify` and `drift` after `up`.

use sea_orm::ConnectionTrait;
use smoke_tests::{TestDb, migrator};

#[tokio::test]
async fn the_shipped_binary_verifies_what_it_deployed() {
    let test = TestDb::new("the_shipped_binary_verifies").await;
    for args in [&["up"][..], &["verify"], &["drift"]] {
        let output = migrator::run(&test.url, args).await;
        assert!(
            output.status.success(),
            "{args:?}: {}",
            migrator::last_stderr_line(&output)
        );
    }
    test.db
        .execute_unprepared(r#"DROP INDEX "conversations_agentId_idx""#)
        .await
        .expect("lose an index, as a hand-made fix might");
    let output = migrator::run(&test.url, &["verify"]).await;
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("conversations_agentId_idx"), "{stdout}");
    assert!(
        migrator::last_stderr_line(&output).starts_with("error: "),
        "one error line"
    );
}
