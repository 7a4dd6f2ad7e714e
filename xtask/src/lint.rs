//! `cargo xtask lint`: lint the SQL every migration emits (rendered without a database, as
//! for checksums) against the rules of squawk and strong_migrations.

use migration::{Migrator, MigratorTrait};

pub async fn run() -> anyhow::Result<()> {
    let rendered = deployer::render::render_all(Migrator::migrations()).await?;
    let input: Vec<(&str, &[String])> = rendered
        .iter()
        .map(|r| (r.name(), r.statements.as_slice()))
        .collect();
    // The deployer runs every migration on a session with this lock_timeout.
    let timeout = deployer::Settings::default().ddl_lock_timeout;
    let session = if timeout.is_zero() {
        Vec::new()
    } else {
        vec![format!("SET lock_timeout = '{}ms'", timeout.as_millis())]
    };
    // A migration that opts out of SeaORM's transaction (for CONCURRENTLY) is linted so.
    let outside: Vec<&str> = rendered
        .iter()
        .filter(|r| r.migration.use_transaction() == Some(false))
        .map(|r| r.name())
        .collect();
    let problems = dbcheck::lint::lint(&input, &session, &outside, dbcheck::lint::ALLOWED);
    for problem in &problems {
        println!("{problem}");
    }
    if problems.is_empty() {
        eprintln!("lint: {} migration(s) pass", rendered.len());
        Ok(())
    } else {
        anyhow::bail!(
            "{} lint finding(s): fix the migration, or allow it with a reason in \
             dbcheck/src/lint/allow.rs",
            problems.len()
        )
    }
}
