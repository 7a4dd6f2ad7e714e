//! TLS on the way to the server: required for every non-local host unless the URL says not.
//!
//! sqlx and libpq (pg_dump, pg_restore) default to `sslmode=prefer`: TLS when the server
//! offers it, plaintext when it does not, and the certificate never checked, so anyone on the
//! network path can strip TLS and read the password exchange and the data. A URL to a host that
//! is not this machine and names no `sslmode` therefore gets `sslmode=require`; the user
//! chooses `verify-full` (with `sslrootcert=CA.pem`) to check the server's certificate and
//! name, and only an `sslmode=disable` (or `allow`, `prefer`) written in the URL connects
//! without TLS.

use std::path::Path;

use anyhow::bail;

use crate::url::{is_local, parse, redact};

/// The modes that refuse a server without TLS.
const REQUIRING: [&str; 3] = ["require", "verify-ca", "verify-full"];

/// The URL to connect to: `url` itself when its host is local or it names an `sslmode`, else
/// `url` with `sslmode=require`. A `PGSSLMODE` that already requires TLS (sqlx and libpq both
/// read it) is left to do so, so a stricter `verify-full` there is never weakened.
pub fn require_for_remote(url: &str) -> anyhow::Result<String> {
    with_default(url, std::env::var("PGSSLMODE").ok().as_deref())
}

fn with_default(url: &str, pgsslmode: Option<&str>) -> anyhow::Result<String> {
    let mut parsed = parse(url)?;
    let named = parsed
        .query_pairs()
        .any(|(k, _)| k == "sslmode" || k == "ssl-mode");
    let env_requires = pgsslmode.is_some_and(|mode| REQUIRING.contains(&mode.trim()));
    if named || env_requires || is_local(url) {
        return Ok(url.to_owned());
    }
    parsed.query_pairs_mut().append_pair("sslmode", "require");
    Ok(parsed.to_string())
}

/// The URL's `sslmode` as the connection will use it, for messages.
pub fn mode(url: &str) -> String {
    parse(url)
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "sslmode" || k == "ssl-mode")
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_else(|| "prefer".into())
}

/// Fails when the URL names a CA file (`sslrootcert`) that is not there: the driver would
/// report only "No such file or directory", naming neither the file nor the parameter.
pub fn check_files(url: &str) -> anyhow::Result<()> {
    let parsed = parse(url)?;
    for (key, value) in parsed.query_pairs() {
        let is_file = matches!(key.as_ref(), "sslrootcert" | "ssl-root-cert" | "ssl-ca")
            && !value.starts_with("-----BEGIN");
        if is_file && !Path::new(value.as_ref()).is_file() {
            bail!(
                "the {key} file {value} of database URL {} does not exist: fix the path (the \
                 CA certificate that signed the server's, in PEM)",
                redact(url)
            );
        }
    }
    Ok(())
}

/// A TLS failure of the driver as one line naming the fix, or `None` for other failures.
pub fn explain(url: &str, cause: &str) -> Option<String> {
    let shown = redact(url);
    let mode = mode(url);
    let lower = cause.to_lowercase();
    if lower.contains("server does not support tls") {
        return Some(format!(
            "refusing to connect without TLS: PostgreSQL at {shown} does not offer it \
             (sslmode={mode}; a non-local host requires TLS by default): turn on ssl in the \
             server's postgresql.conf, or add sslmode=disable to the URL if the network to it \
             is trusted"
        ));
    }
    if lower.contains("notvalidforname") || lower.contains("not valid for name") {
        let host = parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        return Some(format!(
            "the TLS certificate of {shown} is not valid for host `{host}` (sslmode={mode}): \
             connect by a name the certificate lists, or reissue the certificate for this name"
        ));
    }
    let untrusted = ["unknownissuer", "invalid peer certificate", "badsignature"];
    if untrusted.iter().any(|needle| lower.contains(needle)) {
        let detail = cause.rsplit(": ").next().unwrap_or(cause).trim();
        return Some(format!(
            "the TLS certificate of {shown} is not trusted ({detail}; sslmode={mode}): set \
             sslrootcert in the URL to the CA certificate that signed the server's"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_host_without_sslmode_gets_require() {
        let url = "postgres://app:p%40ss@db.example.com:5432/agents";
        assert_eq!(
            with_default(url, None).unwrap(),
            "postgres://app:p%40ss@db.example.com:5432/agents?sslmode=require"
        );
        let with_query = "postgres://app@db.example.com/agents?application_name=api";
        assert_eq!(
            with_default(with_query, None).unwrap(),
            "postgres://app@db.example.com/agents?application_name=api&sslmode=require"
        );
        // A PGSSLMODE that disables TLS is not the URL's explicit choice.
        assert!(
            with_default(url, Some("disable"))
                .unwrap()
                .ends_with("sslmode=require")
        );
    }

    #[test]
    fn an_explicit_sslmode_or_a_local_host_is_left_alone() {
        for url in [
            "postgres://app@db.example.com/agents?sslmode=disable",
            "postgres://app@db.example.com/agents?sslmode=verify-full&sslrootcert=/ca.pem",
            "postgres://app@127.0.0.1:5432/agents",
            "postgres://app@localhost/agents",
            "postgres://app@[::1]/agents",
            "postgres://app@localhost/agents?host=/var/run/postgresql",
        ] {
            assert_eq!(with_default(url, None).unwrap(), url);
        }
        // PGSSLMODE=verify-full already requires more than `require` would.
        let remote = "postgres://app@db.example.com/agents";
        assert_eq!(with_default(remote, Some("verify-full")).unwrap(), remote);
    }

    #[test]
    fn tls_failures_name_the_fix_and_never_the_password() {
        let url = "postgres://app:hunter2@db.example.com/agents?sslmode=verify-full";
        let plain = explain(
            "postgres://app:hunter2@db.example.com/agents",
            "error occurred while attempting to establish a TLS connection: server does not support TLS",
        )
        .unwrap();
        assert!(
            plain.starts_with("refusing to connect without TLS"),
            "{plain}"
        );
        assert!(plain.contains("sslmode=disable"), "{plain}");
        let untrusted = explain(
            url,
            "error occurred while attempting to establish a TLS connection: invalid peer certificate: UnknownIssuer",
        )
        .unwrap();
        assert!(
            untrusted.contains("(UnknownIssuer; sslmode=verify-full)"),
            "{untrusted}"
        );
        assert!(untrusted.ends_with(
            "set sslrootcert in the URL to the CA certificate that signed the server's"
        ));
        for line in [&plain, &untrusted] {
            assert!(!line.contains("hunter2"), "{line}");
        }
        assert!(explain(url, "Connection refused (os error 111)").is_none());
    }

    #[test]
    fn a_missing_ca_file_is_named() {
        let url = "postgres://app:hunter2@db.example.com/agents?sslmode=verify-full&sslrootcert=/nowhere/ca.pem";
        let err = check_files(url).unwrap_err().to_string();
        assert!(
            err.starts_with("the sslrootcert file /nowhere/ca.pem"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }
}
