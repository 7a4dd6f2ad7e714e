//! `cargo xtask erd`: write the files generated from a freshly migrated database (docs/schema.md
//! and the manifests verify and drift compare against), or with `--check` say whether they
//! are current.

use std::path::PathBuf;

use anyhow::Context;
use devdb::databases::Scratch;

use crate::flags::ErdArgs;

/// Renders one generated file from the catalog of a freshly migrated database.
type Render = fn(&dbcheck::catalog::Catalog) -> String;

/// The generated files, relative to the workspace root, with what renders each.
const GENERATED: &[(&str, Render)] = &[
    ("docs/schema.md", dbcheck::erd::render_catalog),
    ("dbcheck/src/verify/expected.txt", dbcheck::verify::manifest),
    (
        "dbcheck/src/drift/expected.txt",
        dbcheck::drift::behaviour::manifest,
    ),
];

pub async fn run(args: ErdArgs) -> anyhow::Result<()> {
    let target = devdb::dev_target().await?;
    let catalog = migrated_catalog(&target.url, "erd_scratch").await?;
    let root = devdb::workspace_root();
    for (file, render) in GENERATED {
        let path: PathBuf = root.join(file);
        let text = render(&catalog);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == text {
            continue;
        }
        if args.check {
            anyhow::bail!("{file} is stale: run `cargo xtask erd`");
        }
        std::fs::write(&path, text).with_context(|| format!("write {file}"))?;
        eprintln!("erd: wrote {file}");
    }
    if args.check {
        eprintln!("erd: {} generated files are current", GENERATED.len());
    }
    Ok(())
}

/// Migrates a scratch database (`<label>_<pid>`) on the server of `admin_url` from nothing
/// and reads its catalog; the database is dropped whether that worked or not. `migrate dev`
/// and `migrate diff` read their shadow database here too.
pub(crate) async fn migrated_catalog(
    admin_url: &str,
    label: &str,
) -> anyhow::Result<dbcheck::catalog::Catalog> {
    let scratch = Scratch::create(admin_url, &format!("{label}_{}", std::process::id()))
        .await
        .context("create a scratch database")?;
    let db = dbconn::connect(&scratch.url).await?;
    migration::up_through_phase(&db, None)
        .await
        .context("apply migrations")?;
    let catalog = dbcheck::catalog::Catalog::load(&db).await?;
    db.close().await.ok();
    Ok(catalog)
}
