//! The refusal of a database this build did not migrate, before a command reads or maintains
//! its schema: checked against nothing but one line naming the fix, instead of hundreds of
//! findings on an empty database or a repair that reports success on a stranger.

use anyhow::bail;
use deployer::{Settings, State};
use sea_orm::DatabaseConnection;

/// Fails when the database at `origin` has none of this build's migrations, or has one this
/// build lacks or changed; migrations still pending are fine (a partly migrated database is
/// this build's).
pub async fn require(db: &DatabaseConnection, origin: &str) -> anyhow::Result<()> {
    let deployer = migration::deployer(Settings::default()).await?;
    let status = deployer.status(db).await?;
    if let Some(problem) = status.conflicts().first() {
        bail!("{origin} was not migrated by this build: {problem}");
    }
    if status
        .entries
        .iter()
        .all(|(_, state)| *state == State::Pending)
    {
        bail!(
            "{origin} has none of this project's migrations applied: run `migration up` on it \
             first, or check that the URL names the platform's database"
        );
    }
    Ok(())
}
