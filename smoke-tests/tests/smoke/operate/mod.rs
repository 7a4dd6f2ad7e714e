//! Operating after the deploy, through the shipped binary: the monitor, readiness, backups
//! and restore (encrypted too), the analyze after a deploy, and migrating behind a pooler.

mod analyze;
pub(crate) mod backup;
mod encrypted_backup;
mod monitor;
mod pooler;
mod statements;
mod status;

use std::process::Output;

use serde_json::Value;
use smoke_tests::migrator;

/// A `migration` command on `url` that must exit with `code`; returns its output.
pub async fn run_expecting(url: &str, args: &[&str], code: i32) -> Output {
    let output = migrator::run(url, args).await;
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?}: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    output
}

/// `migration monitor --json` with `args` on `url`, exiting with `code`; its report, parsed.
pub async fn monitor_json(url: &str, args: &[&str], code: i32) -> Value {
    let mut all = vec!["monitor", "--json"];
    all.extend_from_slice(args);
    let output = run_expecting(url, &all, code).await;
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "monitor --json printed no JSON ({err}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// The findings of a report of one check, as (level, subject, message).
pub fn findings<'a>(report: &'a Value, check: &str) -> Vec<(&'a str, &'a str, &'a str)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["check"] == check)
        .map(|f| {
            let text = |key: &str| f[key].as_str().expect("a string");
            (text("level"), text("subject"), text("message"))
        })
        .collect()
}

/// A fresh directory for dumps, named after the test, under the temp dir.
pub fn dump_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("smoke_{test}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The file names in `dir`, sorted.
pub fn dumps(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read the backup directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The path of a PostgreSQL tool of the embedded binaries, as text for the command line.
pub fn embedded_tool(name: &str) -> String {
    devdb::embedded::tool(name)
        .unwrap_or_else(|err| panic!("{name} of the embedded binaries: {err:#}"))
        .display()
        .to_string()
}
