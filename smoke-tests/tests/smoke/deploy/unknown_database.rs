//! Commands that read or maintain the schema refuse a database this build did not migrate:
//! one line naming the fix, exit code 1, nothing changed.

use smoke_tests::{TestDb, migrator, snapshot};

#[tokio::test]
async fn maintenance_and_checks_refuse_an_empty_database_in_one_line_and_change_nothing() {
    let test = TestDb::new("unknown_database").await;
    let before = snapshot(&test.db).await;
    let key = format!("k1:{}", base64_of(&[7u8; 32]));
    for args in [
        &["drift"][..],
        &["verify"],
        &["verify", "--deep"],
        &["repair", "--apply"],
        &["rotate-key"],
        &["monitor"],
    ] {
        let mut command = migrator::command(&test.url, args);
        command.env("APP_ENCRYPTION_KEYS", &key);
        let output = migrator::finish(command).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            migrator::printed(&output)
        );
        assert_eq!(
            lines.len(),
            1,
            "{args:?} printed more than one line: {stderr}"
        );
        assert!(
            lines[0].contains("has none of this project's migrations applied: run `migration up`"),
            "{args:?}: {}",
            lines[0]
        );
        assert!(
            output.stdout.is_empty(),
            "{args:?} printed a report: {}",
            migrator::printed(&output)
        );
    }
    dbcheck::catalog::assert_same(&snapshot(&test.db).await, &before, "after them", "before");
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
