//! `cargo xtask migrate diff --from head|empty|database --to entities|database`: the SQL that
//! takes one state of the schema to another, printed; nothing is changed. `head` is a shadow
//! database migrated to the last migration, `database` the dev database.

use anyhow::Context;
use dbcheck::catalog::Catalog;
use dbcheck::diff::{Change, database, plan, render};

use crate::flags::{DiffArgs, DiffFrom, DiffTo};

pub async fn run(args: &DiffArgs) -> anyhow::Result<()> {
    let target = devdb::migration_target().await?;
    let dev = || async {
        let db = dbconn::connect(&target.url).await?;
        let catalog = Catalog::load(&db).await;
        db.close().await.ok();
        catalog
    };
    let from = match args.from {
        DiffFrom::Head => shadow_catalog(&target.url).await?,
        DiffFrom::Empty => Catalog::default(),
        DiffFrom::Database => dev().await.context("read the dev database")?,
    };
    let (changes, behaviour) = match args.to {
        DiffTo::Entities => (plan(&dbcheck::entities::expected(), &from), Vec::new()),
        DiffTo::Database => {
            let to = dev().await.context("read the dev database")?;
            let changes = plan(&database::tables(&to), &from);
            (changes, database::behaviour(&from, &to))
        }
    };
    print!("{}", render(&changes));
    for line in &behaviour {
        println!("-- not rendered: {line}");
    }
    eprintln!(
        "migrate diff: {} change(s) from {} to {} ({} line(s) of functions, triggers, policies \
         or grants not rendered); nothing was changed",
        changes.len(),
        args.from.name(),
        args.to.name(),
        behaviour.len()
    );
    Ok(())
}

/// The catalog of a shadow database on the server of `url`: a scratch database migrated to
/// the head and dropped afterwards, never the dev database.
async fn shadow_catalog(url: &str) -> anyhow::Result<Catalog> {
    crate::erd::migrated_catalog(url, "shadow")
        .await
        .context("the shadow database")
}

/// The changes that take a shadow database migrated to the head to the entities.
pub(super) async fn shadow_plan(url: &str) -> anyhow::Result<Vec<Change>> {
    let catalog = shadow_catalog(url).await?;
    Ok(plan(&dbcheck::entities::expected(), &catalog))
}
