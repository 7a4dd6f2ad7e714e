//! Opening connections: waiting for the server, and driver errors turned into the fix.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};

use crate::liveness::Liveness;
use crate::url::{database_name, parse, password, redact};

/// Connects to `url` once. Failures become one line that says what went wrong and how to
/// fix it, with the password redacted.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_waiting(url, Duration::ZERO).await
}

/// Connects to `url`, retrying with backoff while the server cannot be reached (a deploy may
/// start before its database does), until `wait` has passed. Errors that waiting cannot fix,
/// such as a wrong password or a missing database, fail at once.
pub async fn connect_waiting(url: &str, wait: Duration) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, wait, None).await
}

/// [`connect_waiting`], with every session bounded by `liveness`: the server ends the
/// sessions of a client that vanished, and drops a peer the network lost, within its bound.
pub async fn connect_live(
    url: &str,
    wait: Duration,
    liveness: &Liveness,
) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, wait, Some(*liveness)).await
}

async fn connect_with(
    url: &str,
    wait: Duration,
    liveness: Option<Liveness>,
) -> anyhow::Result<DatabaseConnection> {
    parse(url)?;
    crate::tls::check_files(url)?;
    // What the driver is given; messages keep showing the URL as the user wrote it.
    let target = crate::tls::require_for_remote(url)?;
    let deadline = Instant::now() + wait;
    let mut backoff = Duration::from_millis(250);
    loop {
        // sqlx retries inside one attempt until its acquire timeout, so that timeout is what
        // remains of the wait (within bounds), or a dead server would hold us past the wait.
        let attempt = deadline
            .saturating_duration_since(Instant::now())
            .clamp(Duration::from_secs(2), Duration::from_secs(10));
        let err = match Database::connect(options(&target, attempt, liveness)).await {
            Ok(db) => return Ok(db),
            Err(err) => err,
        };
        let cause = hide_password(url, &err.to_string());
        let failure = explain(&target, &cause);
        let now = Instant::now();
        if !failure.transient || now >= deadline {
            if failure.transient && !wait.is_zero() {
                bail!(
                    "{} (waited {}s; raise --wait to wait longer)",
                    failure.message,
                    wait.as_secs()
                );
            }
            bail!("{}", failure.message);
        }
        tracing::info!("waiting for PostgreSQL at {}: {cause}", redact(url));
        tokio::time::sleep(backoff.min(deadline - now)).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

/// A driver message with the password taken out, as written in the URL and decoded.
fn hide_password(url: &str, message: &str) -> String {
    let mut shown = message.to_owned();
    let encoded = parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_owned));
    let decoded = password(url).ok().flatten();
    for secret in [encoded, decoded].into_iter().flatten() {
        if !secret.is_empty() {
            shown = shown.replace(&secret, "***");
        }
    }
    shown
}

fn options(url: &str, attempt: Duration, liveness: Option<Liveness>) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(4)
        .min_connections(0)
        .connect_timeout(attempt)
        .acquire_timeout(attempt)
        // sqlx logs every statement at info level; the commands report what matters themselves.
        .sqlx_logging(false);
    if let Some(liveness) = liveness {
        options.map_sqlx_postgres_opts(move |pg| liveness.apply(pg));
    }
    options
}

/// A connection failure as a sentence with the fix in it, and whether waiting may cure it.
struct Failure {
    message: String,
    transient: bool,
}

/// Turns a driver error into a sentence with the fix in it.
fn explain(url: &str, cause: &str) -> Failure {
    let shown = redact(url);
    let db = database_name(url).unwrap_or_default();
    let lower = cause.to_lowercase();
    let permanent = |message: String| Failure {
        message,
        transient: false,
    };
    if let Some(message) = crate::tls::explain(url, cause) {
        return permanent(message);
    }
    if lower.contains("unsupported startup parameter") {
        // PgBouncer refuses the `options` parameter that carries the session's timeouts; a
        // server never does, so this is a pooler, which cannot keep a session's lock either.
        permanent(format!(
            "refusing to connect through a connection pooler: {shown} does not keep its session \
             (it refuses the session's startup parameters), so the migration lock cannot be \
             held: set DIRECT_URL or MIGRATION_DATABASE_URL to the PostgreSQL server itself, not \
             the pooler"
        ))
    } else if lower.contains("password authentication failed") || lower.contains("no password") {
        permanent(format!(
            "wrong user or password for {shown}: fix the credentials in DATABASE_URL \
             (percent-encode special characters of the password, e.g. @ as %40, % as %25)"
        ))
    } else if lower.contains("does not exist") && lower.contains("role \"") {
        let user = parse(url)
            .map(|u| u.username().to_string())
            .unwrap_or_default();
        permanent(format!(
            "user `{user}` does not exist on {shown}: fix the user in DATABASE_URL"
        ))
    } else if lower.contains("does not exist") && lower.contains("database \"") {
        permanent(format!(
            "database `{db}` does not exist on {shown}: create it (createdb {db}) or fix DATABASE_URL"
        ))
    } else if lower.contains("connection refused")
        || lower.contains("timed out")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
        || lower.contains("pooltimedout")
        || lower.contains("starting up")
        || lower.contains("shutting down")
    {
        Failure {
            message: format!(
                "cannot reach PostgreSQL at {shown} ({cause}): start the server, fix DATABASE_URL, \
                 or unset DATABASE_URL to use the embedded server"
            ),
            transient: true,
        }
    } else {
        permanent(format!("cannot connect to {shown}: {cause}"))
    }
}

/// Fails with install instructions when the server cannot provide the `vector` extension.
pub async fn require_pgvector(db: &DatabaseConnection, url: &str) -> anyhow::Result<()> {
    let available = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'",
        ))
        .await
        .context("look up the vector extension")?
        .is_some();
    if !available {
        bail!(
            "PostgreSQL at {} has no pgvector (extension `vector`): install it on that server \
             (e.g. the postgresql-NN-pgvector package or the pgvector/pgvector image), \
             or unset DATABASE_URL to use the embedded server, which ships it",
            redact(url)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_errors_become_a_fix() {
        let url = "postgres://app:hunter2@db.example.com/agents";
        let wrong = explain(url, "password authentication failed for user \"app\"");
        assert!(
            wrong.message.starts_with("wrong user or password"),
            "{}",
            wrong.message
        );
        let missing = explain(
            url,
            "error returned from database: database \"agents\" does not exist",
        );
        assert!(
            missing.message.contains("createdb agents"),
            "{}",
            missing.message
        );
        let role = explain(
            url,
            "error returned from database: role \"app\" does not exist",
        );
        assert!(
            role.message.starts_with("user `app` does not exist"),
            "{}",
            role.message
        );
        let down = explain(url, "Connection refused (os error 111)");
        assert!(
            down.message.contains("start the server"),
            "{}",
            down.message
        );
        for failure in [&wrong, &missing, &role, &down] {
            assert!(!failure.message.contains("hunter2"), "{}", failure.message);
        }
    }

    #[test]
    fn only_an_unreachable_server_is_worth_waiting_for() {
        let url = "postgres://app:hunter2@db.example.com/agents";
        assert!(explain(url, "Connection refused (os error 111)").transient);
        assert!(explain(url, "the database system is starting up").transient);
        assert!(!explain(url, "password authentication failed for user \"app\"").transient);
        assert!(!explain(url, "database \"agents\" does not exist").transient);
    }
}
