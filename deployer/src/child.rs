//! The one way the deployer starts a child process (pg_dump, pg_restore): a tokio process,
//! awaited beside the run's heartbeat and killed with the run, that reaches the server with the
//! run's bounds on a lost peer on both sides.

use std::path::Path;
use std::process::Stdio;

use anyhow::Context;
use dbconn::Liveness;
use dbconn::url::without_password;

/// `program` with no input, killed when the run that started it drops it: a migrator that
/// gives up on a lost server takes its tools with it.
pub fn command(program: &Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(program);
    command.stdin(Stdio::null()).kill_on_drop(true);
    command
}

/// The URL a tool connects to: no password (it goes in the environment), TLS for a remote
/// host, and libpq's own keepalives and `tcp_user_timeout` set to the bound, so a lost
/// network cannot hang the tool.
pub fn bounded_url(url: &str, liveness: Liveness) -> anyhow::Result<String> {
    let direct = dbconn::tls::require_for_remote(&without_password(url)?)?;
    let mut target = url::Url::parse(&direct).context("database URL")?;
    let settings = liveness.session_settings();
    let get = |name: &str| {
        settings
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    target
        .query_pairs_mut()
        .append_pair("keepalives", "1")
        .append_pair("keepalives_idle", &get("tcp_keepalives_idle"))
        .append_pair("keepalives_interval", &get("tcp_keepalives_interval"))
        .append_pair("keepalives_count", &get("tcp_keepalives_count"))
        .append_pair("tcp_user_timeout", &get("tcp_user_timeout"));
    Ok(target.to_string())
}

/// The server side of the same bound, as `PGOPTIONS`, after any the environment gives. With
/// `idle_limits`, the session's idle limits too, so the server ends a tool's transaction that
/// waits on a silent client; pg_dump turns `idle_in_transaction_session_timeout` off for its
/// own long transaction, so it gets only the TCP settings.
pub fn server_options(liveness: Liveness, idle_limits: bool) -> String {
    let mut options: Vec<String> = std::env::var("PGOPTIONS").ok().into_iter().collect();
    options.extend(
        liveness
            .session_settings()
            .into_iter()
            .filter(|(name, _)| idle_limits || name.starts_with("tcp_"))
            .map(|(name, value)| format!("-c {name}={value}")),
    );
    options.join(" ")
}

/// What `program --version` prints, `None` when it cannot run.
pub async fn version(program: &Path) -> Option<String> {
    let output = command(program)
        .arg("--version")
        .stderr(Stdio::null())
        .output()
        .await
        .ok()?;
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}
