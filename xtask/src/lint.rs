//! `cargo xtask lint`: lint the SQL every migration emits.

pub async fn run() -> anyhow::Result<()> {
    anyhow::bail!("lint: waiting for migration::render")
}
