//! The import graph of the workspace's source files, for the rule that no two files import
//! each other, directly or around a loop.
//!
//! A file imports another when one of its paths (`use` or inline, `crate::`, `super::`,
//! `self::`, or a child module's name) names an item of the other's module. A module and its
//! own submodules are one unit, as Rust makes them (the parent declares and re-exports its
//! children, the children use what their parent shares), so only imports between files of
//! which neither contains the other count. Each crate root (`src/lib.rs`, `src/main.rs`, a
//! test or example) is followed through its `mod` items.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module path inside one crate root, e.g. `["fleet", "rollout"]`.
type Module = Vec<String>;

/// The files of one crate root, by module path.
struct Tree {
    files: BTreeMap<Module, PathBuf>,
}

impl Tree {
    /// Follows `mod name;` items from `root`.
    fn of(root: &Path) -> Tree {
        let mut tree = Tree {
            files: BTreeMap::new(),
        };
        tree.add(Vec::new(), root.to_path_buf());
        tree
    }

    fn add(&mut self, module: Module, file: PathBuf) {
        let text = std::fs::read_to_string(&file).expect("read source");
        let parsed = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        // `a.rs` keeps its children in `a/`, `mod.rs`, `lib.rs` and `main.rs` beside it.
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let dir = match stem {
            "mod" | "lib" | "main" => file.parent().expect("a directory").to_path_buf(),
            _ if module.is_empty() => file.parent().expect("a directory").to_path_buf(),
            _ => file.with_extension(""),
        };
        for item in &parsed.items {
            if let syn::Item::Mod(m) = item
                && m.content.is_none()
            {
                let name = m.ident.to_string();
                let flat = dir.join(format!("{name}.rs"));
                let nested = dir.join(&name).join("mod.rs");
                let child = if flat.exists() { flat } else { nested };
                let mut path = module.clone();
                path.push(name);
                self.add(path, child);
            }
        }
        self.files.insert(module, file);
    }

    /// The module with a file of its own that holds `path` (the longest prefix), and that
    /// file.
    fn holder_of(&self, path: &[String]) -> Option<(&Module, &PathBuf)> {
        (0..=path.len())
            .rev()
            .find_map(|n| self.files.get_key_value(&path[..n]))
    }

    /// Whether `module` has a child module `name` (a file, or an inline `mod`).
    fn has_child(&self, module: &[String], name: &str) -> bool {
        let mut child = module.to_vec();
        child.push(name.to_owned());
        self.files.contains_key(&child)
    }
}

/// Collects the module paths one file's paths resolve to.
struct Paths<'t> {
    tree: &'t Tree,
    /// The module being read: the file's, plus any inline modules entered.
    module: Module,
    /// Inline modules, by their full path, so relative paths into them resolve.
    inline: BTreeSet<Module>,
    found: BTreeSet<Module>,
}

impl Paths<'_> {
    fn resolve(&mut self, segments: &[String]) {
        let Some(first) = segments.first() else {
            return;
        };
        let (mut base, rest) = match first.as_str() {
            "crate" => (Vec::new(), &segments[1..]),
            "self" => (self.module.clone(), &segments[1..]),
            "super" => {
                let mut base = self.module.clone();
                let mut rest = segments;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                (base, rest)
            }
            name if self.tree.has_child(&self.module, name) || self.is_inline_child(name) => {
                (self.module.clone(), segments)
            }
            _ => return,
        };
        base.extend(rest.iter().cloned());
        self.found.insert(base);
    }

    fn is_inline_child(&self, name: &str) -> bool {
        let mut child = self.module.clone();
        child.push(name.to_owned());
        self.inline.contains(&child)
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.resolve_with(prefix, &n.ident),
            syn::UseTree::Rename(r) => self.resolve_with(prefix, &r.ident),
            syn::UseTree::Glob(_) => {
                let path = prefix.clone();
                self.resolve(&path);
            }
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }

    fn resolve_with(&mut self, prefix: &[String], last: &syn::Ident) {
        let mut path = prefix.to_vec();
        path.push(last.to_string());
        self.resolve(&path);
    }
}

impl<'ast> Visit<'ast> for Paths<'_> {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.resolve(&segments);
        syn::visit::visit_path(self, path);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if item.content.is_some() {
            self.module.push(item.ident.to_string());
            self.inline.insert(self.module.clone());
            syn::visit::visit_item_mod(self, item);
            self.module.pop();
        }
    }
}

/// Every file's imports of other files of the same crate root, for the crate roots below
/// `krate` (a workspace member's directory).
pub fn graph(krate: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for root in roots(krate) {
        let tree = Tree::of(&root);
        for (module, file) in &tree.files {
            let text = std::fs::read_to_string(file).expect("read source");
            let parsed = syn::parse_file(&text).expect("parsed before");
            let mut paths = Paths {
                tree: &tree,
                module: module.clone(),
                inline: BTreeSet::new(),
                found: BTreeSet::new(),
            };
            // Inline modules first, so relative paths into them resolve wherever they come.
            collect_inline(&parsed.items, module, &mut paths.inline);
            paths.visit_file(&parsed);
            let targets = edges.entry(file.clone()).or_default();
            for found in &paths.found {
                if let Some((target_module, target)) = tree.holder_of(found)
                    && !target_module.starts_with(module)
                    && !module.starts_with(target_module)
                {
                    targets.insert(target.clone());
                }
            }
        }
    }
    edges
}

fn collect_inline(items: &[syn::Item], module: &Module, out: &mut BTreeSet<Module>) {
    for item in items {
        if let syn::Item::Mod(m) = item
            && let Some((_, inner)) = &m.content
        {
            let mut path = module.clone();
            path.push(m.ident.to_string());
            collect_inline(inner, &path, out);
            out.insert(path);
        }
    }
}

/// The crate roots of a member: its library and binary, its integration tests and examples.
fn roots(krate: &Path) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = ["src/lib.rs", "src/main.rs"]
        .iter()
        .map(|r| krate.join(r))
        .filter(|p| p.exists())
        .collect();
    for dir in ["tests", "examples"] {
        let Ok(entries) = std::fs::read_dir(krate.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() && path.join("main.rs").exists() {
                roots.push(path.join("main.rs"));
            } else if path.extension().is_some_and(|e| e == "rs") {
                roots.push(path);
            }
        }
    }
    roots
}

/// The groups of files that import each other around a loop (strongly connected components
/// of more than one file), by Tarjan's algorithm.
pub fn loops(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct State<'a> {
        edges: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        found: Vec<Vec<PathBuf>>,
    }
    fn visit<'a>(s: &mut State<'a>, node: &'a PathBuf) {
        let n = s.index.len();
        s.index.insert(node, n);
        s.low.insert(node, n);
        s.stack.push(node);
        s.on_stack.insert(node);
        for next in s.edges.get(node).into_iter().flatten() {
            if !s.index.contains_key(next) {
                visit(s, next);
                let low = s.low[next].min(s.low[node]);
                s.low.insert(node, low);
            } else if s.on_stack.contains(next) {
                let low = s.index[next].min(s.low[node]);
                s.low.insert(node, low);
            }
        }
        if s.low[node] == s.index[node] {
            let mut group = Vec::new();
            while let Some(top) = s.stack.pop() {
                s.on_stack.remove(top);
                group.push(top.clone());
                if top == node {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.found.push(group);
            }
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !state.index.contains_key(node) {
            visit(&mut state, node);
        }
    }
    state.found
}
