//! `cargo xtask erd`: write docs/schema.md (and the manifest `cargo xtask verify` expects)
//! from a database migrated from scratch, or with `--check` say whether they are current.

use std::path::PathBuf;

use anyhow::Context;
use devdb::databases::Scratch;

use crate::flags::ErdArgs;

/// The generated files, relative to the workspace root.
pub const SCHEMA_DOC: &str = "docs/schema.md";
pub const VERIFY_MANIFEST: &str = "dbcheck/src/verify/expected.txt";

pub async fn run(args: ErdArgs) -> anyhow::Result<()> {
    let target = devdb::dev_target().await?;
    let (doc, manifest) = render_scratch(&target.url).await?;
    let root = devdb::workspace_root();
    let files: [(PathBuf, String); 2] = [
        (root.join(SCHEMA_DOC), doc),
        (root.join(VERIFY_MANIFEST), manifest),
    ];
    for (path, text) in &files {
        let current = std::fs::read_to_string(path).unwrap_or_default();
        if current == *text {
            continue;
        }
        if args.check {
            anyhow::bail!("{} is stale: run `cargo xtask erd`", path.display());
        }
        std::fs::write(path, text).with_context(|| format!("write {}", path.display()))?;
        eprintln!("erd: wrote {}", path.display());
    }
    if args.check {
        eprintln!("erd: {SCHEMA_DOC} and {VERIFY_MANIFEST} are current");
    }
    Ok(())
}

/// Migrates a scratch database on the server of `admin_url` from nothing and renders the
/// document and the manifest from it; the database is dropped whether rendering worked or not.
async fn render_scratch(admin_url: &str) -> anyhow::Result<(String, String)> {
    let scratch = Scratch::create(admin_url, &format!("erd_scratch_{}", std::process::id()))
        .await
        .context("create a scratch database")?;
    let db = dbconn::connect(&scratch.url).await?;
    migration::up_through_phase(&db, None)
        .await
        .context("apply migrations")?;
    let catalog = dbcheck::catalog::Catalog::load(&db).await?;
    db.close().await.ok();
    Ok((
        dbcheck::erd::render_catalog(&catalog),
        dbcheck::verify::manifest(&catalog),
    ))
}
