//! `cargo xtask lint`: lint the SQL every migration emits (rendered without a database, as
//! for checksums) against the rules of squawk and strong_migrations.

use anyhow::Context;
use migration::{Migrator, MigratorTrait};

pub async fn run() -> anyhow::Result<()> {
    let mut rendered = Vec::new();
    for migration in Migrator::migrations() {
        let name = migration.name().to_owned();
        let statements = migration::render::render_up(migration.as_ref())
            .await
            .with_context(|| format!("render {name}"))?;
        rendered.push((name, statements));
    }
    let input: Vec<(&str, &[String])> = rendered
        .iter()
        .map(|(name, sql)| (name.as_str(), sql.as_slice()))
        .collect();
    // migration::deploy runs every migration on a session with this lock_timeout.
    let timeout = migration::deploy::Settings::default().ddl_lock_timeout;
    let session = if timeout.is_zero() {
        Vec::new()
    } else {
        vec![format!("SET lock_timeout = '{}ms'", timeout.as_millis())]
    };
    let problems = dbcheck::lint::lint(&input, &session, dbcheck::lint::ALLOWED);
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
