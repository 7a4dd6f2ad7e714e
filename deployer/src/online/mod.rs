//! Building an index on a live table without blocking its writers.
//!
//! `CREATE INDEX` in a transaction holds a SHARE lock on the table for the whole build, so
//! every INSERT, UPDATE and DELETE waits until it ends. `CREATE INDEX CONCURRENTLY` takes only
//! a SHARE UPDATE EXCLUSIVE lock, which writers do not conflict with, at the price of running
//! outside a transaction and leaving an INVALID index behind when it is interrupted. This
//! helper handles both sides: its own connection in autocommit, a `lock_timeout` so that it
//! gives up rather than queue behind (and in front of) other lock holders, and a leftover
//! INVALID index of the same name dropped first, so it can simply be run again.
//!
//! Where standbys follow the primary, a build writes WAL they must replay: the helpers here
//! pause between their steps while a standby is too far behind ([`replicas`]).
//! [`backfill()`] fills a column of a big table in short, resumable batches.

pub mod backfill;
pub mod replicas;

use std::time::Duration;

use sea_orm::sqlx;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use sea_orm_migration::DbErr;

pub use self::backfill::{Backfill, Filled, backfill};
pub use self::replicas::{LagArgs, ReplicaLag};

/// An index to build online.
#[derive(Clone, Debug)]
pub struct OnlineIndex<'a> {
    pub name: &'a str,
    pub schema: &'a str,
    pub table: &'a str,
    /// The key columns, quoted here; one written in parentheses is an expression, kept as it
    /// is (`(public.f("a", "b"))`).
    pub columns: &'a [&'a str],
    pub unique: bool,
    /// The access method (`gin`, `hnsw`); `None`: PostgreSQL's default, a B-tree.
    pub method: Option<&'a str>,
    /// The condition of a partial index, as SQL (`"isActive"`); `None`: every row.
    pub predicate: Option<&'a str>,
    /// The operator class of every column (`vector_cosine_ops`); `None`: the type's default.
    pub opclass: Option<&'a str>,
    /// Storage parameters, as SQL (`m = 24, ef_construction = 128`); `None`: the method's.
    pub with: Option<&'a str>,
    /// `maintenance_work_mem` for the build (`1GB`): pgvector builds an HNSW graph that does
    /// not fit in it far slower, on disk; `None`: the server's setting.
    pub memory: Option<&'a str>,
    /// How long to wait for each lock before failing (the build itself is not limited).
    pub lock_timeout: Duration,
}

impl<'a> OnlineIndex<'a> {
    /// A plain B-tree index of `schema.table` on `columns`, not unique, with the types' and
    /// the server's defaults and a 5 s lock timeout: a step that gives up can simply be run
    /// again. Set the other fields before `..OnlineIndex::new(..)` where they differ.
    pub const fn new(
        name: &'a str,
        schema: &'a str,
        table: &'a str,
        columns: &'a [&'a str],
    ) -> Self {
        Self {
            name,
            schema,
            table,
            columns,
            unique: false,
            method: None,
            predicate: None,
            opclass: None,
            with: None,
            memory: None,
            lock_timeout: Duration::from_secs(5),
        }
    }

    /// The `CREATE INDEX CONCURRENTLY` statement, identifiers quoted.
    pub fn create_sql(&self) -> String {
        let opclass = self.opclass.map(|o| format!(" {o}")).unwrap_or_default();
        // A key in parentheses is an expression, kept as written; a name is quoted.
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                if c.starts_with('(') {
                    format!("{c}{opclass}")
                } else {
                    format!("{}{opclass}", quote(c))
                }
            })
            .collect();
        let with = self
            .with
            .map(|w| format!(" WITH ({w})"))
            .unwrap_or_default();
        let method = self
            .method
            .map(|m| format!(" USING {m}"))
            .unwrap_or_default();
        let predicate = self
            .predicate
            .map(|p| format!(" WHERE {p}"))
            .unwrap_or_default();
        format!(
            "CREATE {}INDEX CONCURRENTLY IF NOT EXISTS {} ON {}.{}{method} ({}){with}{predicate}",
            if self.unique { "UNIQUE " } else { "" },
            quote(self.name),
            quote(self.schema),
            quote(self.table),
            columns.join(", ")
        )
    }

    /// The `DROP INDEX CONCURRENTLY` statement for this index, identifiers quoted.
    pub fn drop_sql(&self) -> String {
        format!(
            "DROP INDEX CONCURRENTLY IF EXISTS {}.{}",
            quote(self.schema),
            quote(self.name)
        )
    }
}

