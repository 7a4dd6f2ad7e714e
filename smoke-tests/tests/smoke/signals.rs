//! `cargo xtask smoke` stopped by a signal leaves nothing behind: its tests are killed and its
//! throwaway server stopped and deleted.

use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use smoke_tests::migrator;

#[tokio::test]
async fn a_smoke_run_stopped_by_sigterm_kills_its_tests_and_removes_its_server() {
    let dir = std::env::temp_dir().join(format!("smoke_signals_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the test directory");
    let said = dir.join("server");
    // In place of the tests, a shell that says where the server is and who it is, then waits.
    let script = format!(
        "echo \"$$ $SMOKE_SERVER_URL\" > {}.part && mv {0}.part {0} && exec sleep 600",
        said.display()
    );
    let mut xtask = tokio::process::Command::new(migrator::xtask_binary());
    xtask
        .args(["smoke", "--run", "sh", "--", "-c", &script])
        .env_remove("DATABASE_URL")
        .env("SMOKE_DB", "embedded")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let running = xtask.spawn().expect("start cargo xtask smoke");
    let (tests_pid, url) = wait_for_the_server(&said).await;
    let data = data_directory(&url).await;

    let xtask_pid = running.id().expect("xtask's pid").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &xtask_pid])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -TERM {xtask_pid} failed");
    let output = tokio::time::timeout(Duration::from_secs(60), running.wait_with_output())
        .await
        .expect("xtask did not exit within a minute of SIGTERM")
        .expect("reap xtask");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("smoke: stopped by SIGTERM"), "{stderr}");
    assert!(
        !std::path::Path::new(&format!("/proc/{tests_pid}")).exists(),
        "the tests' process {tests_pid} outlived the run"
    );
    assert!(
        !std::path::Path::new(&data).exists(),
        "the server's data directory {data} is still there"
    );
    let address = dbconn::url::parse(&url).expect("the server's URL");
    let port = address.port().expect("a port");
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err(),
        "the server still listens on port {port}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The pid and server URL the stand-in for the tests wrote, once it has.
async fn wait_for_the_server(said: &std::path::Path) -> (String, String) {
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(said)
            && let Some((pid, url)) = text.trim().split_once(' ')
        {
            return (pid.to_owned(), url.to_owned());
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the smoke server never came up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Where the server at `url` keeps its data, which a removed throwaway server takes along.
async fn data_directory(url: &str) -> String {
    let db = dbconn::connect(url)
        .await
        .expect("the smoke server answers");
    let data = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SHOW data_directory",
        ))
        .await
        .expect("read the data directory")
        .expect("a row")
        .try_get_by_index::<String>(0)
        .expect("the data directory");
    db.close().await.ok();
    data
}
