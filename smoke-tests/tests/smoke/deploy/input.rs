//! Bad flags and variables, for the `migration` and `seed` binaries and for `cargo xtask`: one line naming the flag and a good value, exit code 1, the database unchanged.

use smoke_tests::{TestDb, migrator};

use super::Snapshot;

/// How one run was started, and the one line it must print.
struct Case {
    tool: fn(&str, &[&str]) -> tokio::process::Command,
    args: &'static [&'static str],
    env: Option<(&'static str, &'static str)>,
    line: String,
}

const LOCK_TIMEOUT_FLAG: &str =
    "error: invalid value `abc` for --lock-timeout: expected a duration, e.g. --lock-timeout 60s";
const LOCK_TIMEOUT_VAR: &str = "error: invalid value `abc` in MIGRATE_LOCK_TIMEOUT \
     (--lock-timeout): expected a duration, e.g. MIGRATE_LOCK_TIMEOUT=60s";
const RETRIES: &str =
    "error: invalid value `-1` for --retries: expected a whole number, e.g. --retries 3";
const WAIT: &str =
    "error: invalid value `forever` for --wait: expected a duration, e.g. --wait 60s";
const HANG: &str = "error: invalid value `0s` for --hang-timeout: expected a duration of at \
     least 1s, e.g. --hang-timeout 20s";
const HANG_VAR: &str = "error: invalid value `soon` in MIGRATE_HANG_TIMEOUT (--hang-timeout): \
     expected a duration, e.g. MIGRATE_HANG_TIMEOUT=20s";
const PROFILE: &str = "error: invalid value `staging` for --profile: expected one of dev, prod, \
     load, e.g. --profile dev";
const SCALE: &str =
    "error: invalid value `lots` for --scale: expected a whole number, e.g. --scale 5000";

fn case(
    tool: fn(&str, &[&str]) -> tokio::process::Command,
    args: &'static [&'static str],
    env: Option<(&'static str, &'static str)>,
    line: impl Into<String>,
) -> Case {
    Case {
        tool,
        args,
        env,
        line: line.into(),
    }
}

/// The `migration` binary's bad flags and variables.
fn migration_cases() -> Vec<Case> {
    let migration = migrator::command;
    vec![
        case(
            migration,
            &["up", "--lock-timeout", "abc"],
            None,
            LOCK_TIMEOUT_FLAG,
        ),
        case(
            migration,
            &["up"],
            Some(("MIGRATE_LOCK_TIMEOUT", "abc")),
            LOCK_TIMEOUT_VAR,
        ),
        case(migration, &["up", "--retries", "-1"], None, RETRIES),
        case(migration, &["up", "--wait", "forever"], None, WAIT),
        case(migration, &["up", "--hang-timeout", "0s"], None, HANG),
        case(
            migration,
            &["status"],
            Some(("MIGRATE_HANG_TIMEOUT", "soon")),
            HANG_VAR,
        ),
        case(
            migration,
            &["down", "--num", "x"],
            None,
            "error: invalid value `x` for --num: expected a whole number, e.g. --num 1",
        ),
        case(
            migration,
            &["up", "--lock-timout", "5s"],
            None,
            "error: unknown flag `--lock-timout` (did you mean --lock-timeout?): see migration --help",
        ),
        case(
            migration,
            &["sideways"],
            None,
            "error: unknown command `sideways`: expected one of up, down, status, fresh, refresh, \
             reset, resolve, backups, restore, drift, verify, repair, rotate-key, monitor",
        ),
    ]
}

/// The `seed` binary's and xtask's.
fn seed_and_xtask_cases() -> Vec<Case> {
    let seed = migrator::seed_command;
    let xtask = migrator::xtask_command;
    vec![
        case(seed, &["--profile", "staging"], None, PROFILE),
        case(seed, &["--profile", "load", "--scale", "lots"], None, SCALE),
        case(
            xtask,
            &["migrate", "--lock-timeout", "abc"],
            None,
            LOCK_TIMEOUT_FLAG,
        ),
        case(
            xtask,
            &["migrate"],
            Some(("MIGRATE_LOCK_TIMEOUT", "abc")),
            LOCK_TIMEOUT_VAR,
        ),
        case(xtask, &["migrate", "--retries", "-1"], None, RETRIES),
        case(xtask, &["migrate", "--wait", "forever"], None, WAIT),
        case(
            xtask,
            &["migrate", "--phase", "9"],
            None,
            format!(
                "error: unknown phase 9 (--phase): phases are 1 to {}, e.g. --phase 2",
                migration::last_phase()
            ),
        ),
        case(xtask, &["seed", "--profile", "staging"], None, PROFILE),
    ]
}

#[tokio::test]
async fn bad_flags_and_variables_are_one_line_and_change_nothing() {
    let test = TestDb::new("bad_flags_and_variables").await;
    migration::up_through_phase(&test.db, Some(1))
        .await
        .expect("phase 1");
    let before = Snapshot::read(&test.db).await;
    for case in migration_cases().into_iter().chain(seed_and_xtask_cases()) {
        let mut command = (case.tool)(&test.url, case.args);
        if let Some((name, value)) = case.env {
            command.env(name, value);
        }
        let shown = format!("{:?} {:?}", command.as_std().get_program(), case.args);
        let output = migrator::finish(command).await;
        assert_eq!(
            output.status.code(),
            Some(1),
            "{shown}: {}",
            migrator::printed(&output)
        );
        assert_eq!(
            String::from_utf8_lossy(&output.stderr).trim_end(),
            case.line,
            "{shown}"
        );
        assert!(output.stdout.is_empty(), "{shown}");
    }
    assert_eq!(Snapshot::read(&test.db).await, before);
}

#[tokio::test]
async fn a_missing_database_url_names_the_flag_and_the_variable() {
    let output = migrator::finish({
        let mut command = migrator::command("unused", &["up"]);
        command.env_remove("DATABASE_URL");
        command
    })
    .await;
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim_end(),
        "error: missing --database-url (or MIGRATION_DATABASE_URL, DIRECT_URL or DATABASE_URL, \
         the first set wins, or --targets FILE), e.g. postgres://USER:PASSWORD@HOST:PORT/DATABASE"
    );
}
