//! `cargo xtask smoke`: choose a throwaway PostgreSQL, then run the smoke-tests crate on it.

use anyhow::{Context, bail};
use devdb::container;
use devdb::embedded::Throwaway;
use xshell::cmd;

use crate::shell::clean_cargo_env;

use crate::flags::SmokeArgs;

/// How many smoke tests run at once unless the caller says otherwise.
const SMOKE_TEST_THREADS: usize = 6;

/// A server the tests may create and drop databases on, kept alive while they run.
enum SmokeServer {
    External(String),
    Embedded(Throwaway),
    Container(Box<container::ContainerDb>),
}

impl SmokeServer {
    /// What the tests are told about the server: only embedded and container servers are
    /// known to check passwords for the roles tests create.
    fn kind(&self) -> &'static str {
        match self {
            SmokeServer::External(_) => "external",
            SmokeServer::Embedded(_) => "embedded",
            SmokeServer::Container(_) => "container",
        }
    }

    fn admin_url(&self) -> &str {
        match self {
            SmokeServer::External(url) => url,
            SmokeServer::Embedded(server) => server.admin_url(),
            SmokeServer::Container(c) => &c.admin_url,
        }
    }
}

pub async fn run(args: SmokeArgs) -> anyhow::Result<()> {
    let server = choose().await?;
    let sh = crate::shell::workspace_shell()?;
    // The deploy tests run the shipped binaries themselves, as a deploy would.
    clean_cargo_env(cmd!(
        sh,
        "cargo build --locked -q -p migration --bin migration -p seed --bin seed"
    ))
    .run()
    .context("build the migration and seed binaries")?;
    let debug = devdb::devdb_dir()
        .parent()
        .context("target directory")?
        .join("debug");
    // This very binary, for the tests of xtask's own command line.
    let xtask_bin = std::env::current_exe().context("find the xtask binary")?;
    let mut test_args = args.test_args.clone();
    // The tests wait on PostgreSQL, not on the CPU: more of them at once than there are cores
    // keeps the server busy (measured: 42 s with 2 threads, 29 s with 6 to 8).
    if !test_args.iter().any(|a| a.starts_with("--test-threads")) {
        test_args.push(format!("--test-threads={SMOKE_TEST_THREADS}"));
    }
    let test_args = &test_args;
    let result = clean_cargo_env(cmd!(
        sh,
        "cargo test --locked -p smoke-tests -- {test_args...}"
    ))
    .env("SMOKE_SERVER_URL", server.admin_url())
    .env("SMOKE_SERVER_KIND", server.kind())
    .env("MIGRATION_BIN", debug.join("migration"))
    .env("SEED_BIN", debug.join("seed"))
    .env("XTASK_BIN", xtask_bin)
    .run()
    .context("smoke tests failed");
    // Containers and throwaway servers are removed when their handles drop, here.
    drop(server);
    result
}

/// `DATABASE_URL`'s server when set; else a container when Docker answers and has the image
/// (or `SMOKE_DB=container`); else a throwaway embedded server. One line says which and why.
async fn choose() -> anyhow::Result<SmokeServer> {
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
    Ok(SmokeServer::Embedded(Throwaway::start("smoke")?))
}
