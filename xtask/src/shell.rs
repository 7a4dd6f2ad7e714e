//! Child `cargo` commands run without the variables `cargo run` set for xtask itself.
//!
//! Build scripts such as ring's rerun when `CARGO_MANIFEST_DIR` or `CARGO_PKG_*` change, so a
//! child `cargo` that inherited xtask's values and the outer `cargo run` that did not would
//! invalidate each other's builds on every call, recompiling TLS and the ORM each time.

use xshell::{Cmd, Shell};

/// A shell at the workspace root.
pub fn workspace_shell() -> anyhow::Result<Shell> {
    let sh = Shell::new()?;
    sh.change_dir(devdb::workspace_root());
    Ok(sh)
}

/// `cmd` without the environment `cargo run` gave xtask.
pub fn clean_cargo_env(mut cmd: Cmd<'_>) -> Cmd<'_> {
    for (key, _) in std::env::vars_os() {
        if set_by_cargo_run(&key.to_string_lossy()) {
            cmd = cmd.env_remove(&key);
        }
    }
    cmd
}

/// Whether `cargo run` set the variable `name` for xtask, so a cargo started by xtask must not
/// inherit it.
pub fn set_by_cargo_run(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_MANIFEST_")
        || name.starts_with("CARGO_BIN_")
        || matches!(
            name,
            "CARGO_CRATE_NAME" | "CARGO_PRIMARY_PACKAGE" | "OUT_DIR"
        )
}
