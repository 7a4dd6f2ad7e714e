//! Connection URLs and database names: parsing with a clear error, redaction, swapping and
//! quoting the database name.

use anyhow::{Context, bail};
use url::Url;

/// Parses a PostgreSQL URL, with an error that names the fix and never the password.
pub fn parse(raw: &str) -> anyhow::Result<Url> {
    // Checked first: such a URL may parse, with part of the password taken for the host.
    if delimiter_in_userinfo(raw) {
        bail!(
            "the user or password in database URL {} holds an unencoded `/`, `?` or `#`: \
             percent-encode them (%2F, %3F, %23; also @ as %40, % as %25, space as %20)",
            redact(raw)
        );
    }
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

/// Whether an `@` comes after a `/`, `?` or `#` that ends the authority, outside a query
/// value: the user's userinfo holds one of those unencoded, so a parser would take part of
/// the password for the host, the port or the path.
fn delimiter_in_userinfo(raw: &str) -> bool {
    let Some(start) = raw.find("://").map(|i| i + 3) else {
        return false;
    };
    let rest = &raw[start..];
    let Some(end) = rest.find(['/', '?', '#']) else {
        return false;
    };
    // `?application_name=me@corp` is a query value, not a password.
    let before_values = rest[end..].split('=').next().unwrap_or_default();
    before_values.contains('@')
}

/// Replaces the password of a URL (and a `password` query parameter) with `***`. Text that
/// does not parse, or whose userinfo holds an unencoded delimiter, is redacted between the
/// scheme's `://` and the last `@`, so a malformed URL still never shows its secret.
pub fn redact(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if !delimiter_in_userinfo(raw) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            }
            if url.query_pairs().any(|(k, _)| k == "password") {
                let pairs: Vec<(String, String)> = url
                    .query_pairs()
                    .map(|(k, v)| {
                        let v = if k == "password" { "***".into() } else { v };
                        (k.into_owned(), v.into_owned())
                    })
                    .collect();
                url.query_pairs_mut().clear().extend_pairs(pairs);
            }
            url.to_string()
        }
        _ => match (raw.find("://"), raw.rfind('@')) {
            (Some(start), Some(end)) if end > start + 3 => {
                let userinfo = &raw[start + 3..end];
                let user = userinfo.split(':').next().unwrap_or("");
                format!("{}{user}:***{}", &raw[..start + 3], &raw[end..])
            }
            // No `@`: what follows the first `:` may be a port or a password; hide it.
            (Some(start), _) => {
                let rest = &raw[start + 3..];
                match rest.find(':') {
                    Some(colon) => format!("{}:***", &raw[..start + 3 + colon]),
                    None => raw.split(['?', '#']).next().unwrap_or_default().to_string(),
                }
            }
            // Not a URL at all: it may be the password itself.
            (None, _) => "(not shown)".to_string(),
        },
    }
}

