//! PostgreSQL + pgvector in a container, through testcontainers, for smoke runs on machines
//! with Docker.

use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use anyhow::{Context, bail};
use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};
use xshell::{Shell, cmd};

/// The image users get unless `SMOKE_PG_IMAGE` names another.
pub const DEFAULT_IMAGE: &str = "pgvector/pgvector:pg17";
/// The image `cargo xtask image` builds with no registry, used when the default is absent.
pub const OFFLINE_IMAGE: &str = "agents-db/pgvector:pg18";
/// The superuser's password in throwaway containers: distinctive, so the smoke tests that
/// check no output shows a password cannot pass by accident (the user is `postgres` too).
const PASSWORD: &str = "smoke-Secret-4b1d";

/// The image to run: `SMOKE_PG_IMAGE`; else the default when the engine holds it; else the
/// offline build when the engine holds that; else the default (which would need a pull).
pub fn image() -> String {
    if let Some(named) = std::env::var("SMOKE_PG_IMAGE")
        .ok()
        .filter(|s| !s.trim().is_empty())
    {
        return named.trim().to_string();
    }
    if !image_present(DEFAULT_IMAGE) && image_present(OFFLINE_IMAGE) {
        return OFFLINE_IMAGE.to_string();
    }
    DEFAULT_IMAGE.to_string()
}

/// Where the Docker engine listens, and whether it answers there.
pub fn engine() -> Result<PathBuf, String> {
    let socket = match std::env::var("DOCKER_HOST") {
        Ok(host) if host.starts_with("unix://") => {
            PathBuf::from(host.trim_start_matches("unix://"))
        }
        Ok(host) if !host.is_empty() => {
            return Err(format!("DOCKER_HOST={host} is not a unix socket"));
        }
        _ => PathBuf::from("/var/run/docker.sock"),
    };
    match UnixStream::connect(&socket) {
        Ok(_) => Ok(socket),
        Err(err) => Err(format!("no Docker engine at {} ({err})", socket.display())),
    }
}

/// Whether the engine already holds `image`, so that starting it needs no registry.
pub fn image_present(image: &str) -> bool {
    let Ok(sh) = Shell::new() else { return false };
    cmd!(sh, "docker image inspect {image}")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run()
        .is_ok()
}

/// A running container; it is stopped and removed when this value is dropped.
pub struct ContainerDb {
    _container: ContainerAsync<GenericImage>,
    pub admin_url: String,
}

/// Starts `image` and waits until PostgreSQL accepts connections.
pub async fn start(image: &str) -> anyhow::Result<ContainerDb> {
    let (name, tag) = image.rsplit_once(':').unwrap_or((image, "latest"));
    // The official entrypoint logs readiness twice: once for the init server, once for
    // the real one, so wait for the second.
    let ready = testcontainers::core::wait::LogWaitStrategy::stderr(
        "database system is ready to accept connections",
    )
    .with_times(2);
    let container = GenericImage::new(name, tag)
        .with_exposed_port(5432.tcp())
        .with_wait_for(WaitFor::log(ready))
        .with_env_var("POSTGRES_PASSWORD", PASSWORD)
        // The container is thrown away after the run, so durability only costs time, as for
        // the throwaway embedded server; both the official and the offline entrypoints pass
        // these options to postgres.
        .with_cmd([
            "postgres",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            // Smoke tests run several at a time, some starting eight migrators each.
            "-c",
            "max_connections=200",
        ])
        .with_startup_timeout(std::time::Duration::from_secs(120))
        .start()
        .await
        .with_context(|| {
            format!(
                "start container {image} (when it is absent and cannot be pulled, build one offline with `cargo xtask image`)"
            )
        })?;
    let host = container.get_host().await.context("container host")?;
    let port = container
        .get_host_port_ipv4(5432)
        .await
        .context("container port")?;
    if port == 0 {
        bail!("container {image} exposes no port for 5432");
    }
    let admin_url = format!("postgres://postgres:{PASSWORD}@{host}:{port}/postgres");
    Ok(ContainerDb {
        _container: container,
        admin_url,
    })
}
