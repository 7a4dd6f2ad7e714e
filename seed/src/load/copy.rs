//! Streaming rows into one table through `COPY ... FROM STDIN (FORMAT text)`.
//!
//! Rows are encoded into a buffer that is sent whenever it passes [`CHUNK`] bytes, so memory
//! stays at one chunk plus one unit of generation (one user's rows) whatever the table's size.

use std::fmt::Display;
use std::io::Write;

use anyhow::Context;
use chrono::NaiveDateTime;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use sea_orm::sqlx::{Acquire, PgConnection, PgPool};
use uuid::Uuid;

/// How many bytes of encoded rows are sent to the server at a time.
const CHUNK: usize = 1 << 20;

/// The encoded rows of one chunk, written field by field.
#[derive(Default)]
pub struct Rows {
    buf: Vec<u8>,
    rows: u64,
    in_row: bool,
}

impl Rows {
    fn sep(&mut self) {
        if self.in_row {
            self.buf.push(b'\t');
        }
        self.in_row = true;
    }

    /// A value whose `Display` form needs no escaping (numbers, UUIDs, enum labels).
    pub fn val(&mut self, v: impl Display) -> &mut Self {
        self.sep();
        write!(self.buf, "{v}").expect("write to Vec");
        self
    }

    pub fn uuid(&mut self, id: Uuid) -> &mut Self {
        self.val(id.hyphenated())
    }

    /// Text, escaped for COPY's text format.
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.sep();
        for b in s.bytes() {
            match b {
                b'\\' => self.buf.extend_from_slice(b"\\\\"),
                b'\t' => self.buf.extend_from_slice(b"\\t"),
                b'\n' => self.buf.extend_from_slice(b"\\n"),
                b'\r' => self.buf.extend_from_slice(b"\\r"),
                _ => self.buf.push(b),
            }
        }
        self
    }

    pub fn null(&mut self) -> &mut Self {
        self.sep();
        self.buf.extend_from_slice(b"\\N");
        self
    }

    /// A `TIMESTAMP(3)`.
    pub fn ts(&mut self, t: NaiveDateTime) -> &mut Self {
        self.val(t.format("%Y-%m-%d %H:%M:%S%.3f"))
    }

    /// A `vector` in pgvector's text form, `[x,y,...]`.
    pub fn vector(&mut self, v: &[f32]) -> &mut Self {
        self.sep();
        self.buf.push(b'[');
        for (i, x) in v.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            write!(self.buf, "{x}").expect("write to Vec");
        }
        self.buf.push(b']');
        self
    }

    /// Ends the current row.
    pub fn end(&mut self) {
        self.buf.push(b'\n');
        self.rows += 1;
        self.in_row = false;
    }
}

/// One table to load: where, which columns, and how many units of generation.
pub struct Table<'a> {
    /// The schema-qualified name, e.g. `public.messages`.
    pub name: &'a str,
    /// Column names in the order the generator writes them.
    pub columns: &'a [&'a str],
    /// Whether user triggers are switched off during the load; the generator then writes the
    /// values the triggers would have maintained.
    pub without_triggers: bool,
    /// How many times the generator is called (usually once per user).
    pub units: u64,
}

/// Loads `table` in one transaction on its own connection, calling `generate(unit, rows)` for
/// each unit in order, and returns the number of rows written.
pub async fn load(
    pool: &PgPool,
    bars: &MultiProgress,
    table: &Table<'_>,
    generate: impl FnMut(u64, &mut Rows),
) -> anyhow::Result<u64> {
    let label = table.name;
    let bar = progress_bar(bars, table);
    let mut conn = pool.acquire().await.context("acquire a connection")?;
    let mut tx = conn.begin().await.context("begin")?;
    if table.without_triggers {
        // Inside the transaction: if the load fails, the triggers come back with the rollback.
        set_user_triggers(&mut tx, table.name, false).await?;
    }
    let bulk = drop_bulk_indexes(&mut tx, table.name).await?;
    let rows = copy_rows(&mut tx, table, &bar, generate).await?;
    build_bulk_indexes(&mut tx, &bulk).await?;
    if table.without_triggers {
        set_user_triggers(&mut tx, table.name, true).await?;
    }
    tx.commit()
        .await
        .with_context(|| format!("commit {label}"))?;
    bar.set_position(table.units);
    bar.finish_with_message(format!("{rows} rows"));
    Ok(rows)
}

fn progress_bar(bars: &MultiProgress, table: &Table<'_>) -> ProgressBar {
    let bar = bars.add(ProgressBar::new(table.units));
    bar.set_style(
        ProgressStyle::with_template("{prefix:>28} {bar:30} {pos}/{len} units {msg}")
            .expect("valid template"),
    );
    bar.set_prefix(table.name.to_string());
    bar
}

/// Row triggers that derive a column of the row being written (the messages' search vector).
/// The loader switches off the counter triggers, whose values it writes itself, but never
/// these: with them off the loaded messages could not be found by a word.
pub const KEPT_TRIGGERS: &[&str] = &["messages_content_search"];

