//! The shipped `migration` binary's library: this project's deployer settings and the
//! operations beside the deploy commands (`verify`, `repair`, `rotate-key`, `monitor`, the
//! fleet's verify), for the binary and for `cargo xtask`.

pub mod fleet;
pub mod known;
pub mod monitor;
pub mod repair;
pub mod rotate;

/// This project as the deployer serves it: [`migration::owned::project`], with a fleet's
/// canary verified by dbcheck after `up`.
pub fn project() -> deployer::Project {
    deployer::Project {
        verify: Some(|db, _url| Box::pin(fleet::verify_canary(db))),
        ..migration::owned::project()
    }
}

/// The safe deployer for this schema's migrations, with [`project`]'s settings.
pub async fn deployer(settings: deployer::Settings) -> anyhow::Result<deployer::Deployer> {
    Ok(migration::deployer(settings).await?.with_project(project()))
}

/// `drift`: the entities against the database, after checking this build migrated it.
pub async fn drift(db: &sea_orm::DatabaseConnection, origin: &str) -> anyhow::Result<()> {
    known::require(db, origin).await?;
    dbcheck::drift::report(db, origin).await
}