/// Builds `index` online from a migration's `up`; the migration must run outside a transaction
/// (`use_transaction()` returns `Some(false)`).
pub async fn build(
    manager: &sea_orm_migration::SchemaManager<'_>,
    index: &OnlineIndex<'_>,
) -> Result<(), DbErr> {
    create_index_concurrently(session(manager)?, index).await
}

/// Drops `index` online from a migration's `down`, outside a transaction like [`build`].
pub async fn remove(
    manager: &sea_orm_migration::SchemaManager<'_>,
    index: &OnlineIndex<'_>,
) -> Result<(), DbErr> {
    drop_index_concurrently(session(manager)?, index).await
}

/// The migration's own session, which a migration outside a transaction gets: the helpers
/// open connections of its pool in autocommit.
fn session<'a>(
    manager: &'a sea_orm_migration::SchemaManager<'_>,
) -> Result<&'a DatabaseConnection, DbErr> {
    match manager.get_connection() {
        sea_orm_migration::SchemaManagerConnection::Connection(db) => Ok(db),
        _ => Err(DbErr::Custom(
            "an online index step ran inside a transaction: its migration must return \
             Some(false) from use_transaction()"
                .into(),
        )),
    }
}

/// Builds `index` with `CREATE INDEX CONCURRENTLY` on a dedicated connection, after dropping
/// an INVALID index of the same name left by an interrupted build. A valid index of that name
/// is kept as it is, so running this again is a no-op. Before each step it waits while a
/// standby is more than the process's bound behind ([`replicas::default_max_lag`]).
pub async fn create_index_concurrently(
    db: &DatabaseConnection,
    index: &OnlineIndex<'_>,
) -> Result<(), DbErr> {
    create_index_throttled(db, index, &mut ReplicaLag::with_default()).await
}

/// [`create_index_concurrently`] with a lag check of the caller's (its own bound).
pub async fn create_index_throttled(
    db: &DatabaseConnection,
    index: &OnlineIndex<'_>,
    lag: &mut ReplicaLag,
) -> Result<(), DbErr> {
    if !on_a_server(db) {
        return db.execute_unprepared(&index.create_sql()).await.map(|_| ());
    }
    let what = format!("online index {}", index.name);
    // Each step starts only while the standbys keep up. The check runs while this helper
    // holds no connection: a migration's session pool has just one.
    lag.wait(db, &what).await?;
    if drop_invalid(db, index).await? {
        lag.wait(db, &what).await?;
    }
    let create = index.create_sql();
    with_settings(db, index.lock_timeout, index.memory, async |conn| {
        sqlx::query(sqlx::AssertSqlSafe(create))
            .execute(conn)
            .await
            .map(|_| ())
    })
    .await
}

/// Drops `index` with `DROP INDEX CONCURRENTLY` on a dedicated connection, with its
/// `lock_timeout`: readers and writers of the table go on while it waits for them to finish.
/// An index already gone is no error, so running this again is a no-op.
pub async fn drop_index_concurrently(
    db: &DatabaseConnection,
    index: &OnlineIndex<'_>,
) -> Result<(), DbErr> {
    let drop = index.drop_sql();
    if !on_a_server(db) {
        return db.execute_unprepared(&drop).await.map(|_| ());
    }
    ReplicaLag::with_default()
        .wait(db, &format!("drop index {}", index.name))
        .await?;
    with_settings(db, index.lock_timeout, None, async |conn| {
        sqlx::query(sqlx::AssertSqlSafe(drop))
            .execute(conn)
            .await
            .map(|_| ())
    })
    .await
}

/// Whether `db` is a PostgreSQL pool. The other kind a migration meets is the recording
/// connection that renders it (render.rs), which gets the statement itself, so checksums,
/// `--dry-run` and the lint see what a server would run.
fn on_a_server(db: &DatabaseConnection) -> bool {
    matches!(
        db.inner,
        sea_orm::DatabaseConnectionType::SqlxPostgresPoolConnection(_)
    )
}

/// Drops the INVALID index of `index`'s name an interrupted build left, if there is one, and
/// says whether it did.
async fn drop_invalid(db: &DatabaseConnection, index: &OnlineIndex<'_>) -> Result<bool, DbErr> {
    with_settings(db, index.lock_timeout, None, async |conn| {
        let valid: Option<bool> = sqlx::query_scalar(
            "SELECT i.indisvalid FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relname = $2",
        )
        .bind(index.schema)
        .bind(index.name)
        .fetch_optional(&mut *conn)
        .await?;
        if valid != Some(false) {
            return Ok(false);
        }
        sqlx::query(sqlx::AssertSqlSafe(index.drop_sql()))
            .execute(conn)
            .await?;
        Ok(true)
    })
    .await
}

