//! Running the server as an unprivileged user when we are root, as initdb and postgres demand.

use std::path::Path;
use std::sync::OnceLock;

use anyhow::Context;
use xshell::{Cmd, Shell, cmd};

/// The account the server runs as under root: `nobody` exists on every Linux system, so no
/// user has to be created.
const NOBODY: u32 = 65534;

pub fn is_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| {
        let sh = Shell::new().expect("shell");
        cmd!(sh, "id -u")
            .quiet()
            .read()
            .is_ok_and(|uid| uid.trim() == "0")
    })
}

/// A command for a PostgreSQL program that runs unprivileged: through `setpriv` as
/// `nobody` when we are root, as ourselves otherwise.
pub fn server_cmd<'a>(sh: &'a Shell, program: &Path) -> Cmd<'a> {
    if is_root() {
        cmd!(
            sh,
            "setpriv --reuid=65534 --regid=65534 --clear-groups {program}"
        )
    } else {
        cmd!(sh, "{program}")
    }
}

/// A long-running program (PgBouncer) started unprivileged the same way, as a tokio child
/// process that is killed when its handle drops.
pub fn server_process(program: &Path) -> tokio::process::Command {
    let mut command = if is_root() {
        let mut command = tokio::process::Command::new("setpriv");
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(program);
        command
    } else {
        tokio::process::Command::new(program)
    };
    command.kill_on_drop(true);
    command
}

/// Hands a directory we created to the server's account.
pub fn give_to_server(dir: &Path) -> anyhow::Result<()> {
    if is_root() {
        std::os::unix::fs::chown(dir, Some(NOBODY), Some(NOBODY))
            .with_context(|| format!("chown {} to nobody", dir.display()))?;
    }
    Ok(())
}

/// Whether the unprivileged account can reach `path`: every ancestor must be searchable by
/// others, which is not so under a root home directory (mode 700).
pub fn reachable_by_server(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    if !is_root() {
        return true;
    }
    path.ancestors().skip(1).all(|dir| {
        std::fs::metadata(dir)
            .map(|m| m.permissions().mode() & 0o001 != 0)
            .unwrap_or(true)
    })
}
