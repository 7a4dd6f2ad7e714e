//! Phase 8 on a loaded database: `nearest_chunks` answers a user with few chunks exactly,
//! reaches a large tenant's neighbours through the HNSW index, and shows nobody another
//! user's chunks.

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use smoke_tests::TestDb;

use crate::query_strings;

/// Users of the load: its largest tenant then has 1,200 chunks, over the function's threshold.
const SCALE: u64 = 30;

/// A user of the load with one ordinary document of five chunks and no extra ones (at this
/// scale every other user has a few).
const SMALL_USER: u64 = 0;

fn question(user: u64, i: u64) -> String {
    seed::embedding::text(&seed::load::question(user, SCALE, i).expect("the user has chunks"))
}

/// The exact top 10 of `user`'s chunks, every one compared.
async fn exact(db: &DatabaseConnection, user: u64, question: &str) -> Vec<String> {
    let user = seed::load::user_id(user);
    query_strings(
        db,
        &format!(
            r#"SELECT c.id::text FROM rag_chunks c JOIN rag_documents d ON d.id = c."documentId"
                WHERE d."userId" = '{user}' ORDER BY (c.embedding <=> '{question}') + 0 LIMIT 10"#
        ),
    )
    .await
}

/// `nearest_chunks` for `user` in `tx`, and how many scans of the HNSW index it made.
async fn nearest(tx: &DatabaseTransaction, user: u64, question: &str) -> (Vec<String>, i64) {
    let user = seed::load::user_id(user);
    let rows = tx
        .query_all_raw(sea_orm::Statement::from_string(
            tx.get_database_backend(),
            format!("SELECT id::text FROM nearest_chunks('{user}', '{question}')"),
        ))
        .await
        .expect("nearest_chunks");
    let ids = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("id"))
        .collect();
    let scans = tx
        .query_one_raw(sea_orm::Statement::from_string(
            tx.get_database_backend(),
            "SELECT pg_stat_get_xact_numscans('rag_chunks_embedding_hnsw_idx'::regclass)",
        ))
        .await
        .expect("index scans")
        .expect("a row")
        .try_get_by_index::<i64>(0)
        .expect("count");
    (ids, scans)
}

#[tokio::test]
async fn nearest_chunks_is_exact_for_a_small_user_and_reaches_a_large_tenant_through_the_index() {
    let test = TestDb::migrated("big_tenants_nearest").await;
    let db = &test.db;
    seed::load::run(db, SCALE, false).await.expect("load");
    db.execute_unprepared("ANALYZE").await.expect("analyze");
    let small = question(SMALL_USER, 0);
    let tx = db.begin().await.expect("begin");
    let (found, scans) = nearest(&tx, SMALL_USER, &small).await;
    tx.rollback().await.expect("rollback");
    assert_eq!(
        found,
        exact(db, SMALL_USER, &small).await,
        "exact, in order"
    );
    assert_eq!(found.len(), 5, "all five of the user's chunks");
    assert_eq!(
        scans, 0,
        "a small user's chunks are compared, not searched in the graph"
    );
    let large = seed::load::LARGEST_TENANT;
    let (mut hits, mut total) = (0, 0);
    for i in 0..10 {
        let q = question(large, i);
        let tx = db.begin().await.expect("begin");
        let (found, scans) = nearest(&tx, large, &q).await;
        tx.rollback().await.expect("rollback");
        assert!(
            scans > 0,
            "the large tenant's query went through the HNSW index"
        );
        let truth = exact(db, large, &q).await;
        assert_eq!(found.len(), 10);
        hits += truth.iter().filter(|id| found.contains(id)).count();
        total += truth.len();
    }
    assert!(hits * 10 >= total * 9, "recall@10 {hits}/{total}");
}

#[tokio::test]
async fn nearest_chunks_shows_app_user_its_own_chunks_only() {
    let test = TestDb::migrated("big_tenants_isolation").await;
    let db = &test.db;
    seed::load::run(db, SCALE, false).await.expect("load");
    let large = seed::load::LARGEST_TENANT;
    let q = question(large, 0);
    for (acting, expected) in [(large, 10), (SMALL_USER, 0)] {
        let tx = db.begin().await.expect("begin");
        tx.execute_unprepared(&format!(
            "SET LOCAL ROLE app_user; SELECT set_config('app.current_user_id', '{}', true)",
            seed::load::user_id(acting)
        ))
        .await
        .expect("act as a user");
        let (found, _) = nearest(&tx, large, &q).await;
        tx.rollback().await.expect("rollback");
        assert_eq!(found.len(), expected, "acting for user {acting}");
    }
}
