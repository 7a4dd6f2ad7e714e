//! The guard in front of commands meant for development databases only (`fresh`, `reset`,
//! `down --all`, the dev and load seeds).

use anyhow::bail;

use crate::url::{is_local, redact};

/// Refuses `action`, which destroys data, when `APP_ENV=production`, always, and on a
/// non-local host unless `force`. It needs only the URL: callers run it before connecting.
pub fn destructive(action: &str, url: &str, force: bool) -> anyhow::Result<()> {
    development_only(
        action,
        url,
        force,
        "this command destroys data; run it against a development database",
    )
}

/// Refuses `action` when `APP_ENV=production`, saying `fix`, and on a non-local host unless
/// `force`.
pub fn development_only(action: &str, url: &str, force: bool, fix: &str) -> anyhow::Result<()> {
    check(
        action,
        url,
        force,
        fix,
        std::env::var("APP_ENV").ok().as_deref(),
    )
}

/// Whether `APP_ENV=production`: the environment where destructive commands refuse and a
/// deploy must say how it is backed up.
pub fn is_production() -> bool {
    production(std::env::var("APP_ENV").ok().as_deref())
}

fn production(app_env: Option<&str>) -> bool {
    app_env.is_some_and(|env| env.eq_ignore_ascii_case("production"))
}

fn check(
    action: &str,
    url: &str,
    force: bool,
    fix: &str,
    app_env: Option<&str>,
) -> anyhow::Result<()> {
    if production(app_env) {
        bail!("refusing to {action}: APP_ENV=production ({fix})");
    }
    if !is_local(url) && !force {
        bail!(
            "refusing to {action} on non-local host {}: pass --force if this database is really disposable",
            redact(url)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_is_refused_even_with_force() {
        let err = check(
            "reset the database",
            "postgres://u@127.0.0.1/db",
            true,
            "fix",
            Some("production"),
        );
        assert!(err.unwrap_err().to_string().contains("APP_ENV=production"));
    }

    #[test]
    fn remote_hosts_need_force_and_never_show_the_password() {
        let remote = "postgres://app:s3cret@db.prod.internal/agents";
        let err = check("reset the database", remote, false, "fix", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--force") && !err.contains("s3cret"), "{err}");
        assert!(check("reset the database", remote, true, "fix", Some("staging")).is_ok());
    }

    #[test]
    fn local_development_databases_pass() {
        assert!(
            check(
                "reset the database",
                "postgres://u@localhost/db",
                false,
                "fix",
                Some("development")
            )
            .is_ok()
        );
    }
}
