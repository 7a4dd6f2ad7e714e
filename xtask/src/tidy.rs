//! Architecture invariants that are cheap to check, as tests (`cargo test -p xtask`).
//!
//! ARCHITECTURE.md states what each crate does not do; the claims that can be read off the
//! manifests and sources are checked here, so the document cannot quietly stop being true.

#![cfg(test)]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    devdb::workspace_root()
}

/// The `[dependencies]` table of a crate's manifest, as dependency names.
fn dependencies(krate: &str) -> Vec<String> {
    let manifest = std::fs::read_to_string(root().join(krate).join("Cargo.toml"))
        .unwrap_or_else(|err| panic!("read {krate}/Cargo.toml: {err}"));
    let mut in_dependencies = false;
    let mut names = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
        } else if in_dependencies && !line.is_empty() && !line.starts_with('#') {
            let name = line.split(['=', '.', ' ']).next().unwrap_or_default();
            names.push(name.to_owned());
        }
    }
    names
}

/// Every `.rs` file below `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read source dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

#[test]
fn production_crates_have_no_dev_only_dependencies() {
    // The shipped `migration` binary links these; an embedded server or a container runtime
    // has no business in production.
    for krate in ["migration", "dbcheck", "dbconn", "schema-facts"] {
        let deps = dependencies(krate);
        for dev_only in ["devdb", "testcontainers", "smoke-tests"] {
            assert!(
                !deps.iter().any(|d| d == dev_only),
                "{krate} depends on {dev_only}"
            );
        }
    }
}

#[test]
fn dbcheck_never_depends_on_migration() {
    // The migration binary links dbcheck; the reverse would be a cycle in spirit.
    let deps = dependencies("dbcheck");
    assert!(
        deps.iter().any(|d| d == "entity"),
        "manifest not read: {deps:?}"
    );
    assert!(!deps.iter().any(|d| d == "migration"), "{deps:?}");
}

#[test]
fn the_foundation_crates_depend_on_no_workspace_crate() {
    assert!(dependencies("schema-facts").is_empty());
    let workspace = [
        "dbcheck",
        "devdb",
        "entity",
        "migration",
        "seed",
        "schema-facts",
    ];
    for dep in dependencies("dbconn") {
        assert!(
            !workspace.contains(&dep.as_str()),
            "dbconn depends on {dep}"
        );
    }
}

#[test]
fn migrations_never_import_entity() {
    // A migration freezes the schema as it was when written; entities move on.
    assert!(!dependencies("migration").iter().any(|d| d == "entity"));
    for file in sources(&root().join("migration/src")) {
        let text = std::fs::read_to_string(&file).expect("read migration source");
        assert!(
            !text.contains("entity::"),
            "{} imports entity",
            file.display()
        );
    }
}

#[test]
fn every_source_file_starts_with_its_purpose() {
    let crates = [
        "dbcheck",
        "dbconn",
        "devdb",
        "entity",
        "migration",
        "schema-facts",
        "seed",
        "smoke-tests",
        "xtask",
    ];
    let mut missing = Vec::new();
    for krate in crates {
        for file in sources(&root().join(krate)) {
            let text = std::fs::read_to_string(&file).expect("read source");
            if !text.trim_start().starts_with("//!") {
                missing.push(
                    file.strip_prefix(root())
                        .unwrap_or(&file)
                        .display()
                        .to_string(),
                );
            }
        }
    }
    assert!(missing.is_empty(), "no `//!` purpose line: {missing:?}");
}

#[test]
fn the_monitor_thresholds_are_documented_with_their_defaults() {
    // An operator reads the thresholds in docs/operating.md; a changed default must show there.
    let doc = std::fs::read_to_string(root().join("docs/operating.md")).expect("read the doc");
    let thresholds = dbcheck::monitor::Thresholds::default();
    for (name, threshold) in thresholds.named() {
        let row = format!("`{name}={}`", threshold.spec());
        assert!(doc.contains(&row), "docs/operating.md does not give {row}");
    }
}
