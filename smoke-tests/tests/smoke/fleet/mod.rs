//! Fleet rollouts: many databases on the smoke server, listed in a targets file, brought up in
//! parallel and killed and finished by a rerun (the engine's behaviour, run with the toy
//! binary, whose migrations cost milliseconds), and stopped by a failing canary or target
//! (with the shipped binary, whose canary runs this schema's checks).

mod failures;
mod kill;
mod parallel;

use std::path::PathBuf;
use std::process::Output;

use dbconn::url::{quote_ident, with_database};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use smoke_tests::migrator;

/// How long the fleet tests wait to connect: forty databases made and dropped beside the rest
/// of the suite can keep a container's server from answering within a plain connect's 2 s.
pub const BUSY_SERVER_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Whether to skip a fleet test on this run, saying why: a fleet of databases on the one
/// container server, beside the rest of the suite, overloads it (a target timed out in CI
/// there), while the embedded run, which `.ci/run` also makes, has the room for it.
pub fn skipped_in_a_container() -> bool {
    let container = smoke_tests::server_is_a_container();
    if container {
        eprintln!("skipped: fleet tests run on the embedded server, not in the container");
    }
    container
}

/// Databases `smoke_<prefix>_NN` on the smoke server, dropped by [`Fleet::close`] (or, after
/// a panic, on drop), and the targets file that lists them as `tNN=URL`.
pub struct Fleet {
    pub dbs: Vec<FleetDb>,
    pub file: PathBuf,
    admin_url: String,
    closed: bool,
    /// Whether its commands run the toy binary rather than the shipped one.
    toy: bool,
}

/// One database of a [`Fleet`].
pub struct FleetDb {
    pub name: String,
    pub url: String,
}

impl Fleet {
    /// A fleet of `size` databases for the shipped binary.
    pub async fn new(prefix: &str, size: usize) -> Fleet {
        Fleet::create(prefix, size, false).await
    }

    /// A fleet of `size` databases for the toy binary (`smoke_tests::toy`).
    pub async fn toy(prefix: &str, size: usize) -> Fleet {
        Fleet::create(prefix, size, true).await
    }

    /// Creates the databases over one connection: a connection per database, as
    /// [`smoke_tests::TestDb`] makes, would cost more than the rollouts measured here.
    async fn create(prefix: &str, size: usize, toy: bool) -> Fleet {
        let admin_url = std::env::var("SMOKE_SERVER_URL").unwrap_or_else(|_| {
            panic!("SMOKE_SERVER_URL is not set: run the smoke tests with `cargo xtask smoke`")
        });
        let names: Vec<String> = (0..size)
            .map(|i| format!("smoke_{prefix}_{i:02}"))
            .collect();
        let admin = dbconn::connect_waiting(&admin_url, BUSY_SERVER_WAIT)
            .await
            .expect("connect to the smoke server");
        let mut dbs = Vec::with_capacity(size);
        for name in names {
            // A killed run may have left one behind.
            for sql in [
                format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    quote_ident(&name)
                ),
                format!("CREATE DATABASE {}", quote_ident(&name)),
            ] {
                admin
                    .execute_unprepared(&sql)
                    .await
                    .expect("create a fleet database");
            }
            let url = with_database(&admin_url, &name).expect("fleet URL");
            dbs.push(FleetDb { name, url });
        }
        admin.close().await.ok();
        let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{prefix}.targets"));
        let fleet = Fleet {
            dbs,
            file,
            admin_url,
            closed: false,
            toy,
        };
        fleet.write_targets(&[]);
        fleet
    }

    /// Drops the databases, over one connection.
    pub async fn close(mut self) {
        drop_all(&self.admin_url, &self.dbs).await;
        self.closed = true;
    }

    /// The name of target `i` in the targets file and the summary.
    pub fn name(i: usize) -> String {
        format!("t{i:02}")
    }

    /// Writes the targets file: every database, then the `extra` lines.
    pub fn write_targets(&self, extra: &[&str]) {
        let mut text = String::from("# written by the fleet smoke tests\n");
        for (i, db) in self.dbs.iter().enumerate() {
            text.push_str(&format!("{}={}\n", Fleet::name(i), db.url));
        }
        for line in extra {
            text.push_str(line);
            text.push('\n');
        }
        std::fs::write(&self.file, text).expect("write the targets file");
    }

    /// A `migration` (or toy) command with `--targets` this fleet's file, and no DATABASE_URL.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = if self.toy {
            migrator::toy_command("", args)
        } else {
            migrator::command("", args)
        };
        command
            .env_remove("DATABASE_URL")
            .arg("--targets")
            .arg(&self.file);
        command
    }

    /// Runs a fleet command to its end.
    pub async fn run(&self, args: &[&str]) -> Output {
        self.command(args)
            .output()
            .await
            .expect("run the migration binary")
    }

    /// A connection to target `i`.
    pub async fn connect(&self, i: usize) -> DatabaseConnection {
        dbconn::connect_waiting(&self.dbs[i].url, BUSY_SERVER_WAIT)
            .await
            .expect("connect to a fleet database")
    }
}

/// Drops `dbs`, ending their sessions first, over a few connections at once: a drop waits
/// in 100 ms steps for the autovacuum workers it stops, and those waits then overlap.
async fn drop_all(admin_url: &str, dbs: &[FleetDb]) {
    let mut drops = tokio::task::JoinSet::new();
    for share in dbs.chunks(dbs.len().div_ceil(8).max(1)) {
        let names: Vec<String> = share.iter().map(|db| db.name.clone()).collect();
        let admin_url = admin_url.to_owned();
        drops.spawn(async move {
            let admin = dbconn::connect_waiting(&admin_url, BUSY_SERVER_WAIT)
                .await
                .expect("connect to the smoke server");
            for name in names {
                let sql = format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    quote_ident(&name)
                );
                if let Err(err) = admin.execute_unprepared(&sql).await {
                    eprintln!("could not drop fleet database {name}: {err}");
                }
            }
            admin.close().await.ok();
        });
    }
    drops.join_all().await;
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
        if self.closed {
            return;
        }
        // A test that panicked: drop the databases from a thread with a runtime of its own,
        // since this may run inside a runtime that must not block.
        let admin_url = self.admin_url.clone();
        let dbs = std::mem::take(&mut self.dbs);
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map(|runtime| runtime.block_on(drop_all(&admin_url, &dbs)))
        })
        .join();
    }
}

/// The row of target `name` in a summary or matrix, its columns separated by single spaces.
pub fn row_of(stdout: &str, name: &str) -> String {
    stdout
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name))
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| panic!("no row for {name} in:\n{stdout}"))
}

/// How many migrations the build has.
pub fn total() -> usize {
    migration::migrations_through_phase(u8::MAX).len()
}

/// How many migrations the toy binary has.
pub fn toy_total() -> usize {
    smoke_tests::toy::migrations().len()
}
