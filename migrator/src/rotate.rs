//! `rotate-key`: every sealed value (MCP tokens, medical free text) re-sealed with the current
//! key, online, in short batches.
//!
//! Each column is walked in primary-key order (keyset pagination, so a rerun or a crash loses
//! nothing but the batch in flight). A value already on the current key is skipped without
//! being decrypted, which is what makes a rerun resume. The others are opened, sealed again,
//! and written back with a compare-and-set on the value that was read: a row a writer changed
//! in between keeps the writer's value, since the application seals with the current key too.

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, TransactionTrait, Value};
use secrets::{ColumnRef, Keyring, MEDICAL_COLUMNS, SealError, TOKEN_COLUMNS, key_id_of};

/// Rows per batch unless `--batch-size` says otherwise.
pub const BATCH: u64 = 500;

/// The flags of `rotate-key`.
#[derive(Args, Clone, Debug)]
pub struct RotateArgs {
    /// Rows read per batch; each batch's writes are one short transaction.
    #[arg(long, default_value_t = BATCH, value_parser = clap::value_parser!(u64).range(1..))]
    pub batch_size: u64,
    /// Also seal medical text that is still plaintext (written before phase 7's checks); without
    /// it, plaintext stops the command.
    #[arg(long)]
    pub seal_plaintext: bool,
}

/// What one column's rotation did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ColumnRotation {
    /// `schema.table.column`.
    pub column: String,
    /// Values read (NULLs are not read).
    pub read: u64,
    /// Values written again with the current key.
    pub resealed: u64,
    /// Values that were plaintext and are now sealed (`--seal-plaintext`).
    pub sealed_plaintext: u64,
    /// Values left alone because a writer changed them after they were read.
    pub changed_by_writers: u64,
}

/// Re-seals every sealed column of the schema that exists, with `ring`'s current key. `progress`
/// gets one line per batch and per finished column.
pub async fn rotate(
    db: &DatabaseConnection,
    ring: &Keyring,
    args: &RotateArgs,
    mut progress: impl FnMut(&str),
) -> anyhow::Result<Vec<ColumnRotation>> {
    // A role that row-level security binds would find no health row and say it succeeded.
    dbconn::visibility::require_every_row_visible(db, "rotate-key").await?;
    let mut done = Vec::new();
    for column in TOKEN_COLUMNS.iter().chain(MEDICAL_COLUMNS) {
        if !column_exists(db, column).await? {
            continue;
        }
        let rotation = rotate_column(db, ring, column, args, &mut progress)
            .await
            .with_context(|| format!("rotate {}", column.qualified()))?;
        progress(&format!(
            "rotate-key: {}: done, {} read, {} resealed, {} plaintext sealed, {} changed by writers meanwhile",
            rotation.column,
            rotation.read,
            rotation.resealed,
            rotation.sealed_plaintext,
            rotation.changed_by_writers
        ));
        done.push(rotation);
    }
    Ok(done)
}

/// The command: the environment's keyring, the rotation, a line per batch on stderr.
pub async fn report(
    db: &DatabaseConnection,
    origin: &str,
    args: &RotateArgs,
) -> anyhow::Result<()> {
    crate::known::require(db, origin).await?;
    let ring = secrets::process_keyring()?;
    eprintln!(
        "rotate-key: {origin}: re-sealing with key `{}` in batches of {}",
        ring.current_id(),
        args.batch_size
    );
    let done = rotate(db, ring, args, |line| eprintln!("{line}")).await?;
    let resealed: u64 = done.iter().map(|c| c.resealed + c.sealed_plaintext).sum();
    eprintln!(
        "rotate-key: every sealed value is on key `{}` ({resealed} written)",
        ring.current_id()
    );
    Ok(())
}

async fn column_exists(db: &DatabaseConnection, column: &ColumnRef) -> anyhow::Result<bool> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT count(*) AS n FROM information_schema.columns
              WHERE table_schema = $1 AND table_name = $2 AND column_name = $3",
            [
                column.schema.into(),
                column.table.into(),
                column.column.into(),
            ],
        ))
        .await?
        .context("read information_schema")?;
    Ok(row.try_get::<i64>("", "n")? > 0)
}

/// One value read: its row, the stored value as the database holds it (hex for `BYTEA`, so
/// the compare-and-set can name it), and the value to write instead.
struct Change {
    id: String,
    old: String,
    new: String,
}

async fn rotate_column(
    db: &DatabaseConnection,
    ring: &Keyring,
    column: &ColumnRef,
    args: &RotateArgs,
    progress: &mut impl FnMut(&str),
) -> anyhow::Result<ColumnRotation> {
    let mut rotation = ColumnRotation {
        column: column.qualified(),
        ..ColumnRotation::default()
    };
    let mut after: Option<String> = None;
    let mut checked = false;
    loop {
        let rows = read_batch(db, column, after.as_deref(), args.batch_size).await?;
        let Some((last, _)) = rows.last() else { break };
        after = Some(last.clone());
        rotation.read += rows.len() as u64;
        let mut changes = Vec::new();
        for (id, stored) in rows {
            // Skipping by key id alone would let a wrong key under the right id pass
            // unnoticed: the first value already on the current key must open.
            if !checked && on_current_key(ring, &stored) {
                open_any(ring, column, &stored)?;
                checked = true;
            }
            if let Some((change, plaintext)) = reseal(ring, column, args, id, stored)? {
                rotation.sealed_plaintext += u64::from(plaintext);
                rotation.resealed += u64::from(!plaintext);
                changes.push(change);
            }
        }
        let written = write_batch(db, column, &changes).await?;
        rotation.changed_by_writers += changes.len() as u64 - written;
        progress(&format!(
            "rotate-key: {}: {} read, {} written so far",
            rotation.column,
            rotation.read,
            rotation.resealed + rotation.sealed_plaintext
        ));
    }
    Ok(rotation)
}

