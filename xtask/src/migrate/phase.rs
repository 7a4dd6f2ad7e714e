//! A new phase (feature area) for `migrate new` and `migrate dev --phase N --area NAME`: its
//! folder with an empty list, its entry in schema-facts' `PHASES` and in the migration crate's.

use std::path::Path;

use anyhow::{Context, bail};

/// Creates phase `number` named `area` in the workspace at `root`: `migration/src/phase<number>_<area>/mod.rs`,
/// and the two lists that name every phase.
pub(super) fn create(root: &Path, number: u8, area: &str) -> anyhow::Result<()> {
    super::naming::check_name(area).context("--area")?;
    let module = format!("phase{number}_{area}");
    let folder = root.join("migration/src").join(&module);
    std::fs::create_dir(&folder).with_context(|| format!("create {}", folder.display()))?;
    std::fs::write(folder.join("mod.rs"), folder_mod(number, area))
        .with_context(|| format!("write {}/mod.rs", folder.display()))?;
    edit(&root.join("schema-facts/src/lib.rs"), |text| {
        facts_entry(text, number, area)
    })?;
    edit(&root.join("migration/src/lib.rs"), |text| {
        migration_entry(text, &module)
    })
}

fn edit(path: &Path, change: impl Fn(&str) -> anyhow::Result<String>) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let changed = change(&text).with_context(|| format!("edit {}", path.display()))?;
    std::fs::write(path, changed).with_context(|| format!("write {}", path.display()))
}

/// The new folder's `mod.rs`: a header to complete and an empty list.
fn folder_mod(number: u8, area: &str) -> String {
    format!(
        "//! Phase {number}, {}: say in one line what this feature area holds.\n\n\
         use sea_orm_migration::MigrationTrait;\n\n\
         /// The phase's migrations in the order they must run.\n\
         pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {{\n    vec![\n    ]\n}}\n",
        area.replace('_', " ")
    )
}

/// schema-facts' source with phase `number` appended to `PHASES`.
fn facts_entry(text: &str, number: u8, area: &str) -> anyhow::Result<String> {
    let start = text
        .find("pub const PHASES: &[Phase] = &[")
        .context("no `pub const PHASES` list")?;
    let end = start + text[start..].find("\n];").context("no end of PHASES")?;
    let title = area.replace('_', " ");
    let entry = format!(
        "\n    Phase {{\n        number: {number},\n        name: \"{area}\",\n        title: \"{title}\",\n    }},"
    );
    Ok(format!("{}{entry}{}", &text[..end], &text[end..]))
}

/// The migration crate's `lib.rs` with the module declared and the phase added to `PHASES`.
fn migration_entry(text: &str, module: &str) -> anyhow::Result<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let last_mod = lines
        .iter()
        .rposition(|l| l.starts_with("mod phase"))
        .context("no `mod phase..;` line")?;
    lines.insert(last_mod + 1, format!("mod {module};"));
    let last_entry = lines
        .iter()
        .rposition(|l| l.trim_start().starts_with("Phase::new("))
        .context("no `Phase::new(..)` line")?;
    let index = lines
        .iter()
        .filter(|l| l.trim_start().starts_with("Phase::new("))
        .count();
    lines.insert(
        last_entry + 1,
        format!("    Phase::new({index}, {module}::migrations),"),
    );
    if !lines
        .iter()
        .any(|l| l.contains(&format!("{module}::migrations")))
    {
        bail!("could not add {module} to PHASES");
    }
    Ok(lines.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_phase_is_listed_after_the_last_one_in_both_lists() {
        let facts = "pub const PHASES: &[Phase] = &[\n    Phase {\n        number: 7,\n        name: \"security\",\n        title: \"security\",\n    },\n];\n";
        let facts = facts_entry(facts, 8, "notes_and_lists").unwrap();
        assert!(facts.ends_with(
            "    },\n    Phase {\n        number: 8,\n        name: \"notes_and_lists\",\n        title: \"notes and lists\",\n    },\n];\n"
        ));
        let lib = "mod phase7_security;\nmod schema_helpers;\n\npub const PHASES: &[Phase] = &[\n    Phase::new(0, phase7_security::migrations),\n];\n";
        let lib = migration_entry(lib, "phase8_notes_and_lists").unwrap();
        assert!(lib.starts_with("mod phase7_security;\nmod phase8_notes_and_lists;\n"));
        assert!(lib.contains(
            "    Phase::new(0, phase7_security::migrations),\n    Phase::new(1, phase8_notes_and_lists::migrations),\n];"
        ));
    }
}
