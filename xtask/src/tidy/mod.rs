//! Architecture invariants that are cheap to check, as tests (`cargo test -p xtask`).
//!
//! ARCHITECTURE.md states what each crate does not do; the claims that can be read off the
//! manifests and sources are checked here, so the document cannot quietly stop being true.

#![cfg(test)]

mod imports;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    devdb::workspace_root()
}

/// Every crate of the workspace (`members` of the root manifest), whose sources the checks
/// below read.
fn crates() -> Vec<String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("read Cargo.toml");
    let start = manifest.find("members = [").expect("a members list");
    let list = &manifest[start..];
    let list = &list[..list.find(']').expect("the end of members")];
    list.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
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
    for krate in [
        "migrator",
        "deployer",
        "migration",
        "dbcheck",
        "dbconn",
        "schema-facts",
    ] {
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
fn the_deployer_knows_no_schema() {
    // It serves any SeaORM migrator: what is particular to this project comes in as a
    // `deployer::Project`, never through a crate that knows the schema.
    let deps = dependencies("deployer");
    assert!(deps.iter().any(|d| d == "sea-orm-migration"), "{deps:?}");
    for knows in [
        "entity",
        "schema-facts",
        "migration",
        "migrator",
        "seed",
        "dbcheck",
        "secrets",
        "devdb",
    ] {
        assert!(
            !deps.iter().any(|d| d == knows),
            "deployer depends on {knows}"
        );
    }
}

#[test]
fn no_two_files_import_each_other_directly_or_around_a_loop() {
    // The entities' relations name each other by nature (SeaORM's `Related`), so they are
    // the one exception.
    let mut found = Vec::new();
    for krate in crates().iter().filter(|k| *k != "entity") {
        let edges = imports::graph(&root().join(krate));
        assert!(!edges.is_empty(), "no sources read in {krate}");
        for group in imports::loops(&edges) {
            let names: Vec<String> = group
                .iter()
                .map(|f| f.strip_prefix(root()).unwrap_or(f).display().to_string())
                .collect();
            found.push(names.join(" <-> "));
        }
    }
    assert!(
        found.is_empty(),
        "these files import each other: move what both need into a file of its own:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_import_graph_sees_a_loop_between_two_files() {
    let dir = std::env::temp_dir().join(format!("tidy_loop_{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("src/lib.rs"),
        "//! r\nmod a;\nmod b;\nmod c;\nuse a::A;\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/a.rs"),
        "//! a\nuse crate::b::B;\npub struct A;\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/b.rs"), "//! b\npub struct B(super::a::A);\n").unwrap();
    // A parent and its child import each other by nature: not a loop.
    std::fs::write(
        dir.join("src/c.rs"),
        "//! c\nuse crate::a::A;\nuse super::A as B;\n",
    )
    .unwrap();
    let loops = imports::loops(&imports::graph(&dir));
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(loops.len(), 1, "{loops:?}");
    let names: Vec<_> = loops[0].iter().map(|f| f.file_name().unwrap()).collect();
    assert_eq!(names, ["a.rs", "b.rs"]);
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
    let mut missing = Vec::new();
    for krate in crates() {
        for file in sources(&root().join(&krate)) {
            let text = std::fs::read_to_string(&file).expect("read source");
            let first = text.trim_start().lines().next().unwrap_or_default();
            // `cargo xtask migrate new` writes a placeholder purpose for its author to replace.
            if !first.starts_with("//!") || first.contains(": say in one line what") {
                missing.push(
                    file.strip_prefix(root())
                        .unwrap_or(&file)
                        .display()
                        .to_string(),
                );
            }
        }
    }
    assert!(
        missing.is_empty(),
        "no `//!` purpose line, or the placeholder of `migrate new`: {missing:?}"
    );
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

/// Functions may run past [`LONGEST_FUNCTION`] lines only for a reason written here.
const LONG_FUNCTIONS: &[(&str, &str, &str)] = &[
    (
        "dbcheck/src/verify/queries.rs",
        "critical_queries",
        "a data list, one entry per query, read top to bottom",
    ),
    (
        "dbcheck/src/catalog/snapshot.rs",
        "catalog",
        "test data: one catalog with one object of every kind",
    ),
];

const LONGEST_FUNCTION: usize = 60;

/// Finds functions longer than [`LONGEST_FUNCTION`] lines, from `fn` to the closing brace.
struct LongFunctions {
    file: String,
    found: Vec<String>,
}

impl LongFunctions {
    fn measure(&mut self, name: &syn::Ident, block: &syn::Block) {
        let lines = block.brace_token.span.close().end().line - name.span().start().line + 1;
        let name = name.to_string();
        let allowed = LONG_FUNCTIONS
            .iter()
            .any(|(file, function, _)| *file == self.file && *function == name);
        if lines > LONGEST_FUNCTION && !allowed {
            self.found
                .push(format!("{}: {name} ({lines} lines)", self.file));
        }
    }
}

impl<'ast> syn::visit::Visit<'ast> for LongFunctions {
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.measure(&item.sig.ident, &item.block);
        syn::visit::visit_item_fn(self, item);
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.measure(&item.sig.ident, &item.block);
        syn::visit::visit_impl_item_fn(self, item);
    }
}

#[test]
fn no_function_runs_past_sixty_lines_without_a_written_reason() {
    let mut found = Vec::new();
    for krate in crates() {
        for path in sources(&root().join(&krate)) {
            let file = path
                .strip_prefix(root())
                .unwrap_or(&path)
                .display()
                .to_string();
            // Applied migrations are frozen: their length is history, not style.
            if file.starts_with("migration/src/phase") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read source");
            let tree = syn::parse_file(&text).unwrap_or_else(|err| panic!("parse {file}: {err}"));
            let mut visitor = LongFunctions {
                file,
                found: Vec::new(),
            };
            syn::visit::Visit::visit_file(&mut visitor, &tree);
            found.extend(visitor.found);
        }
    }
    assert!(
        found.is_empty(),
        "split these, or add each to LONG_FUNCTIONS in xtask/src/tidy/mod.rs with the reason:\n{}",
        found.join("\n")
    );
}

/// The code-named paths of ARCHITECTURE.md (backquoted, with a `/` or a file extension), each
/// with the crate whose section names it.
fn architecture_paths() -> Vec<(Option<String>, String)> {
    let doc = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("read the doc");
    let mut section = None;
    let mut found = Vec::new();
    for line in doc.lines() {
        if let Some(heading) = line.strip_prefix("### `") {
            section = heading.split('/').next().map(str::to_owned);
        }
        for (i, span) in line.split('`').enumerate() {
            let looks_like_path = span.contains('/')
                || [".rs", ".md", ".txt", ".toml"]
                    .iter()
                    .any(|ext| span.ends_with(ext));
            let plain = span
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c));
            // `mYYYYMMDD_NNNNNN_verb_noun.rs` is a pattern, not a path, and what lives under
            // `target/` is made by the commands, so a fresh clone has none of it.
            let pattern = span.contains("YYYY") || span.starts_with("target/");
            if i % 2 == 1 && looks_like_path && plain && !pattern && !span.starts_with('/') {
                found.push((section.clone(), span.to_owned()));
            }
        }
    }
    found
}

