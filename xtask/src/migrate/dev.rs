//! `cargo xtask migrate dev --name NAME`: the migration that takes the schema to the entities,
//! written from the difference between them and a shadow database (a scratch database
//! migrated to the head, never the dev database), then applied to the dev database, pinned,
//! linted and documented.
//!
//! It stacks: each run writes a new migration, even when the last one is its own and not
//! committed yet. Folding a second edit into that one would mean rolling the dev database
//! back through it, which loses whatever the developer wrote into its columns since; two
//! small migrations cost nothing, and `migrate down` then deleting the file folds them by
//! hand when wanted.

use std::path::Path;

use anyhow::{Context, bail};
use dbcheck::diff::Change;
use xshell::{Shell, cmd};

use super::{naming, new};
use crate::flags::DevArgs;

pub async fn run(args: &DevArgs) -> anyhow::Result<()> {
    naming::check_name(&args.place.name)?;
    let root = devdb::workspace_root();
    let src = root.join("migration/src");
    let phase = match args.place.phase {
        Some(phase) => phase,
        None => new::last_phase(&src)?,
    };
    if listed_new_entities(&root, phase)? {
        return again(args);
    }
    let target = devdb::migration_target().await?;
    let changes = super::diff::shadow_plan(&target.url)
        .await
        .context("compare the entities with a shadow database")?;
    if changes.is_empty() {
        eprintln!("migrate dev: the entities and the migrations agree: nothing written");
        return Ok(());
    }
    refuse_risky(&changes, args.allow_destructive)?;
    let shown = write(args, &root, &changes)?;
    follow_up(&root, &shown).with_context(|| {
        format!(
            "{shown} is written and registered; fix what failed, then run the steps left of \
             `cargo fmt`, `cargo xtask migrate`, `UPDATE_FROZEN=1 cargo test -p migration --test frozen`, \
             `cargo xtask erd` and `cargo xtask lint`"
        )
    })?;
    for line in changes.iter().flat_map(|c| &c.review) {
        eprintln!("review: {line}");
    }
    eprintln!(
        "migrate dev: done. Review {shown} (say why in its first line), then commit it with \
         the entity change, migration/frozen-checksums.txt, docs/schema.md and the manifests"
    );
    Ok(())
}

/// Writes and registers the migration of `changes`, says what it holds, and returns its path
/// below the workspace root.
fn write(args: &DevArgs, root: &Path, changes: &[Change]) -> anyhow::Result<String> {
    let place = new::Phase {
        number: args.place.phase,
        area: args.place.area.as_deref(),
    };
    let file = new::add(
        &root.join("migration/src"),
        &args.place.name,
        &place,
        &naming::today(),
        &|phase, stem| render(phase, stem, changes),
    )?;
    let shown = file
        .strip_prefix(root)
        .unwrap_or(&file)
        .display()
        .to_string();
    eprintln!("migrate dev: wrote {shown}:");
    for change in changes {
        let (object, what, n) = (&change.object, &change.what, change.up.len());
        eprintln!("  {object}: {what} ({n} statements)");
    }
    Ok(shown)
}

/// Runs the same command again, so that a build that knows the newly listed entities reads
/// them.
fn again(args: &DevArgs) -> anyhow::Result<()> {
    let sh = Shell::new()?;
    let name = &args.place.name;
    let mut flags: Vec<String> = Vec::new();
    if let Some(phase) = args.place.phase {
        flags.extend(["--phase".to_owned(), phase.to_string()]);
    }
    if let Some(area) = &args.place.area {
        flags.extend(["--area".to_owned(), area.clone()]);
    }
    if args.allow_destructive {
        flags.push("--allow-destructive".to_owned());
    }
    cmd!(sh, "cargo xtask migrate dev --name {name} {flags...}").run()?;
    Ok(())
}

/// What `migrate dev` does after writing `file`, each a command a developer could run: format
/// it and its phase's list as `cargo fmt` would (so `ci`'s format check passes), apply it to the dev database
/// through the deployer, pin its SQL, regenerate the schema page and the manifests, lint it.
fn follow_up(root: &Path, file: &str) -> anyhow::Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(root);
    new::format(&root.join(file))?;
    cmd!(sh, "cargo xtask migrate")
        .run()
        .context("apply it to the dev database")?;
    cmd!(sh, "cargo test -q -p migration --test frozen")
        .env("UPDATE_FROZEN", "1")
        .run()
        .context("pin its SQL in migration/frozen-checksums.txt")?;
    cmd!(sh, "cargo xtask erd")
        .run()
        .context("regenerate docs/schema.md and the manifests")?;
    cmd!(sh, "cargo xtask lint").run().context("lint it")?;
    Ok(())
}

/// Refuses, writing nothing, when a change destroys data or locks a filled table and the
/// developer has not said so; always when no statement can make it.
fn refuse_risky(changes: &[Change], allowed: bool) -> anyhow::Result<()> {
    let risky: Vec<&Change> = changes.iter().filter(|c| c.risk.is_some()).collect();
    for change in &risky {
        let why = change.risk.as_deref().unwrap_or_default();
        eprintln!("migrate dev: {}: {}: {why}", change.object, change.what);
    }
    if let Some(change) = risky.iter().find(|c| c.up.is_empty()) {
        bail!(
            "nothing written: {} cannot be generated; write it by hand (`cargo xtask migrate \
             new`)",
            change.object
        );
    }
    if !risky.is_empty() && !allowed {
        bail!(
            "nothing written: {} change(s) above destroy data or lock a filled table; follow \
             the expand/backfill/contract recipe of docs/online-changes.md, or pass \
             --allow-destructive to write them anyway",
            risky.len()
        );
    }
    Ok(())
}

