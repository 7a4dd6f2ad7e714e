//! Connecting with errors that name the fix, and the checks every command needs first.

use std::time::Duration;

use anyhow::{Context, bail};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};

use crate::url::{database_name, parse, redact, with_database};

/// Connects to `url`. Failures become one line that says what went wrong and how to fix
/// it, with the password redacted.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let parsed = parse(url)?;
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(4)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        // sqlx logs every statement at info level; the commands report what matters themselves.
        .sqlx_logging(false);
    match Database::connect(options).await {
        Ok(db) => Ok(db),
        Err(err) => {
            let cause = err
                .to_string()
                .replace(parsed.password().unwrap_or("\u{0}"), "***");
            bail!("{}", explain(url, &cause))
        }
    }
}

/// Turns a driver error into a sentence with the fix in it.
fn explain(url: &str, cause: &str) -> String {
    let shown = redact(url);
    let db = database_name(url).unwrap_or_default();
    let lower = cause.to_lowercase();
    if lower.contains("password authentication failed") || lower.contains("no password") {
        format!("wrong user or password for {shown}: fix the credentials in DATABASE_URL")
    } else if lower.contains("does not exist") && lower.contains("role \"") {
        let user = crate::url::parse(url)
            .map(|u| u.username().to_string())
            .unwrap_or_default();
        format!("user `{user}` does not exist on {shown}: fix the user in DATABASE_URL")
    } else if lower.contains("does not exist") && lower.contains("database \"") {
        format!(
            "database `{db}` does not exist on {shown}: create it (createdb {db}) or fix DATABASE_URL"
        )
    } else if lower.contains("connection refused")
        || lower.contains("timed out")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
        || lower.contains("pooltimedout")
    {
        format!(
            "cannot reach PostgreSQL at {shown} ({cause}): start the server, fix DATABASE_URL, \
             or unset DATABASE_URL to use the embedded server"
        )
    } else {
        format!("cannot connect to {shown}: {cause}")
    }
}

/// Creates `database` on the server of `admin_url` if it is missing, and returns its URL.
pub async fn ensure_database(admin_url: &str, database: &str) -> anyhow::Result<String> {
    let admin = connect(admin_url).await?;
    let exists = admin
        .query_one_raw(Statement::from_sql_and_values(
            admin.get_database_backend(),
            "SELECT 1 FROM pg_database WHERE datname = $1",
            [database.into()],
        ))
        .await
        .context("look up database")?
        .is_some();
    if !exists {
        admin
            .execute_unprepared(&format!("CREATE DATABASE {}", quote_ident(database)))
            .await
            .with_context(|| format!("create database {database}"))?;
    }
    admin.close().await.ok();
    with_database(admin_url, database)
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

/// Quotes an identifier for PostgreSQL, doubling embedded quotes.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_errors_become_a_fix() {
        let url = "postgres://app:hunter2@db.example.com/agents";
        let wrong = explain(url, "password authentication failed for user \"app\"");
        assert!(wrong.starts_with("wrong user or password"), "{wrong}");
        let missing = explain(
            url,
            "error returned from database: database \"agents\" does not exist",
        );
        assert!(missing.contains("createdb agents"), "{missing}");
        let role = explain(
            url,
            "error returned from database: role \"app\" does not exist",
        );
        assert!(role.starts_with("user `app` does not exist"), "{role}");
        let down = explain(url, "Connection refused (os error 111)");
        assert!(down.contains("start the server"), "{down}");
        for line in [wrong, missing, down] {
            assert!(!line.contains("hunter2"), "{line}");
        }
    }
}