/// Whether `path` exists at the root, or within `krate` (its root, `src/`, or as the end of a
/// path below it, as a section names `online/backfill.rs` or `lock.rs`).
fn exists_in(krate: Option<&str>, path: &str) -> bool {
    let trimmed = path.trim_end_matches('/');
    if root().join(trimmed).exists() {
        return true;
    }
    let Some(krate) = krate else {
        return false;
    };
    let base = root().join(krate);
    if base.join(trimmed).exists() || base.join("src").join(trimmed).exists() {
        return true;
    }
    let suffix = format!("/{trimmed}");
    let mut stack = vec![base];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let entry = entry.path();
            if entry.to_string_lossy().ends_with(&suffix) {
                return true;
            }
            if entry.is_dir() && !entry.ends_with("target") {
                stack.push(entry);
            }
        }
    }
    false
}

#[test]
fn every_path_architecture_names_exists() {
    let paths = architecture_paths();
    assert!(paths.len() > 50, "paths not read: {paths:?}");
    let missing: Vec<String> = paths
        .iter()
        .filter(|(krate, path)| !exists_in(krate.as_deref(), path))
        .map(|(krate, path)| format!("{path} (in the section of {krate:?})"))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: fix the document:\n{}",
        missing.join("\n")
    );
}

#[test]
fn architecture_has_a_section_for_every_workspace_member() {
    let doc = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("read the doc");
    let missing: Vec<String> = crates()
        .into_iter()
        .filter(|krate| !doc.contains(&format!("### `{krate}/`")))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map lacks a `### `name/`` section for {missing:?}"
    );
}
