//! `cargo xtask migrate new --name NAME [--online]`: a hand-written migration from a template,
//! at the end of the history (the last phase), with the next free number, registered in its
//! phase's `mod.rs`, so it runs.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::naming;
use crate::flags::NewArgs;
#[cfg(test)]
use crate::flags::PlaceArgs;

pub fn run(args: &NewArgs) -> anyhow::Result<()> {
    let src = devdb::workspace_root().join("migration/src");
    let written = write(&src, args, &naming::today())?;
    format(&written)?;
    let shown = written
        .strip_prefix(devdb::workspace_root())
        .unwrap_or(&written)
        .display();
    eprintln!(
        "migrate new: wrote {shown}, registered in its phase's mod.rs. Next: write its up and \
         down (its one-line `//!` says why), then `cargo xtask migrate` to apply it, \
         `UPDATE_FROZEN=1 cargo test -p migration --test frozen` to pin its SQL, `cargo xtask \
         lint`, and `cargo xtask erd` if it changes the schema"
    );
    Ok(())
}

/// Formats a written migration and its phase's `mod.rs` as `cargo fmt` would, so that `ci`'s
/// format check passes: a new phase's one-entry list, for one, fits on one line.
pub(super) fn format(file: &Path) -> anyhow::Result<()> {
    let sh = xshell::Shell::new()?;
    let list = file.with_file_name("mod.rs");
    xshell::cmd!(sh, "rustfmt --edition 2024 {file} {list}")
        .run()
        .context("format the migration")?;
    Ok(())
}

/// Writes the migration below `src` (a migration crate's `src/`) dated `date`, registers it,
/// and returns its path.
fn write(src: &Path, args: &NewArgs, date: &str) -> anyhow::Result<PathBuf> {
    let online = args.online;
    let phase = Phase {
        number: args.place.phase,
        area: args.place.area.as_deref(),
    };
    add(src, &args.place.name, &phase, date, &|phase, _| {
        template(phase, online)
    })
}

/// The phase a new migration asks for: `--phase N` (the last one, or the next, which
/// `--area NAME` then creates), or none for the last.
pub(super) struct Phase<'a> {
    pub number: Option<u8>,
    pub area: Option<&'a str>,
}

/// Adds a migration named `name` below `src` (a migration crate's `src/`, two levels below
/// the workspace root) dated `date`: in the last phase or a new one after it, with the next
/// free number, its text from `body(phase, stem)`, registered in its phase's `mod.rs`.
/// Returns its path.
pub(super) fn add(
    src: &Path,
    name: &str,
    phase: &Phase,
    date: &str,
    body: &dyn Fn(u8, &str) -> String,
) -> anyhow::Result<PathBuf> {
    naming::check_name(name)?;
    let last = last_phase(src)?;
    match phase.number {
        Some(wanted) if wanted == last + 1 => {
            let area = phase.area.with_context(|| {
                format!(
                    "--phase {wanted} starts a new phase: name its feature area with --area NAME"
                )
            })?;
            let root = src.parent().and_then(Path::parent).unwrap_or(src);
            super::phase::create(root, wanted, area)?;
        }
        Some(wanted) if wanted != last => bail!(
            "--phase {wanted}: applied history is frozen and linear, so a new migration goes in \
             the last phase ({last}), or in a new phase {} with --area NAME",
            last + 1
        ),
        _ => {}
    }
    let phases = phases(src)?;
    let (last_number, last_dir) = phases.last().context("no phase folder in migration/src")?;
    let number = next_number(&phases)?;
    let stem = format!("m{date}_{number:06}_{name}");
    let file = last_dir.join(format!("{stem}.rs"));
    std::fs::write(&file, body(*last_number, &stem))
        .with_context(|| format!("write {}", file.display()))?;
    register(&last_dir.join("mod.rs"), &stem)?;
    Ok(file)
}

/// The number of the last phase, where new migrations go.
pub(super) fn last_phase(src: &Path) -> anyhow::Result<u8> {
    let phases = phases(src)?;
    let (number, _) = phases.last().context("no phase folder in migration/src")?;
    Ok(*number)
}

/// The phase folders (`phase<N>_<name>`), by number.
fn phases(src: &Path) -> anyhow::Result<Vec<(u8, PathBuf)>> {
    let mut phases = Vec::new();
    for entry in std::fs::read_dir(src).with_context(|| format!("read {}", src.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let number = name
            .strip_prefix("phase")
            .and_then(|rest| rest.split('_').next())
            .and_then(|n| n.parse::<u8>().ok());
        if let (Some(number), true) = (number, path.is_dir()) {
            phases.push((number, path));
        }
    }
    phases.sort();
    Ok(phases)
}

/// One more than the highest number of any migration file, so the new one sorts last.
fn next_number(phases: &[(u8, PathBuf)]) -> anyhow::Result<u32> {
    let mut highest = 0;
    for (_, dir) in phases {
        for entry in std::fs::read_dir(dir)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if let Some(number) = name
                .strip_prefix('m')
                .and_then(|rest| rest.get(9..15))
                .and_then(|n| n.parse::<u32>().ok())
            {
                highest = highest.max(number);
            }
        }
    }
    Ok(highest + 1)
}