/// Runs `work` on a pooled connection (autocommit, as CONCURRENTLY needs) with a step's
/// session settings: `lock_timeout`, and `maintenance_work_mem` when `memory` gives one. Each
/// setting made is reset before the connection goes back to the pool, whatever happened; the
/// first error is the one returned.
async fn with_settings<T>(
    db: &DatabaseConnection,
    lock_timeout: Duration,
    memory: Option<&str>,
    work: impl AsyncFnOnce(&mut sqlx::PgConnection) -> Result<T, sqlx::Error>,
) -> Result<T, DbErr> {
    let mut conn = db
        .get_postgres_connection_pool()
        .acquire()
        .await
        .map_err(sqlx_err)?;
    let millis = lock_timeout.as_millis().max(1);
    sqlx::query(sqlx::AssertSqlSafe(format!("SET lock_timeout = {millis}")))
        .execute(&mut *conn)
        .await
        .map_err(sqlx_err)?;
    let result = async {
        let Some(memory) = memory else {
            return work(&mut conn).await;
        };
        // set_config takes the value as a bound parameter, where SET would need it spliced in.
        sqlx::query("SELECT set_config('maintenance_work_mem', $1, false)")
            .bind(memory)
            .execute(&mut *conn)
            .await?;
        let result = work(&mut conn).await;
        let reset = sqlx::query("RESET maintenance_work_mem")
            .execute(&mut *conn)
            .await
            .map(|_| ());
        result.and_then(|value| reset.map(|()| value))
    }
    .await
    .map_err(sqlx_err);
    let reset = sqlx::query("RESET lock_timeout")
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(sqlx_err);
    result.and_then(|value| reset.map(|()| value))
}

/// Quotes an identifier for PostgreSQL, doubling embedded quotes.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A server error keeps its SQLSTATE, so that the deployer retries a lock timeout here as it
/// does in a transactional migration (the helper is safe to run again); others say where
/// they came from.
fn sqlx_err(err: sqlx::Error) -> DbErr {
    if err.as_database_error().is_some() {
        DbErr::Exec(sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(err)))
    } else {
        DbErr::Custom(format!("online index: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_is_concurrent_idempotent_and_quoted() {
        let index = OnlineIndex::new(
            "messages_conversationId_timestamp_idx",
            "public",
            "messages",
            &["conversationId", "timestamp"],
        );
        assert_eq!(
            index.create_sql(),
            r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS "messages_conversationId_timestamp_idx" ON "public"."messages" ("conversationId", "timestamp")"#
        );
        let unique = OnlineIndex {
            unique: true,
            name: "a\"b",
            ..index
        };
        assert!(
            unique
                .create_sql()
                .starts_with(r#"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "a""b""#)
        );
    }

    #[test]
    fn statement_names_the_operator_class_and_the_storage_parameters() {
        let index = OnlineIndex {
            method: Some("hnsw"),
            opclass: Some("vector_cosine_ops"),
            with: Some("m = 24, ef_construction = 128"),
            memory: Some("1GB"),
            ..OnlineIndex::new("chunks_embedding_idx", "public", "chunks", &["embedding"])
        };
        assert_eq!(
            index.create_sql(),
            r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS "chunks_embedding_idx" ON "public"."chunks" USING hnsw ("embedding" vector_cosine_ops) WITH (m = 24, ef_construction = 128)"#
        );
    }

    #[test]
    fn statement_keeps_an_expression_key_as_written() {
        let index = OnlineIndex {
            method: Some("gin"),
            ..OnlineIndex::new("t_f_idx", "public", "t", &[r#"(public.f("a", "b"))"#, "c"])
        };
        assert_eq!(
            index.create_sql(),
            r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS "t_f_idx" ON "public"."t" USING gin ((public.f("a", "b")), "c")"#
        );
    }

    #[test]
    fn statement_names_the_method_and_the_partial_condition() {
        let index = OnlineIndex {
            method: Some("btree"),
            predicate: Some(r#""isActive""#),
            ..OnlineIndex::new(
                "users_role_isActive_idx",
                "public",
                "users",
                &["role", "isActive"],
            )
        };
        assert_eq!(
            index.create_sql(),
            r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_role_isActive_idx" ON "public"."users" USING btree ("role", "isActive") WHERE "isActive""#
        );
        assert_eq!(
            index.drop_sql(),
            r#"DROP INDEX CONCURRENTLY IF EXISTS "public"."users_role_isActive_idx""#
        );
    }
}