fn on_current_key(ring: &Keyring, stored: &[u8]) -> bool {
    std::str::from_utf8(stored).ok().and_then(key_id_of) == Some(ring.current_id())
}

/// The plaintext of a stored token or envelope.
fn open_any(ring: &Keyring, column: &ColumnRef, stored: &[u8]) -> Result<Vec<u8>, SealError> {
    if column.bytes {
        return Ok(secrets::open_token(ring, column, stored)?.into_bytes());
    }
    ring.open(
        &column.qualified(),
        std::str::from_utf8(stored).unwrap_or_default(),
    )
}

/// The change for one stored value, and whether it was plaintext; `None` when it is already
/// on the current key.
fn reseal(
    ring: &Keyring,
    column: &ColumnRef,
    args: &RotateArgs,
    id: String,
    stored: Vec<u8>,
) -> Result<Option<(Change, bool)>, SealError> {
    if on_current_key(ring, &stored) {
        return Ok(None);
    }
    let (plaintext, was_plaintext) = match open_any(ring, column, &stored) {
        Ok(plaintext) => (plaintext, false),
        Err(SealError::NotSealed { .. }) if args.seal_plaintext && !column.bytes => {
            (stored.clone(), true)
        }
        Err(err) => return Err(err),
    };
    let text = std::str::from_utf8(&stored).ok();
    let new = ring.seal(&column.qualified(), &plaintext);
    let (old, new) = if column.bytes {
        (hex(&stored), hex(new.as_bytes()))
    } else {
        (text.unwrap_or_default().to_owned(), new)
    };
    Ok(Some((Change { id, old, new }, was_plaintext)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The next `size` non-NULL values of `column` after primary key `after`, in key order.
async fn read_batch(
    db: &DatabaseConnection,
    column: &ColumnRef,
    after: Option<&str>,
    size: u64,
) -> Result<Vec<(String, Vec<u8>)>, DbErr> {
    let (schema, table, name) = (column.schema, column.table, column.column);
    // Text is read as its UTF-8 bytes so both kinds of column come back alike.
    let value = if column.bytes {
        format!(r#""{name}""#)
    } else {
        format!(r#"convert_to("{name}", 'UTF8')"#)
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                r#"SELECT id::text AS id, {value} AS stored FROM "{schema}"."{table}"
                    WHERE "{name}" IS NOT NULL AND ($1::uuid IS NULL OR id > $1::uuid)
                    ORDER BY id LIMIT $2"#
            ),
            [Value::from(after.map(str::to_owned)), (size as i64).into()],
        ))
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("", "id")?, row.try_get("", "stored")?)))
        .collect()
}

/// How often a batch whose rows stay locked is tried again before the rotation stops.
const ATTEMPTS: u32 = 4;

/// Writes `changes` in one transaction, each only where the row still holds the value read;
/// returns how many rows were written. Retried when writers hold the rows past the lock
/// timeout (the batch is idempotent: a retry compares against the same old values).
async fn write_batch(
    db: &DatabaseConnection,
    column: &ColumnRef,
    changes: &[Change],
) -> anyhow::Result<u64> {
    if changes.is_empty() {
        return Ok(0);
    }
    let mut attempt = 1;
    loop {
        match write_once(db, column, changes).await {
            Ok(written) => return Ok(written),
            Err(err) if attempt < ATTEMPTS && busy(&err) => {
                tokio::time::sleep(Duration::from_millis(200) * 2u32.pow(attempt)).await;
                attempt += 1;
            }
            Err(err) => return Err(err).context("write a batch"),
        }
    }
}

fn busy(err: &DbErr) -> bool {
    let text = err.to_string();
    text.contains("lock timeout") || text.contains("deadlock detected")
}

async fn write_once(
    db: &DatabaseConnection,
    column: &ColumnRef,
    changes: &[Change],
) -> Result<u64, DbErr> {
    let (schema, table, name) = (column.schema, column.table, column.column);
    let decode = |v: &str| {
        if column.bytes {
            format!("decode({v}, 'hex')")
        } else {
            v.to_owned()
        }
    };
    let (old, new) = (decode("c.old"), decode("c.new"));
    let array = |f: fn(&Change) -> &String| -> Value {
        changes
            .iter()
            .map(|c| f(c).clone())
            .collect::<Vec<_>>()
            .into()
    };
    let txn = db.begin().await?;
    txn.execute_unprepared("SET LOCAL lock_timeout = '2s'; SET LOCAL statement_timeout = '60s'")
        .await?;
    let result = txn
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                r#"UPDATE "{schema}"."{table}" t SET "{name}" = {new}
                     FROM unnest($1::text[], $2::text[], $3::text[]) AS c(id, old, new)
                    WHERE t.id = c.id::uuid AND t."{name}" = {old}"#
            ),
            [array(|c| &c.id), array(|c| &c.old), array(|c| &c.new)],
        ))
        .await?;
    txn.commit().await?;
    Ok(result.rows_affected())
}
