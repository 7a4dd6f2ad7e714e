//! One fully migrated database per smoke server, copied by every test that starts migrated:
//! a copy takes a fraction of the time that applying every migration again does.

use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use anyhow::Context;
use dbconn::url::quote_ident;
use sea_orm::sqlx;

/// The template's name once this process has made sure it exists.
static READY: OnceLock<String> = OnceLock::new();

/// The advisory lock key under which one test builds the template while the others wait.
const LOCK: &str = "SELECT pg_advisory_lock(hashtext('smoke migrated template'))";
const UNLOCK: &str = "SELECT pg_advisory_unlock(hashtext('smoke migrated template'))";

/// The name of the migrated template on the server of `admin_url`, built by the first caller.
/// It is named after the migrations it holds, so a server that outlives a change of them
/// gets a new one, and built under another name, renamed only once complete, so an
/// interrupted build is never copied.
pub async fn ensure(admin_url: &str) -> anyhow::Result<String> {
    if let Some(name) = READY.get() {
        return Ok(name.clone());
    }
    let name = format!("smoke_template_{:016x}", fingerprint());
    let admin = dbconn::connect(admin_url).await?;
    // One connection for the lock and its release: the lock belongs to a session.
    let mut conn = admin
        .get_postgres_connection_pool()
        .acquire()
        .await
        .context("admin connection")?;
    sqlx::query(LOCK)
        .execute(&mut *conn)
        .await
        .context("lock")?;
    let built = build_unless_present(admin_url, &mut conn, &name).await;
    sqlx::query(UNLOCK)
        .execute(&mut *conn)
        .await
        .context("unlock")?;
    drop(conn);
    admin.close().await.ok();
    built?;
    Ok(READY.get_or_init(|| name).clone())
}

async fn build_unless_present(
    admin_url: &str,
    conn: &mut sqlx::PgConnection,
    name: &str,
) -> anyhow::Result<()> {
    let present: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut *conn)
            .await?;
    if present {
        return Ok(());
    }
    let building = format!("{name}_building");
    let url = devdb::databases::recreate(admin_url, &building).await?;
    let db = dbconn::connect(&url).await?;
    migration::up_through_phase(&db, None)
        .await
        .context("migrate the template")?;
    db.close()
        .await
        .context("close the template's connections")?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE {} RENAME TO {}",
        quote_ident(&building),
        quote_ident(name)
    )))
    .execute(&mut *conn)
    .await
    .context("name the finished template")?;
    Ok(())
}

/// A hash of every migration's name, in order.
fn fingerprint() -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    migration::migrations_through_phase(u8::MAX).hash(&mut hasher);
    hasher.finish()
}