/// Switches the user triggers of `table` (schema-qualified, e.g. `public.messages`) on or off,
/// all but the [`KEPT_TRIGGERS`], which stay on.
pub async fn set_user_triggers(
    conn: &mut PgConnection,
    table: &str,
    on: bool,
) -> anyhow::Result<()> {
    let switch = if on { "ENABLE" } else { "DISABLE" };
    sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(format!(
        "ALTER TABLE {} {switch} TRIGGER USER",
        qualified(table)
    )))
    .execute(&mut *conn)
    .await
    .with_context(|| format!("{} triggers of {table}", switch.to_lowercase()))?;
    if on {
        return Ok(());
    }
    // Only those the table has: a database migrated through an earlier phase lacks them.
    let kept: Vec<String> = sea_orm::sqlx::query_scalar(
        "SELECT tgname::text FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname = ANY($2)",
    )
    .bind(qualified(table))
    .bind(KEPT_TRIGGERS)
    .fetch_all(&mut *conn)
    .await
    .with_context(|| format!("read the triggers of {table}"))?;
    for name in kept {
        sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(format!(
            "ALTER TABLE {} ENABLE TRIGGER {}",
            qualified(table),
            quote(&name)
        )))
        .execute(&mut *conn)
        .await
        .with_context(|| format!("keep trigger {name} of {table} on"))?;
    }
    Ok(())
}

/// Drops the approximate-nearest-neighbour (`hnsw`) indexes of `table` and returns the
/// `CREATE INDEX` statement of each, as PostgreSQL prints it, to be run once the rows are in:
/// built over loaded rows such an index is ten times faster than kept up row by row (15 s
/// against 150 s for 33,000 chunks of 1,536 dimensions). Inside the load's transaction, so a
/// failed load rolls the drop back too.
pub async fn drop_bulk_indexes(
    conn: &mut PgConnection,
    table: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    let indexes: Vec<(String, String)> = sea_orm::sqlx::query_as(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(i.relname), pg_get_indexdef(i.oid)
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
           JOIN pg_namespace n ON n.oid = i.relnamespace
           JOIN pg_am a ON a.oid = i.relam
          WHERE x.indrelid = $1::regclass AND a.amname = 'hnsw'",
    )
    .bind(qualified(table))
    .fetch_all(&mut *conn)
    .await
    .with_context(|| format!("read the vector indexes of {table}"))?;
    for (name, _) in &indexes {
        sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(format!("DROP INDEX {name}")))
            .execute(&mut *conn)
            .await
            .with_context(|| format!("drop {name} for the load"))?;
    }
    Ok(indexes)
}

/// Builds again the indexes [`drop_bulk_indexes`] dropped, with the memory to build each
/// graph at once (past `maintenance_work_mem` pgvector goes on far slower on disk).
pub async fn build_bulk_indexes(
    conn: &mut PgConnection,
    indexes: &[(String, String)],
) -> anyhow::Result<()> {
    if indexes.is_empty() {
        return Ok(());
    }
    sea_orm::sqlx::query("SET LOCAL maintenance_work_mem = '2GB'")
        .execute(&mut *conn)
        .await?;
    for (name, definition) in indexes {
        sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(definition.clone()))
            .execute(&mut *conn)
            .await
            .with_context(|| format!("build {name} over the loaded rows"))?;
    }
    Ok(())
}

/// Streams the rows `generate` writes into `table` through one `COPY`, a chunk at a time, and
/// returns how many there were.
async fn copy_rows(
    conn: &mut PgConnection,
    table: &Table<'_>,
    bar: &ProgressBar,
    mut generate: impl FnMut(u64, &mut Rows),
) -> anyhow::Result<u64> {
    let label = table.name;
    let columns: Vec<String> = table.columns.iter().map(|c| quote(c)).collect();
    let statement = format!(
        "COPY {} ({}) FROM STDIN (FORMAT text)",
        qualified(table.name),
        columns.join(", ")
    );
    let mut copy = conn
        .copy_in_raw(&statement)
        .await
        .with_context(|| format!("start COPY into {label}"))?;
    let mut rows = Rows {
        buf: Vec::with_capacity(CHUNK + CHUNK / 4),
        ..Rows::default()
    };
    for unit in 0..table.units {
        generate(unit, &mut rows);
        if rows.buf.len() >= CHUNK {
            copy.send(rows.buf.as_slice())
                .await
                .with_context(|| format!("COPY into {label}"))?;
            rows.buf.clear();
            bar.set_position(unit + 1);
            bar.set_message(format!("{} rows", rows.rows));
        }
    }
    if !rows.buf.is_empty() {
        copy.send(rows.buf.as_slice()).await?;
    }
    copy.finish()
        .await
        .with_context(|| format!("COPY into {label}"))?;
    Ok(rows.rows)
}

/// `"schema"."table"` for `schema.table`; a name without a schema is in `public`.
fn qualified(table: &str) -> String {
    let (schema, name) = table.split_once('.').unwrap_or(("public", table));
    format!("{}.{}", quote(schema), quote(name))
}

/// Quotes an identifier, doubling embedded quotes.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_are_escaped_and_rows_tab_separated() {
        let mut rows = Rows::default();
        rows.text("a\tb\\c\nd").null().val(7).vector(&[0.5, -1.0]);
        rows.end();
        assert_eq!(
            String::from_utf8(rows.buf).unwrap(),
            "a\\tb\\\\c\\nd\t\\N\t7\t[0.5,-1]\n"
        );
        assert_eq!(rows.rows, 1);
    }
}