/// Lists new entity files in dbcheck's list and says so; true when there were some.
fn listed_new_entities(root: &Path, phase: u8) -> anyhow::Result<bool> {
    let listed = list_new_entities(root, phase)?;
    if !listed.is_empty() {
        eprintln!(
            "migrate dev: listed {} in dbcheck/src/entities.rs (phase {phase}), which drift, \
             verify and the diagram read; building again so the differ reads them too",
            listed.join(", ")
        );
    }
    Ok(!listed.is_empty())
}

/// Adds the entity files `entity/src` has and dbcheck's list lacks to that list, under
/// `phase`; returns their module paths.
fn list_new_entities(root: &Path, phase: u8) -> anyhow::Result<Vec<String>> {
    let files = dbcheck::entities::entity_modules(&root.join("entity/src"))?;
    let listed = dbcheck::entities::listed_modules();
    let new: Vec<String> = files.into_iter().filter(|m| !listed.contains(m)).collect();
    if new.is_empty() {
        return Ok(new);
    }
    let list = root.join("dbcheck/src/entities.rs");
    let text =
        std::fs::read_to_string(&list).with_context(|| format!("read {}", list.display()))?;
    std::fs::write(&list, with_entities(&text, phase, &new)?)
        .with_context(|| format!("write {}", list.display()))?;
    Ok(new)
}

/// `text` (dbcheck's entities.rs) with `modules` added to the `entities!` list under `phase`:
/// at the end of that phase's block, or in a new block at the end of the list.
fn with_entities(text: &str, phase: u8, modules: &[String]) -> anyhow::Result<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("entities! {"))
        .context("no `entities! {` in dbcheck/src/entities.rs")?;
    let end = start
        + lines[start..]
            .iter()
            .position(|l| l == "}")
            .context("no end of the entities! list")?;
    let entries: Vec<String> = modules
        .iter()
        .map(|m| format!("        entity::{m}::Entity,"))
        .collect();
    let block = format!("    {phase} => [");
    match lines[start..end].iter().position(|l| *l == block) {
        Some(at) => {
            let close = start
                + at
                + lines[start + at..end]
                    .iter()
                    .position(|l| l == "    ],")
                    .context("unclosed phase block")?;
            lines.splice(close..close, entries);
        }
        None => {
            let mut added = vec![block];
            added.extend(entries);
            added.push("    ],".to_owned());
            lines.splice(end..end, added);
        }
    }
    Ok(lines.join("\n") + "\n")
}

/// The migration's text: the changes' statements as two lists, applied in one transaction.
fn render(phase: u8, stem: &str, changes: &[Change]) -> String {
    let objects: Vec<&str> = changes.iter().map(|c| c.object.as_str()).collect();
    let statements = |list: Vec<&String>| -> String {
        list.iter()
            .map(|s| format!("    r#\"{s}\"#,\n"))
            .collect::<String>()
    };
    let up = statements(changes.iter().flat_map(|c| &c.up).collect());
    let down = statements(changes.iter().rev().flat_map(|c| &c.down).collect());
    let down_body = if changes.iter().all(|c| c.reversible) {
        "        run(manager, DOWN).await".to_owned()
    } else {
        format!(
            "        let _ = (manager, DOWN);\n        Err(DbErr::Migration(\"{stem} dropped \
             data that no down can bring back: restore the backup taken before it\".into()))"
        )
    };
    format!(
        r#"//! Phase {phase}: {} (written by `cargo xtask migrate dev` from the entities; say why here).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The statements that take the schema to the entities, in order.
const UP: &[&str] = &[
{up}];

/// The statements that undo [`UP`], in order.
const DOWN: &[&str] = &[
{down}];

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {{
    let db = manager.get_connection();
    for statement in statements {{
        db.execute_unprepared(statement).await?;
    }}
    Ok(())
}}

/// Runs in one transaction with its records: all of it applies, or none.
#[async_trait::async_trait]
impl MigrationTrait for Migration {{
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {{
        run(manager, UP).await
    }}

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {{
{down_body}
    }}
}}
"#,
        objects.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_entity_joins_its_phase_block_or_starts_one() {
        let text = "x\nentities! {\n    1 => [\n        entity::users::Entity,\n    ],\n}\n\nfn table() {}\n";
        let joined = with_entities(text, 1, &["notes".into()]).unwrap();
        assert!(joined.contains(
            "    1 => [\n        entity::users::Entity,\n        entity::notes::Entity,\n    ],\n}\n"
        ));
        let started = with_entities(text, 8, &["notes".into()]).unwrap();
        assert!(
            started.contains("    ],\n    8 => [\n        entity::notes::Entity,\n    ],\n}\n")
        );
    }

    #[test]
    fn a_migration_that_drops_data_refuses_its_down() {
        let mut change = Change {
            object: "tags.color".into(),
            what: "column in database (varchar(20)), not in entity".into(),
            up: vec![r#"ALTER TABLE "public"."tags" DROP COLUMN "color""#.into()],
            down: Vec::new(),
            risk: Some("destroys".into()),
            review: Vec::new(),
            reversible: false,
        };
        let text = render(7, "m20261206_000692_drop_tag_color", &[change.clone()]);
        assert!(text.starts_with("//! Phase 7: tags.color (written by"));
        assert!(text.contains(r##"    r#"ALTER TABLE "public"."tags" DROP COLUMN "color""#,"##));
        assert!(text.contains("restore the backup taken before it"));
        change.reversible = true;
        let text = render(7, "m20261206_000692_drop_tag_color", &[change]);
        assert!(text.contains("        run(manager, DOWN).await"));
    }
}
