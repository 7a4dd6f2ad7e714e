//! The online helpers: the index helper builds without a transaction, is re-runnable, and
//! replaces the INVALID index an interrupted build leaves; backfills resume after a kill and
//! fill every row once; both wait while a standby lags.

mod backfill;
mod child;
mod replicas;

use std::time::Duration;

use deployer::online::{OnlineIndex, create_index_concurrently};
use sea_orm::ConnectionTrait;
use smoke_tests::TestDb;

use crate::count;

const VALID: &str = "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE c.relname = 'items_code_key' AND i.indisvalid";
const ANY: &str = "SELECT count(*) FROM pg_class WHERE relname = 'items_code_key'";

fn index() -> OnlineIndex<'static> {
    OnlineIndex {
        unique: true,
        lock_timeout: Duration::from_secs(2),
        ..OnlineIndex::new("items_code_key", "public", "items", &["code"])
    }
}

#[tokio::test]
async fn online_index_is_built_once_and_rebuilt_after_an_interrupted_build() {
    let test = TestDb::new("online_index").await;
    let db = &test.db;
    db.execute_unprepared("CREATE TABLE items (id serial PRIMARY KEY, code text NOT NULL)")
        .await
        .expect("create table");
    db.execute_unprepared("INSERT INTO items (code) VALUES ('a'), ('b'), ('b')")
        .await
        .expect("insert");
    // A duplicate makes the unique build fail midway, leaving an INVALID index: what an
    // interrupted deploy leaves behind.
    let err = create_index_concurrently(db, &index()).await.unwrap_err();
    assert!(
        err.to_string().contains("could not create unique index"),
        "{err}"
    );
    assert_eq!((count(db, ANY).await, count(db, VALID).await), (1, 0));
    db.execute_unprepared("DELETE FROM items WHERE id = 3")
        .await
        .expect("remove duplicate");
    create_index_concurrently(db, &index())
        .await
        .expect("rebuild");
    assert_eq!((count(db, ANY).await, count(db, VALID).await), (1, 1));
    // Again: the valid index stays, nothing fails.
    let oid = "SELECT oid::bigint FROM pg_class WHERE relname = 'items_code_key'";
    let before = count(db, oid).await;
    create_index_concurrently(db, &index())
        .await
        .expect("re-run");
    assert_eq!(count(db, oid).await, before);
    let dup = db
        .execute_unprepared("INSERT INTO items (code) VALUES ('a')")
        .await;
    assert!(dup.is_err(), "the unique index is enforced");
}
