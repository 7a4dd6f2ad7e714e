//! `cargo xtask smoke`: a throwaway PostgreSQL from devdb, then the smoke-tests crate on it;
//! on Ctrl-C or SIGTERM the tests are stopped and the server and its databases removed.

use std::process::ExitStatus;

use anyhow::Context;
use tokio::signal::unix::{SignalKind, signal};
use xshell::cmd;

use crate::shell::clean_cargo_env;

use crate::flags::SmokeArgs;

/// How many smoke tests run at once unless the caller says otherwise.
const SMOKE_TEST_THREADS: usize = 6;

pub async fn run(args: SmokeArgs) -> anyhow::Result<()> {
    let server = devdb::smoke_server::choose().await?;
    let command = match &args.run {
        Some(program) => {
            let mut command = tokio::process::Command::new(program);
            command.args(&args.test_args);
            command
        }
        None => tests(&args)?,
    };
    let outcome = supervise(command, &server).await;
    if let Ok(Outcome::Signalled(_)) = &outcome {
        forget_scratch_databases(&server).await;
    }
    // Containers and throwaway servers are removed when their handles drop, here.
    drop(server);
    match outcome? {
        Outcome::Exited(status) if status.success() => Ok(()),
        Outcome::Exited(status) => anyhow::bail!("smoke tests failed ({status})"),
        Outcome::Signalled((name, number)) => {
            eprintln!("smoke: stopped by {name}; the server and its databases are removed");
            // The shell's convention for a process ended by a signal.
            std::process::exit(128 + number)
        }
    }
}

/// The smoke-tests crate's test command, after building the binaries the tests run.
fn tests(args: &SmokeArgs) -> anyhow::Result<tokio::process::Command> {
    let sh = crate::shell::workspace_shell()?;
    // The deploy tests run the shipped binaries themselves, as a deploy would.
    clean_cargo_env(cmd!(
        sh,
        "cargo build --locked -q -p migrator --bin migration -p deployer --example toy -p seed --bin seed"
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
    let mut command = tokio::process::Command::new("cargo");
    command
        .current_dir(devdb::workspace_root())
        .args(["test", "--locked", "-p", "smoke-tests", "--"])
        .args(&test_args)
        .env("MIGRATION_BIN", debug.join("migration"))
        .env("SEED_BIN", debug.join("seed"))
        // The deployer's toy example, the migrator of the deployer's own tests.
        .env("TOY_BIN", debug.join("examples").join("toy"))
        .env("XTASK_BIN", xtask_bin);
    for (key, _) in std::env::vars_os() {
        if crate::shell::set_by_cargo_run(&key.to_string_lossy()) {
            command.env_remove(&key);
        }
    }
    Ok(command)
}

/// How the supervised command ended.
enum Outcome {
    Exited(ExitStatus),
    /// A signal (name, number) asked xtask to stop; the command was killed.
    Signalled((&'static str, i32)),
}

/// Runs `command` against `server` (a tokio child, so it can be stopped), until it exits or
/// xtask is asked to stop by SIGINT or SIGTERM; then it is killed and reaped first, so the
/// server's removal does not race the tests' connections.
async fn supervise(
    mut command: tokio::process::Command,
    server: &devdb::smoke_server::SmokeServer,
) -> anyhow::Result<Outcome> {
    let mut interrupt = signal(SignalKind::interrupt()).context("listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("listen for SIGTERM")?;
    let mut child = command
        .env("SMOKE_SERVER_URL", server.admin_url())
        .env("SMOKE_SERVER_KIND", server.kind())
        .kill_on_drop(true)
        .spawn()
        .context("start the smoke tests")?;
    let signalled = tokio::select! {
        status = child.wait() => return Ok(Outcome::Exited(status.context("wait for the smoke tests")?)),
        _ = interrupt.recv() => ("SIGINT", 2),
        _ = terminate.recv() => ("SIGTERM", 15),
    };
    child.kill().await.ok();
    Ok(Outcome::Signalled(signalled))
}

/// On a server that outlives the run (DATABASE_URL's), the databases the killed tests made are
/// dropped: every test database is named `smoke_...`. Other servers go with their databases.
async fn forget_scratch_databases(server: &devdb::smoke_server::SmokeServer) {
    let devdb::smoke_server::SmokeServer::External(url) = server else {
        return;
    };
    let Ok(db) = dbconn::connect(url).await else {
        return;
    };
    let names = sea_orm::ConnectionTrait::query_all_raw(
        &db,
        sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT datname FROM pg_database WHERE datname LIKE 'smoke\\_%'",
        ),
    )
    .await
    .unwrap_or_default();
    db.close().await.ok();
    for row in names {
        let Ok(name) = row.try_get_by_index::<String>(0) else {
            continue;
        };
        if let Err(err) = devdb::databases::drop_if_exists(url, &name).await {
            eprintln!("smoke: could not drop {name}: {err:#}");
        }
    }
}
