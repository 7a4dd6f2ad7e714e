//! Credentials travel intact and stay secret: a password full of URL delimiters, percent-encoded as a user would, works for every command against a server that checks it; unencoded delimiters and unparsable URLs are one line that shows none of it.

use std::process::Output;
use std::time::{Duration, Instant};

use smoke_tests::credentials::{PasswordRole, percent_encoded, server_checks_passwords};
use smoke_tests::{TestDb, migrator};

/// Every character that means something in a URL, a quote of each kind, and a space.
const PASSWORD: &str = "p@ss:w/o#rd%?&'\" x";

#[tokio::test]
async fn a_password_full_of_delimiters_works_for_every_command() {
    // Created first, so it is dropped after the database that holds its objects.
    let role = PasswordRole::create("smoke_scram_every_command", PASSWORD).await;
    let test = TestDb::new("password_every_command").await;
    let url = role.url(&test.url, PASSWORD);
    let wrong = role.url(&test.url, "not the password");
    let refused = migrator::run(&wrong, &["status"]).await;
    if refused.status.success() && !server_checks_passwords() {
        eprintln!("skipped: the server of DATABASE_URL accepts any password for a new role");
        return;
    }
    assert_eq!(
        refused.status.code(),
        Some(1),
        "a wrong password must be refused"
    );
    assert!(
        migrator::last_stderr_line(&refused).starts_with(&format!(
            "error: wrong user or password for postgres://{}:***@",
            role.name
        )),
        "{}",
        migrator::printed(&refused)
    );

    // One backup directory per tool: two dumps within a second would share a file name.
    let dirs = ["smoke_password_binary", "smoke_password_xtask"].map(|d| {
        let dir = std::env::temp_dir().join(d);
        let _ = std::fs::remove_dir_all(&dir);
        dir.to_str().expect("utf-8").to_owned()
    });
    for command in every_command(&url, &dirs) {
        let shown = format!("{:?}", command.as_std().get_args().collect::<Vec<_>>());
        let output = migrator::finish(command).await;
        assert!(
            output.status.success(),
            "{shown}: {}",
            migrator::printed(&output)
        );
        assert_secret_kept(&output, &shown);
    }
    // Each `up` found pending migrations, so each took one dump, a pg_dump archive.
    for dir in &dirs {
        let dumps: Vec<_> = std::fs::read_dir(dir).expect("backups").flatten().collect();
        assert_eq!(dumps.len(), 1, "{dir}: {dumps:?}");
        let bytes = std::fs::read(dumps[0].path()).expect("read dump");
        assert!(bytes.starts_with(b"PGDMP"), "{dir}: no pg_dump archive");
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[tokio::test]
async fn an_unencoded_delimiter_in_the_password_is_one_line_and_never_waited_for() {
    for secret in ["s3cr/et9", "s3cr#et9", "s3cr?et9"] {
        let url = format!("postgres://app:{secret}@127.0.0.1:5432/agents");
        let expected = "error: the user or password in database URL \
                        postgres://app:***@127.0.0.1:5432/agents holds an unencoded `/`, `?` or \
                        `#`: percent-encode them (%2F, %3F, %23; also @ as %40, % as %25, space \
                        as %20)";
        for command in every_binary(&url) {
            let shown = format!("{secret}: {:?}", command.as_std().get_program());
            let start = Instant::now();
            let output = migrator::finish(command).await;
            // Wait as long as a deploy would: an unreachable host would be retried for a minute.
            assert!(start.elapsed() < Duration::from_secs(10), "{shown}: waited");
            assert_one_line(&output, expected, &shown);
            for part in ["s3cr", "et9"] {
                assert!(!migrator::printed(&output).contains(part), "{shown}");
            }
        }
    }
}

#[tokio::test]
async fn an_unparsable_url_is_one_line_that_shows_no_password() {
    let expected = "error: malformed database URL postgres://app:***@db:notaport/agents: \
                    expected postgres://USER:PASSWORD@HOST:PORT/DATABASE";
    let not_a_url = "error: malformed database URL (not shown): \
                     expected postgres://USER:PASSWORD@HOST:PORT/DATABASE";
    for (url, line) in [
        ("postgres://app:s3cret@db:notaport/agents", expected),
        ("s3cret", not_a_url),
    ] {
        for command in every_binary(url) {
            let shown = format!("{url}: {:?}", command.as_std().get_program());
            let output = migrator::finish(command).await;
            assert_one_line(&output, line, &shown);
            assert!(!migrator::printed(&output).contains("s3cret"), "{shown}");
        }
    }
}

#[tokio::test]
async fn percent_encoding_covers_every_special_character() {
    assert_eq!(
        percent_encoded(PASSWORD),
        "p%40ss%3Aw%2Fo%23rd%25%3F%26%27%22%20x"
    );
}

/// Every command that connects, through each tool, the two backups into `dirs`.
fn every_command(url: &str, dirs: &[String; 2]) -> Vec<tokio::process::Command> {
    let pg_dump = devdb::embedded::tool("pg_dump").expect("pg_dump");
    let pg_dump = pg_dump.to_str().expect("utf-8");
    vec![
        migrator::command(url, &["up", "--backup", &dirs[0], "--pg-dump", pg_dump]),
        migrator::command(url, &["status"]),
        migrator::command(url, &["verify"]),
        migrator::command(url, &["drift"]),
        migrator::command(url, &["down", "--num", "1"]),
        migrator::xtask_command(url, &["migrate", "--backup", &dirs[1]]),
        migrator::xtask_command(url, &["migrate", "status"]),
        seeding(migrator::seed_command(url, &["--profile", "prod"])),
        seeding(migrator::xtask_command(url, &["seed", "--profile", "prod"])),
    ]
}

/// The same database command through each binary: `migration up`, `seed --profile prod`,
/// `cargo xtask migrate`, with a minute's wait as a deploy would have.
fn every_binary(url: &str) -> Vec<tokio::process::Command> {
    let mut commands = vec![
        migrator::command(url, &["up"]),
        seeding(migrator::seed_command(url, &["--profile", "prod"])),
        migrator::xtask_command(url, &["migrate"]),
    ];
    for command in &mut commands {
        command.env("MIGRATE_WAIT", "60s");
    }
    commands
}

fn seeding(mut command: tokio::process::Command) -> tokio::process::Command {
    command.env("SEED_SUPER_ADMIN_EMAIL", "admin@example.com");
    command
}

/// Exit code 1 and exactly `line` on stderr, nothing else.
fn assert_one_line(output: &Output, line: &str, shown: &str) {
    assert_eq!(
        output.status.code(),
        Some(1),
        "{shown}: {}",
        migrator::printed(output)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim_end(),
        line,
        "{shown}"
    );
}

/// Neither the password nor its encoded form was printed.
fn assert_secret_kept(output: &Output, shown: &str) {
    let printed = migrator::printed(output);
    for secret in [PASSWORD, &percent_encoded(PASSWORD), "p@ss", "o#rd"] {
        assert!(
            !printed.contains(secret),
            "{shown} printed the password: {printed}"
        );
    }
}
