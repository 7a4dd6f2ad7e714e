//! Connection URLs and database names: parsing with a clear error, redaction, swapping and
//! quoting the database name.

use anyhow::{Context, bail};
use url::Url;

/// Parses a PostgreSQL URL, with an error that names the fix and never the password.
pub fn parse(raw: &str) -> anyhow::Result<Url> {
    let url = Url::parse(raw).ok().with_context(|| {
        format!(
            "malformed database URL {}: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE",
            redact(raw)
        )
    })?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        bail!(
            "unsupported database URL scheme `{}` in {}: only postgres:// is supported",
            url.scheme(),
            redact(raw)
        );
    }
    if url.host_str().is_none_or(str::is_empty) {
        bail!(
            "database URL {} has no host: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE",
            redact(raw)
        );
    }
    Ok(url)
}

/// Replaces the password of a URL with `***`. Text that does not parse is redacted between
/// the scheme's `://` and the last `@`, so a malformed URL still never shows its secret.
pub fn redact(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => match (raw.find("://"), raw.rfind('@')) {
            (Some(start), Some(end)) if end > start + 3 => {
                let userinfo = &raw[start + 3..end];
                let user = userinfo.split(':').next().unwrap_or("");
                format!("{}{user}:***{}", &raw[..start + 3], &raw[end..])
            }
            _ => raw.to_string(),
        },
    }
}

/// The URL's password, percent-decoded as the drivers read it (`p%40ss` is `p@ss`).
pub fn password(raw: &str) -> anyhow::Result<Option<String>> {
    let url = parse(raw)?;
    url.password()
        .map(|encoded| {
            percent_encoding::percent_decode_str(encoded)
                .decode_utf8()
                .map(|p| p.into_owned())
                .ok()
                .context("the password in the database URL is not valid UTF-8 once decoded")
        })
        .transpose()
}

/// The URL without its password, for a child process (pg_dump, psql) that takes the
/// password from its environment instead of its command line, where anyone can read it.
pub fn without_password(raw: &str) -> anyhow::Result<String> {
    let mut url = parse(raw)?;
    let _ = url.set_password(None);
    Ok(url.to_string())
}

/// Quotes an identifier for PostgreSQL, doubling embedded quotes.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The same server, another database.
pub fn with_database(raw: &str, database: &str) -> anyhow::Result<String> {
    let mut url = parse(raw)?;
    url.set_path(&format!("/{database}"));
    Ok(url.to_string())
}

/// The database name a URL points at.
pub fn database_name(raw: &str) -> anyhow::Result<String> {
    let url = parse(raw)?;
    Ok(url.path().trim_start_matches('/').to_string())
}

/// Whether the URL's host is the loopback interface or a local socket.
pub fn is_local(raw: &str) -> bool {
    match Url::parse(raw)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
    {
        Some(host) => {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            host == "localhost"
                || host.starts_with('/')
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_the_password_of_a_valid_url() {
        let shown = redact("postgres://app:s3cret@db.example.com:5432/agents");
        assert_eq!(shown, "postgres://app:***@db.example.com:5432/agents");
    }

    #[test]
    fn redaction_hides_the_password_of_a_malformed_url() {
        let shown = redact("postgres://app:s3cret@db.example.com:notaport/agents");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.starts_with("postgres://app:***@"), "{shown}");
    }

    #[test]
    fn malformed_urls_get_an_error_that_shows_the_expected_shape_but_not_the_secret() {
        let err = parse("postgres://app:s3cret@db:notaport/agents")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("postgres://USER:PASSWORD@HOST:PORT/DATABASE"),
            "{err}"
        );
        assert!(!err.contains("s3cret"), "{err}");
        assert!(parse("mysql://app@db/agents").is_err());
    }

    #[test]
    fn passwords_are_decoded_and_can_be_left_out() {
        let url = "postgres://app:p%40ss%3Aw%2Fo%23rd%20x@db.example.com/agents";
        assert_eq!(password(url).unwrap().as_deref(), Some("p@ss:w/o#rd x"));
        assert_eq!(
            without_password(url).unwrap(),
            "postgres://app@db.example.com/agents"
        );
        assert_eq!(password("postgres://app@db/agents").unwrap(), None);
    }

    #[test]
    fn only_loopback_hosts_count_as_local() {
        assert!(is_local("postgres://u@127.0.0.1:5432/db"));
        assert!(is_local("postgres://u@localhost/db"));
        assert!(is_local("postgres://u@[::1]:5432/db"));
        assert!(!is_local("postgres://u@10.0.0.5/db"));
        assert!(!is_local("postgres://u@db.prod.internal/db"));
    }

    #[test]
    fn switching_database_keeps_credentials_and_host() {
        let url = with_database("postgres://u:p@127.0.0.1:5433/postgres", "agents_dev").unwrap();
        assert_eq!(url, "postgres://u:p@127.0.0.1:5433/agents_dev");
        assert_eq!(database_name(&url).unwrap(), "agents_dev");
    }
}
