//! A helper run in a process of its own: the online tests start this test binary again with
//! one job, so they can SIGKILL a backfill as a deploy's pod would be killed, and read what a
//! waiting helper logs, as an operator would.

use std::time::Duration;

use deployer::online::{self, Backfill, OnlineIndex, ReplicaLag};

/// Which job the child runs: one of the `JOB_*` names.
const JOB: &str = "SMOKE_ONLINE_JOB";
/// The database it runs on.
const URL: &str = "SMOKE_ONLINE_URL";
/// Its replica-lag bound, in milliseconds.
const MAX_LAG_MS: &str = "SMOKE_ONLINE_MAX_LAG_MS";

/// Fill `messages."charCount"` and count each row's fills in `messages.fills`.
pub const JOB_MESSAGES_BACKFILL: &str = "messages-backfill";
/// Build the online index `items_code_idx`.
pub const JOB_ITEMS_INDEX: &str = "items-index";
/// Count each row's fills in `items.fills`.
pub const JOB_ITEMS_BACKFILL: &str = "items-backfill";

/// The application name of the child's sessions, so a test can wait for a killed one's to end.
pub const APPLICATION: &str = "smoke-online-child";

/// The backfill of `messages` the kill test interrupts: small batches, so it runs long
/// enough to be killed twice.
pub fn messages_backfill() -> Backfill<'static> {
    Backfill {
        batch_size: 50,
        ..Backfill::new(
            "messages_char_count",
            "public",
            "messages",
            r#""charCount" = length("content"), "fills" = coalesce("fills", 0) + 1"#,
        )
    }
}

/// A `cargo test` process running only [`online_helper_child`] with `job` on `url`.
pub fn command(job: &str, url: &str, max_lag: Duration) -> tokio::process::Command {
    let separator = if url.contains('?') { '&' } else { '?' };
    let mut command = tokio::process::Command::new(std::env::current_exe().expect("test binary"));
    command
        .args([
            "online::child::online_helper_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(JOB, job)
        .env(
            URL,
            format!("{url}{separator}application_name={APPLICATION}"),
        )
        .env(MAX_LAG_MS, max_lag.as_millis().to_string())
        .env("RUST_LOG", "info")
        .kill_on_drop(true)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    command
}

#[tokio::test]
#[ignore = "the child process of the online tests, which start it themselves"]
async fn online_helper_child() {
    let (Ok(job), Ok(url)) = (std::env::var(JOB), std::env::var(URL)) else {
        return;
    };
    dbconn::logging::init();
    let max_lag = Duration::from_millis(
        std::env::var(MAX_LAG_MS)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000),
    );
    let db = dbconn::connect(&url).await.expect("connect");
    match job.as_str() {
        JOB_MESSAGES_BACKFILL => {
            let job = Backfill {
                max_replica_lag: Some(max_lag),
                ..messages_backfill()
            };
            online::backfill(&db, &job).await.expect("backfill");
        }
        JOB_ITEMS_INDEX => {
            let index = OnlineIndex {
                lock_timeout: Duration::from_secs(2),
                ..OnlineIndex::new("items_code_idx", "public", "items", &["code"])
            };
            let mut lag = ReplicaLag::new(max_lag);
            online::create_index_throttled(&db, &index, &mut lag)
                .await
                .expect("online index");
        }
        JOB_ITEMS_BACKFILL => {
            let job = Backfill {
                batch_size: 500,
                max_replica_lag: Some(max_lag),
                ..Backfill::new(
                    "items_fills",
                    "public",
                    "items",
                    r#""fills" = coalesce("fills", 0) + 1"#,
                )
            };
            online::backfill(&db, &job).await.expect("backfill");
        }
        other => panic!("unknown child job {other}"),
    }
}