/// The URL's password, percent-decoded as the drivers read it (`p%40ss` is `p@ss`), from its
/// userinfo or its `password` query parameter.
pub fn password(raw: &str) -> anyhow::Result<Option<String>> {
    let url = parse(raw)?;
    if let Some((_, value)) = url.query_pairs().find(|(k, _)| k == "password") {
        return Ok(Some(value.into_owned()));
    }
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
    if url.query_pairs().any(|(k, _)| k == "password") {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "password")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
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

/// Whether the URL's host is the loopback interface or a local socket. A `host` query
/// parameter wins over the authority's host, as it does for the driver; a host starting with
/// `/` (percent-encoded or not) is a socket directory.
pub fn is_local(raw: &str) -> bool {
    let Ok(url) = Url::parse(raw) else {
        return false;
    };
    let host = match url.query_pairs().find(|(k, _)| k == "host") {
        Some((_, value)) => value.into_owned(),
        None => match url.host_str() {
            Some(host) => percent_encoding::percent_decode_str(host)
                .decode_utf8_lossy()
                .into_owned(),
            None => return false,
        },
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host.starts_with('/')
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
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
    fn unencoded_delimiters_in_the_password_are_refused_without_showing_it() {
        for (raw, secret, shown) in [
            (
                "postgres://app:12/ss@db.example.com:5432/agents",
                "12/ss",
                "postgres://app:***@db.example.com:5432/agents",
            ),
            (
                "postgres://app:pa#ss@db.example.com/agents",
                "pa#ss",
                "postgres://app:***@db.example.com/agents",
            ),
            (
                "postgres://app:1?x@db.example.com/agents",
                "1?x",
                "postgres://app:***@db.example.com/agents",
            ),
            (
                "postgres://app:p@ss/x@db.example.com/agents?sslmode=require",
                "p@ss/x",
                "postgres://app:***@db.example.com/agents?sslmode=require",
            ),
        ] {
            let err = parse(raw).unwrap_err().to_string();
            assert_eq!(
                err,
                format!(
                    "the user or password in database URL {shown} holds an unencoded `/`, `?` \
                     or `#`: percent-encode them (%2F, %3F, %23; also @ as %40, % as %25, space \
                     as %20)"
                ),
                "{raw}"
            );
            assert_eq!(redact(raw), shown, "{secret}");
        }
    }

    #[test]
    fn an_at_sign_in_a_query_value_is_not_a_password() {
        let url = "postgres://app:pw@db.example.com/agents?application_name=me@corp";
        assert!(parse(url).is_ok());
        assert_eq!(password(url).unwrap().as_deref(), Some("pw"));
    }

    #[test]
    fn a_password_parameter_is_decoded_redacted_and_left_out() {
        let url = "postgres://app@db.example.com/agents?sslmode=disable&password=s%40cret";
        assert_eq!(password(url).unwrap().as_deref(), Some("s@cret"));
        assert_eq!(
            redact(url),
            "postgres://app@db.example.com/agents?sslmode=disable&password=***"
        );
        assert_eq!(
            without_password(url).unwrap(),
            "postgres://app@db.example.com/agents?sslmode=disable"
        );
    }

    #[test]
    fn text_that_is_no_url_is_never_shown() {
        assert_eq!(redact("hunter2"), "(not shown)");
        assert_eq!(redact("postgres://app:s3cret"), "postgres://app:***");
        let err = parse("postgres://app:s3cret").unwrap_err().to_string();
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn every_special_character_survives_percent_encoding() {
        let url = "postgres://app:%40%3A%2F%23%25%3F%26%27%22%20x@db.example.com/agents";
        assert_eq!(password(url).unwrap().as_deref(), Some("@:/#%?&'\" x"));
        assert_eq!(redact(url), "postgres://app:***@db.example.com/agents");
    }

    #[test]
    fn only_loopback_hosts_count_as_local() {
        assert!(is_local("postgres://u@127.0.0.1:5432/db"));
        assert!(is_local("postgres://u@localhost/db"));
        assert!(is_local("postgres://u@[::1]:5432/db"));
        assert!(!is_local("postgres://u@10.0.0.5/db"));
        assert!(!is_local("postgres://u@db.prod.internal/db"));
        assert!(is_local("postgres://u@[::ffff:127.0.0.1]/db"));
        assert!(is_local("postgres://u@%2Fvar%2Frun%2Fpostgresql/db"));
        assert!(is_local(
            "postgres://u@localhost/db?host=/var/run/postgresql"
        ));
        // The driver connects to the `host` parameter, not to the authority's host.
        assert!(!is_local("postgres://u@localhost/db?host=db.prod.internal"));
    }

    #[test]
    fn switching_database_keeps_credentials_and_host() {
        let url = with_database("postgres://u:p@127.0.0.1:5433/postgres", "agents_dev").unwrap();
        assert_eq!(url, "postgres://u:p@127.0.0.1:5433/agents_dev");
        assert_eq!(database_name(&url).unwrap(), "agents_dev");
    }
}
