//! A throwaway PgBouncer in front of a server, for the tests of migrating through a pooler.
//!
//! Started like the embedded server: unprivileged (as `nobody` under root, which PgBouncer
//! demands too), on a free loopback port, with a generated ini and userlist in a directory of
//! its own under `target/devdb/pgbouncer`, removed with it.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::process::Child;

use anyhow::{Context, bail};

use crate::embedded::privilege;

/// The password clients give PgBouncer when the server's URL has none.
const CLIENT_PASSWORD: &str = "pooled-secret";

/// A running PgBouncer, stopped and deleted when dropped.
pub struct PgBouncer {
    child: Child,
    dir: PathBuf,
    /// The URL of `database` through PgBouncer, with a password.
    pub url: String,
}

/// The pgbouncer binary, or why there is none (tests skip with this reason).
pub fn binary() -> Result<PathBuf, String> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|dir| dir.join("pgbouncer"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "no pgbouncer binary on PATH or in /usr/sbin (apt-get install pgbouncer)".to_owned()
        })
}

impl PgBouncer {
    /// Starts PgBouncer in `pool_mode` (`session`, `transaction`, `statement`) in front of the
    /// server of `server_url`, and returns it with the URL of `database` through it.
    pub fn start(server_url: &str, database: &str, pool_mode: &str) -> anyhow::Result<PgBouncer> {
        let program = binary().map_err(|why| anyhow::anyhow!(why))?;
        let server = dbconn::url::parse(server_url)?;
        let user = server.username().to_owned();
        let host = server.host_str().unwrap_or("127.0.0.1").to_owned();
        let server_port = server.port().unwrap_or(5432);
        let password = dbconn::url::password(server_url)?.unwrap_or(CLIENT_PASSWORD.to_owned());
        let dir = directory()?;
        let port = free_port()?;
        let ini = dir.join("pgbouncer.ini");
        write(
            &dir.join("userlist.txt"),
            &format!("\"{user}\" \"{password}\"\n"),
        )?;
        write(&ini, &config(&dir, (&host, server_port), port, pool_mode))?;
        let child = privilege::server_process(&program)
            .arg(&ini)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("start {}", program.display()))?;
        // The server's URL with PgBouncer's address, the database, and a password.
        let mut url = server;
        let _ = url.set_host(Some("127.0.0.1"));
        let _ = url.set_port(Some(port));
        let _ = url.set_password(Some(&password));
        url.set_path(&format!("/{database}"));
        let mut bouncer = PgBouncer {
            child,
            url: url.to_string(),
            dir,
        };
        bouncer.wait_listening(port)?;
        Ok(bouncer)
    }

    fn wait_listening(&mut self, port: u16) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                bail!("pgbouncer exited ({status}): {}", self.log_tail());
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!(
            "pgbouncer did not listen on port {port} within 10s: {}",
            self.log_tail()
        )
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("pgbouncer.log")).unwrap_or_default();
        log.lines().last().unwrap_or("no log").to_owned()
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        // SIGKILL now; the child is reaped by tokio once it exits.
        self.child.start_kill().ok();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

fn config(dir: &Path, (host, server_port): (&str, u16), port: u16, pool_mode: &str) -> String {
    let dir = dir.display();
    // sqlx sends extra_float_digits at startup; PgBouncer refuses unknown parameters unless
    // told to ignore them, as every PgBouncer in front of such clients is.
    format!(
        "[databases]\n* = host={host} port={server_port}\n\n[pgbouncer]\n\
         listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
         auth_type = scram-sha-256\nauth_file = {dir}/userlist.txt\n\
         pool_mode = {pool_mode}\ndefault_pool_size = 4\nmax_client_conn = 100\n\
         ignore_startup_parameters = extra_float_digits\n\
         logfile = {dir}/pgbouncer.log\n"
    )
}

/// A fresh directory the unprivileged account owns, unique within this process.
fn directory() -> anyhow::Result<PathBuf> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = crate::embedded::base_dir()
        .join("pgbouncer")
        .join(format!("{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    privilege::give_to_server(&dir)?;
    Ok(dir)
}

/// Writes a file the unprivileged account owns and only it may read.
fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).with_context(|| format!("write {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    privilege::give_to_server(path)
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("find a free port")?;
    Ok(listener.local_addr()?.port())
}
