//! Whether the connected role sees every row: tools that read or write all users' rows (seed,
//! verify, key rotation) refuse a role that forced row-level security would hide them from.

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// Refuses `tool` when the connected role is neither a superuser nor `BYPASSRLS` and some
/// table of the database has `FORCE ROW LEVEL SECURITY`. Such a role reads no row of those
/// tables without an error, so a seed would find nothing and write the rows a second time,
/// and a check would find nothing wrong with rows it never saw; refusing is the only honest
/// answer. A database without forced tables (before the project's phase 3) passes.
pub async fn require_every_row_visible(db: &DatabaseConnection, tool: &str) -> anyhow::Result<()> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            r#"SELECT current_user::text AS role,
                      (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) AS sees_all,
                      (SELECT count(*) FROM pg_class WHERE relforcerowsecurity) AS forced,
                      (SELECT min(format('%I.%I', n.nspname, c.relname))
                         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE c.relforcerowsecurity) AS example"#,
        ))
        .await
        .context("read the current role")?
        .context("read the current role: no row")?;
    let role: String = row.try_get("", "role")?;
    let sees_all: bool = row.try_get("", "sees_all")?;
    let forced: i64 = row.try_get("", "forced")?;
    if sees_all || forced == 0 {
        return Ok(());
    }
    let example: String = row.try_get("", "example")?;
    bail!(
        "role `{role}` is subject to the forced row-level security of {forced} tables ({example} \
         among them) and would not see every user's rows: run {tool} as a superuser or a role \
         WITH BYPASSRLS"
    )
}
