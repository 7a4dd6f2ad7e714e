//! A streaming standby of a throwaway cluster: what a test needs to see helpers wait on
//! replica lag, without putting a standby behind the shared smoke server (where every other
//! test's helpers would then wait on it).

use anyhow::Context;
use xshell::Shell;

use super::{PgBin, SUPERUSER, Server, Throwaway, append, privilege};

/// A hot standby streaming from a [`Throwaway`] primary, stopped and deleted when dropped.
/// Its replay can be paused (`pg_wal_replay_pause()`) to make it fall behind.
pub struct Standby {
    server: Server,
    admin_url: String,
}

impl Standby {
    /// Copies `primary` with `pg_basebackup -R` (which writes the standby's connection to the
    /// primary) and starts the copy as a standby on a port of its own. The primary needs
    /// nothing more than a throwaway cluster has: `wal_level = replica` and the replication
    /// line for loopback that initdb writes with `--auth=trust`.
    pub fn start(primary: &Throwaway, label: &str) -> anyhow::Result<Standby> {
        let server = Server::throwaway(label);
        let _ = std::fs::remove_dir_all(server.dir());
        std::fs::create_dir_all(server.dir())
            .with_context(|| format!("create {}", server.dir().display()))?;
        privilege::give_to_server(server.dir())?;
        let bin = PgBin {
            dir: primary.bindir()?,
        };
        let port = dbconn::url::parse(primary.admin_url())?
            .port()
            .context("the primary's port")?
            .to_string();
        let sh = Shell::new()?;
        let data = server.data();
        privilege::server_cmd(&sh, &bin.tool("pg_basebackup"))
            .args(["-h", "127.0.0.1", "-p", &port, "-U", SUPERUSER, "-D"])
            .arg(&data)
            .args(["-R", "-X", "stream", "--checkpoint=fast", "--no-sync"])
            .quiet()
            .ignore_stdout()
            .run()
            .context("pg_basebackup of the primary")?;
        // Reply every second, not every ten: the primary then sees replay resume promptly.
        append(
            &data.join("postgresql.conf"),
            "\n# Added by devdb: a standby for tests.\nwal_receiver_status_interval = 1s\n",
        )?;
        std::fs::write(
            server.dir().join("bindir"),
            bin.dir.to_string_lossy().as_bytes(),
        )?;
        let admin_url = server.start(&sh, &bin)?;
        Ok(Standby { server, admin_url })
    }

    /// The superuser URL of the standby (read-only: it is in recovery).
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }
}

impl Drop for Standby {
    fn drop(&mut self) {
        if let Err(err) = self.server.stop() {
            eprintln!(
                "devdb: could not remove standby {}: {err:#}",
                self.server.dir().display()
            );
        }
    }
}