/// Adds `mod <stem>;` after the phase's last migration module and the migration at the end of
/// its `migrations()` list.
fn register(mod_rs: &Path, stem: &str) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(mod_rs).with_context(|| format!("read {}", mod_rs.display()))?;
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // A new phase's list is empty: its first module goes after the imports, its first entry
    // at the top of `vec![`.
    let last_mod = lines
        .iter()
        .rposition(|l| l.starts_with("mod m") && l.ends_with(';'))
        .or_else(|| lines.iter().rposition(|l| l.starts_with("use ")))
        .with_context(|| format!("no `mod m...;` line in {}", mod_rs.display()))?;
    lines.insert(last_mod + 1, format!("mod {stem};"));
    let last_entry = lines
        .iter()
        .rposition(|l| l.trim_start().starts_with("Box::new(m") && l.ends_with("::Migration),"))
        .or_else(|| lines.iter().rposition(|l| l.trim_end().ends_with("vec![")))
        .with_context(|| {
            format!(
                "no `Box::new(m...::Migration),` line in {}",
                mod_rs.display()
            )
        })?;
    let indent = "        ";
    lines.insert(
        last_entry + 1,
        format!("{indent}Box::new({stem}::Migration),"),
    );
    std::fs::write(mod_rs, lines.join("\n") + "\n")
        .with_context(|| format!("write {}", mod_rs.display()))
}

/// The new file: a migration that fails, naming itself, until its up and down are written.
fn template(phase: u8, online: bool) -> String {
    let body = if online { ONLINE } else { IN_A_TRANSACTION };
    format!("//! Phase {phase}: say in one line what this migration changes, and why.\n{body}")
}

const IN_A_TRANSACTION: &str = r#"
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Runs in one transaction with its records: all of it applies, or none.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let _db = manager.get_connection();
        Err(DbErr::Migration(format!("{}: write its up", self.name())))
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let _db = manager.get_connection();
        Err(DbErr::Migration(format!("{}: write its down", self.name())))
    }
}
"#;

const ONLINE: &str = r#"
use deployer::online::{self, OnlineIndex};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The index to build without blocking writers: name it, and its table and columns. A B-tree
/// by default; set `unique`, `method`, `predicate`, `opclass`, `with` or `memory` above the
/// `..` where it needs them.
const INDEX: OnlineIndex<'static> = OnlineIndex {
    method: None,
    ..OnlineIndex::new("", "public", "", &[])
};

/// Outside a transaction, as `CREATE INDEX CONCURRENTLY` must be; each step can run again.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if INDEX.name.is_empty() {
            return Err(DbErr::Migration(format!("{}: name its index", self.name())));
        }
        online::build(manager, &INDEX).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::remove(manager, &INDEX).await
    }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// A migration crate's `src/` with two phases, the last with one migration.
    fn crate_src(base: &Path) -> PathBuf {
        let src = base.join("src");
        for (dir, body) in [
            ("phase1_core", "mod m20260101_000001_a;\n"),
            ("phase2_more", "mod m20260101_000101_b;\n"),
        ] {
            std::fs::create_dir_all(src.join(dir)).unwrap();
            let stem = body.trim().trim_start_matches("mod ").trim_end_matches(';');
            std::fs::write(src.join(dir).join(format!("{stem}.rs")), "//! x\n").unwrap();
            let list = format!(
                "//! x\n{body}\npub fn migrations() -> Vec<Box<dyn MigrationTrait>> {{\n    vec![\n        Box::new({stem}::Migration),\n    ]\n}}\n"
            );
            std::fs::write(src.join(dir).join("mod.rs"), list).unwrap();
        }
        src
    }

    fn args(name: &str, phase: Option<u8>) -> NewArgs {
        NewArgs {
            place: PlaceArgs {
                name: name.into(),
                phase,
                area: None,
            },
            online: false,
        }
    }

    #[test]
    fn a_new_migration_gets_the_next_number_in_the_last_phase_and_is_registered() {
        let base = std::env::temp_dir().join(format!("migrate_new_{}", std::process::id()));
        let src = crate_src(&base);
        let file = write(&src, &args("add_user_bio", None), "20261206").unwrap();
        assert_eq!(
            file,
            src.join("phase2_more/m20261206_000102_add_user_bio.rs")
        );
        let list = std::fs::read_to_string(src.join("phase2_more/mod.rs")).unwrap();
        assert!(list.contains("mod m20260101_000101_b;\nmod m20261206_000102_add_user_bio;\n"));
        assert!(list.contains(
            "        Box::new(m20260101_000101_b::Migration),\n        Box::new(m20261206_000102_add_user_bio::Migration),\n"
        ));
        let refused = write(&src, &args("x", Some(1)), "20261206").unwrap_err();
        assert!(format!("{refused}").contains("goes in the last phase (2)"));
        let unnamed = write(&src, &args("x", Some(3)), "20261206").unwrap_err();
        assert!(format!("{unnamed}").contains("--area NAME"), "{unnamed}");
        assert!(write(&src, &args("Add-Bio", None), "20261206").is_err());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
