//! The server the smoke tests run on: `DATABASE_URL`'s, a container, or a throwaway
//! embedded one, chosen in one place with one line that says which and why.

use anyhow::bail;

use crate::container;
use crate::embedded::Throwaway;

/// A server the tests may create and drop databases on, kept alive while they run.
pub enum SmokeServer {
    External(String),
    Embedded(Throwaway),
    Container(Box<container::ContainerDb>),
}

impl SmokeServer {
    /// What the tests are told about the server: only embedded and container servers are
    /// known to check passwords for the roles tests create.
    pub fn kind(&self) -> &'static str {
        match self {
            SmokeServer::External(_) => "external",
            SmokeServer::Embedded(_) => "embedded",
            SmokeServer::Container(_) => "container",
        }
    }

    /// The URL of a user who may create and drop databases on it.
    pub fn admin_url(&self) -> &str {
        match self {
            SmokeServer::External(url) => url,
            SmokeServer::Embedded(server) => server.admin_url(),
            SmokeServer::Container(c) => &c.admin_url,
        }
    }
}

/// `DATABASE_URL`'s server when set; else a container when Docker answers and has the image
/// (or `SMOKE_DB=container`); else a throwaway embedded server. One line says which and why.
pub async fn choose() -> anyhow::Result<SmokeServer> {
    let url = std::env::var("DATABASE_URL").unwrap_or_default();
    if !url.trim().is_empty() {
        eprintln!(
            "smoke: using the server of DATABASE_URL ({}), one database per test",
            dbconn::url::redact(&url)
        );
        return Ok(SmokeServer::External(url.trim().to_string()));
    }
    let wanted = std::env::var("SMOKE_DB").unwrap_or_default();
    let image = container::image();
    let use_container = match wanted.as_str() {
        "container" => match container::engine() {
            Ok(_) => true,
            Err(why) => {
                bail!("SMOKE_DB=container but {why}: start Docker or set SMOKE_DB=embedded")
            }
        },
        "embedded" => {
            eprintln!("smoke: using a throwaway embedded PostgreSQL (SMOKE_DB=embedded)");
            false
        }
        "" => match container::engine() {
            Ok(_) if container::image_present(&image) => true,
            Ok(_) => {
                eprintln!(
                    "smoke: using a throwaway embedded PostgreSQL (Docker answers but has no image {image}; \
                     build one offline with `cargo xtask image`, or pull it)"
                );
                false
            }
            Err(why) => {
                eprintln!("smoke: using a throwaway embedded PostgreSQL ({why})");
                false
            }
        },
        other => bail!("SMOKE_DB={other} is not understood: use `container` or `embedded`"),
    };
    if use_container {
        eprintln!("smoke: using a container of {image} (Docker answers)");
        let db = container::start(&image).await?;
        return Ok(SmokeServer::Container(Box::new(db)));
    }
    // In memory, under /dev/shm where the machine has it: each test creates and drops a
    // database, tens of thousands of relation files a run, and on ext4 finding a free inode
    // among that many just-deleted ones cost a quarter of the suite's CPU (perf: the kernel's
    // `recently_deleted` and `find_inode_bit`). Other throwaway clusters stay on disk.
    // Autovacuum's launcher visits each database once per naptime: with a database per test,
    // the default minute had it start a worker, a backend of its own, every few tenths of a
    // second, and each DROP DATABASE waits for the workers it stops. The tests that need
    // statistics run ANALYZE.
    Ok(SmokeServer::Embedded(Throwaway::start_in_memory(
        "smoke",
        "autovacuum_naptime = '10min'",
    )?))
}
