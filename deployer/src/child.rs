//! The one way the deployer starts a child process (pg_dump, pg_restore): a tokio process,
//! awaited beside the run's heartbeat and killed with the run, that reaches the server with the
//! run's bounds on a lost peer on both sides.

use std::path::Path;
use std::process::Stdio;

use anyhow::Context;
use dbconn::Liveness;
use dbconn::url::without_password;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// `program` with no input, killed when the run that started it drops it: a migrator that
/// gives up on a lost server takes its tools with it.
pub fn command(program: &Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(program);
    command.stdin(Stdio::null()).kill_on_drop(true);
    command
}

/// The `application_name` of a tool's sessions, `<the project's> <tool>`: how the next run
/// finds what a lost run's tool left behind.
pub fn application(project: &str, tool: &str) -> String {
    format!("{project} {tool}")
}

/// The URL a tool connects to: no password (it goes in the environment), TLS for a remote
/// host, libpq's own keepalives and `tcp_user_timeout` set to the bound, so a lost network
/// cannot hang the tool, and the tool's `application` name, whatever the URL said.
pub fn bounded_url(url: &str, liveness: Liveness, application: &str) -> anyhow::Result<String> {
    let direct = dbconn::tls::require_for_remote(&without_password(url)?)?;
    let mut target = url::Url::parse(&direct).context("database URL")?;
    let kept: Vec<(String, String)> = target
        .query_pairs()
        .filter(|(k, _)| k != "application_name")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    target.query_pairs_mut().clear().extend_pairs(kept);
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
        .append_pair("tcp_user_timeout", &get("tcp_user_timeout"))
        .append_pair("application_name", application);
    // The serializer writes a space as `+`, which libpq keeps as a plus; `%20` it decodes.
    let query = target.query().unwrap_or_default().replace('+', "%20");
    target.set_query(Some(&query));
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

/// Ends the sessions named `application` on the database of `session` and waits until the
/// server has let them go; returns how many there were. Called under the migration lock, so a
/// session of a tool of this project is one a lost run left behind, or one this run ends on
/// purpose: the lock is never given up while a tool's transaction holds locks.
pub async fn end_sessions(session: &DatabaseConnection, application: &str) -> anyhow::Result<i64> {
    let sql = format!(
        "SELECT count(pg_terminate_backend(pid))::int8 FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name = '{}' \
           AND pid <> pg_backend_pid()",
        application.replace('\'', "''")
    );
    let mut first = None;
    for _ in 0..200 {
        let row = session
            .query_one_raw(Statement::from_string(session.get_database_backend(), &sql))
            .await
            .with_context(|| format!("end the sessions of {application}"))?;
        let left: i64 = row.map_or(Ok(0), |r| r.try_get_by_index(0))?;
        let first = *first.get_or_insert(left);
        if left == 0 {
            return Ok(first);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    anyhow::bail!("the sessions of `{application}` would not end: see pg_stat_activity")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_tools_url_has_no_password_its_own_name_and_the_bounds() {
        let url = "postgres://app:s3cret@127.0.0.1:5432/db?application_name=other&sslmode=disable";
        let bounded = bounded_url(
            url,
            Liveness::new(Duration::from_secs(20)),
            "x migrator pg_dump",
        )
        .unwrap();
        assert!(!bounded.contains("s3cret"), "{bounded}");
        assert!(!bounded.contains("application_name=other"), "{bounded}");
        assert!(bounded.contains("sslmode=disable"), "{bounded}");
        assert!(bounded.contains("tcp_user_timeout=20000"), "{bounded}");
        // libpq reads `+` as a plus sign, so a space must be `%20`.
        assert!(
            bounded.ends_with("application_name=x%20migrator%20pg_dump"),
            "{bounded}"
        );
    }
}
