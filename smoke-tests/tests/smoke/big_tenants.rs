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
    let sql = format!("SELECT id::text FROM nearest_chunks('{user}', '{question}')");
    counting_scans(tx, &sql, "rag_chunks_embedding_hnsw_idx").await
}

/// `sql`'s first column in `tx`, and how many scans of `index` the transaction has made.
async fn counting_scans(tx: &DatabaseTransaction, sql: &str, index: &str) -> (Vec<String>, i64) {
    let rows = tx
        .query_all_raw(sea_orm::Statement::from_string(
            tx.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let ids = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("id"))
        .collect();
    let scans = tx
        .query_one_raw(sea_orm::Statement::from_string(
            tx.get_database_backend(),
            format!("SELECT pg_stat_get_xact_numscans('{index}'::regclass)"),
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

/// Users of the load the search tests run on: each has a few hundred messages, user one the
/// most.
const SEARCH_SCALE: u64 = 3;

/// The owner of each message as its conversation's session says, against its own `"userId"`:
/// the messages where they differ.
const OWNER_MISMATCHES: &str = r#"SELECT count(*) FROM messages m
    JOIN conversations c ON c.id = m."conversationId"
    JOIN chat_sessions s ON s.id = c."chatSessionId"
   WHERE m."userId" IS DISTINCT FROM s."userId""#;

/// The first column of the first row of `sql`.
async fn one(db: &DatabaseConnection, sql: &str) -> String {
    query_strings(db, sql)
        .await
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no row: {sql}"))
}

/// A conversation of load user `user` and its session.
async fn conversation_of(db: &DatabaseConnection, user: u64) -> (String, String) {
    let user = seed::load::user_id(user);
    let row = one(
        db,
        &format!(
            r#"SELECT c.id || ' ' || s.id FROM conversations c
                JOIN chat_sessions s ON s.id = c."chatSessionId"
               WHERE s."userId" = '{user}' ORDER BY c.id LIMIT 1"#
        ),
    )
    .await;
    let (conversation, session) = row.split_once(' ').expect("two ids");
    (conversation.to_owned(), session.to_owned())
}

#[tokio::test]
async fn a_message_belongs_to_its_conversations_owner_whatever_its_writer_says() {
    let test = TestDb::migrated("big_tenants_message_owner").await;
    let db = &test.db;
    seed::load::run(db, SEARCH_SCALE, false)
        .await
        .expect("load");
    assert_eq!(
        crate::count(db, OWNER_MISMATCHES).await,
        0,
        "the load wrote each owner"
    );
    let (one_id, two_id) = (seed::load::user_id(1), seed::load::user_id(2));
    let (conversation, _) = conversation_of(db, 1).await;
    let (_, two_session) = conversation_of(db, 2).await;
    // A writer naming another owner is overruled, on insert and on update.
    let message = one(
        db,
        &format!(
            r#"INSERT INTO messages ("conversationId", role, content, "userId")
               VALUES ('{conversation}', 'user', 'hola', '{two_id}') RETURNING id::text"#
        ),
    )
    .await;
    let owner = format!(r#"SELECT "userId"::text FROM messages WHERE id = '{message}'"#);
    assert_eq!(one(db, &owner).await, one_id.to_string());
    db.execute_unprepared(&format!(
        r#"UPDATE messages SET "userId" = '{two_id}' WHERE id = '{message}'"#
    ))
    .await
    .expect("update");
    assert_eq!(one(db, &owner).await, one_id.to_string());
    // The conversation moved to user two's session: its messages are user two's.
    db.execute_unprepared(&format!(
        r#"UPDATE conversations SET "chatSessionId" = '{two_session}' WHERE id = '{conversation}'"#
    ))
    .await
    .expect("move the conversation");
    assert_eq!(one(db, &owner).await, two_id.to_string());
    assert_eq!(crate::count(db, OWNER_MISMATCHES).await, 0);
    // That session given to user one: every message of its conversations follows.
    db.execute_unprepared(&format!(
        r#"UPDATE chat_sessions SET "userId" = '{one_id}' WHERE id = '{two_session}'"#
    ))
    .await
    .expect("give the session away");
    assert_eq!(one(db, &owner).await, one_id.to_string());
    assert_eq!(crate::count(db, OWNER_MISMATCHES).await, 0);
}

#[tokio::test]
async fn app_user_may_move_its_conversation_to_another_of_its_own_sessions() {
    let test = TestDb::migrated("big_tenants_move_conversation").await;
    let db = &test.db;
    seed::load::run(db, SEARCH_SCALE, false)
        .await
        .expect("load");
    let one_id = seed::load::user_id(1);
    let (conversation, session) = conversation_of(db, 1).await;
    let other_session = one(
        db,
        &format!(
            r#"SELECT id::text FROM chat_sessions WHERE "userId" = '{one_id}'
                AND id <> '{session}' ORDER BY id LIMIT 1"#
        ),
    )
    .await;
    // The messages' owner is carried along by a trigger that writes "userId", which app_user
    // has no grant on: the move must not fail for it.
    let acting = crate::security::Setting::User(one_id.to_string());
    let moved = crate::security::read_as(
        db,
        "app_user",
        &acting,
        &format!(
            r#"UPDATE conversations SET "chatSessionId" = '{other_session}'
                WHERE id = '{conversation}' RETURNING id::text"#
        ),
    )
    .await;
    assert_eq!(moved, Ok(vec![conversation]));
}

/// The full-text critical query's ids for `user` and `words`, in its order.
fn search_sql(user: &uuid::Uuid, words: &str) -> String {
    let query = dbcheck::verify::critical_queries()
        .into_iter()
        .find(|q| q.name == "messages_of_user_by_words")
        .expect("full-text query");
    let sql = query
        .template
        .replace("$1", &format!("'{user}'"))
        .replace("$2", &format!("'{words}'"));
    format!("SELECT id::text FROM ({sql}) found")
}

/// Phase 6's form of the search, through the user's sessions and conversations: the same rows
/// in the same order, found the slow way.
fn search_through_conversations(user: &uuid::Uuid, words: &str) -> String {
    format!(
        r#"SELECT m.id::text FROM chat_sessions s
             JOIN conversations c ON c."chatSessionId" = s.id
             JOIN messages m ON m."conversationId" = c.id
            CROSS JOIN websearch_to_tsquery('spanish', '{words}') AS q(query)
            WHERE s."userId" = '{user}' AND m."contentSearch" @@ q.query
            ORDER BY ts_rank(m."contentSearch", q.query) DESC, m.id LIMIT 20"#
    )
}

/// `sql`'s first column in `tx`, and how many scans of the words-and-owner index it made.
async fn searched(tx: &DatabaseTransaction, sql: &str) -> (Vec<String>, i64) {
    counting_scans(tx, sql, "messages_search_owner_idx").await
}

/// The search for `user` and `words` in a transaction of its own acting as `role` for
/// `acting` (None: the connection's own role), and the index scans it made.
async fn search_as(
    db: &DatabaseConnection,
    role: Option<(&str, Option<uuid::Uuid>)>,
    user: &uuid::Uuid,
    words: &str,
) -> (Vec<String>, i64) {
    let tx = db.begin().await.expect("begin");
    if let Some((role, acting)) = role {
        tx.execute_unprepared(&format!("SET LOCAL ROLE {role}"))
            .await
            .expect("set role");
        if let Some(acting) = acting {
            tx.execute_unprepared(&format!(
                "SELECT set_config('app.current_user_id', '{acting}', true)"
            ))
            .await
            .expect("act as a user");
        }
    }
    let found = searched(&tx, &search_sql(user, words)).await;
    tx.rollback().await.expect("rollback");
    found
}

#[tokio::test]
async fn search_finds_a_users_messages_through_the_owner_index_and_never_another_users() {
    let test = TestDb::migrated("big_tenants_search").await;
    let db = &test.db;
    seed::load::run(db, SEARCH_SCALE, false)
        .await
        .expect("load");
    let (one_id, two_id) = (seed::load::user_id(1), seed::load::user_id(2));
    for user in [1, 2] {
        let (conversation, _) = conversation_of(db, user).await;
        db.execute_unprepared(&format!(
            r#"INSERT INTO messages ("conversationId", role, content)
               VALUES ('{conversation}', 'user', 'Vi un ornitorrinco en la reunión')"#
        ))
        .await
        .expect("insert");
    }
    db.execute_unprepared("ANALYZE").await.expect("analyze");
    let word = "ornitorrinco";
    let (ones, scans) = search_as(db, None, &one_id, word).await;
    let (twos, _) = search_as(db, None, &two_id, word).await;
    assert_eq!((ones.len(), twos.len()), (1, 1), "each finds its own");
    assert_ne!(ones, twos, "and never the other's");
    assert!(scans > 0, "through the words-and-owner index");
    for words in [seed::load::COMMON_WORD, "reuniones", "agent -ornitorrinco"] {
        assert_eq!(
            search_as(db, None, &one_id, words).await.0,
            query_strings(db, &search_through_conversations(&one_id, words)).await,
            "{words}"
        );
    }
    // Stop words only make an empty query, which matches nothing (not every message).
    assert!(search_as(db, None, &one_id, "de la").await.0.is_empty());
    // A message's text cannot claim another user's owner lexeme: it holds a space.
    let (conversation, _) = conversation_of(db, 2).await;
    db.execute_unprepared(&format!(
        r#"INSERT INTO messages ("conversationId", role, content)
           VALUES ('{conversation}', 'user', 'owner {one_id} "owner {one_id}" pingüino')"#
    ))
    .await
    .expect("insert");
    assert!(search_as(db, None, &one_id, "pingüino").await.0.is_empty());
    // As app_admin (its policy shows every row) the same search, through the same index.
    let (as_admin, scans) = search_as(db, Some(("app_admin", None)), &one_id, word).await;
    assert_eq!((as_admin, scans > 0), (ones, true));
}

#[tokio::test]
async fn as_app_user_the_search_finds_the_users_own_messages_through_the_owner_index_only() {
    let test = TestDb::migrated("big_tenants_search_app_user").await;
    let db = &test.db;
    seed::load::run(db, SEARCH_SCALE, false)
        .await
        .expect("load");
    db.execute_unprepared("ANALYZE").await.expect("analyze");
    let (one_id, two_id) = (seed::load::user_id(1), seed::load::user_id(2));
    let word = seed::load::COMMON_WORD;
    let for_one = Some(("app_user", Some(one_id)));
    // The user's own search: the owner's page, through the words-and-owner index.
    let (own, scans) = search_as(db, for_one, &one_id, word).await;
    assert_eq!(own.len(), 20);
    assert_eq!(own, search_as(db, None, &one_id, word).await.0);
    assert!(scans > 0, "through the words-and-owner index");
    // Another user's messages, asked for by id, or with no user set: nothing.
    assert!(search_as(db, for_one, &two_id, word).await.0.is_empty());
    assert!(
        search_as(db, Some(("app_user", None)), &one_id, word)
            .await
            .0
            .is_empty()
    );
    // The helper that runs with its owner's rights is app_user's alone.
    assert_eq!(
        one(
            db,
            "SELECT has_function_privilege('app_admin',
                      'public.app_search_own_messages(text, integer, integer)', 'EXECUTE')::text"
        )
        .await,
        "false"
    );
}

#[tokio::test]
async fn as_app_user_the_messages_policy_reads_the_owner_column_and_writes_need_its_conversation() {
    let test = TestDb::migrated("big_tenants_messages_policy").await;
    let db = &test.db;
    seed::load::run(db, SEARCH_SCALE, false)
        .await
        .expect("load");
    let one_id = seed::load::user_id(1);
    let acting_for_one = crate::security::Setting::User(one_id.to_string());
    let as_one = |sql: String| {
        let setting = &acting_for_one;
        async move {
            crate::security::read_as(db, "app_user", setting, &sql)
                .await
                .expect("read as app_user")
        }
    };
    let owned = format!(r#"SELECT count(*)::text FROM messages WHERE "userId" = '{one_id}'"#);
    assert_eq!(
        as_one("SELECT count(*)::text FROM messages".into()).await,
        vec![one(db, &owned).await],
        "all of the user's messages and no one else's"
    );
    // The policy reads the owner column; writes still need a conversation the user sees.
    let policy = one(
        db,
        "SELECT qual || ' / ' || with_check FROM pg_policies
          WHERE tablename = 'messages' AND policyname = 'messages_owner'",
    )
    .await;
    assert!(
        policy.starts_with(r#"("userId" = app_current_user_id())"#),
        "{policy}"
    );
    let (conversation, _) = conversation_of(db, 2).await;
    let insert = format!(
        r#"INSERT INTO messages ("conversationId", role, content)
           VALUES ('{conversation}', 'user', 'hola') RETURNING id::text"#
    );
    let refused = crate::security::read_as(db, "app_user", &acting_for_one, &insert).await;
    assert!(
        refused.is_err_and(|e| e.contains("row-level security")),
        "a message into another user's conversation"
    );
}

#[tokio::test]
async fn the_words_and_owner_index_keeps_no_pending_list_for_searches_to_read() {
    let test = TestDb::migrated("big_tenants_search_index_options").await;
    assert_eq!(
        one(
            &test.db,
            "SELECT array_to_string(reloptions, ',') FROM pg_class
              WHERE relname = 'messages_search_owner_idx'"
        )
        .await,
        "fastupdate=off"
    );
}

/// The user's newest 2,000 messages holding `word`, ranked the slow way: the page the search
/// gives a user with more matches than it ranks.
fn newest_matches_ranked(user: &uuid::Uuid, word: &str) -> String {
    format!(
        r#"SELECT id::text FROM (
             SELECT m.id, ts_rank(m."contentSearch", q.query) AS rank
               FROM messages m CROSS JOIN websearch_to_tsquery('spanish', '{word}') AS q(query)
              WHERE m."userId" = '{user}' AND m."contentSearch" @@ q.query
              ORDER BY m."timestamp" DESC LIMIT 2000) newest
            ORDER BY rank DESC, id LIMIT 20"#
    )
}

/// Gives load user `user` an old message holding "ornitorrinco" three times, which outranks
/// every message holding it once, and 2,100 newer ones that do ("vi un ornitorrinco, el N",
/// N seconds old); returns the old one's id.
async fn old_and_newer_matches(db: &DatabaseConnection, user: u64) -> String {
    let (conversation, _) = conversation_of(db, user).await;
    db.execute_unprepared(&format!(
        r#"INSERT INTO messages ("conversationId", role, content, "timestamp")
           VALUES ('{conversation}', 'user', 'ornitorrinco, ornitorrinco y ornitorrinco',
                   now() - interval '30 days');
           INSERT INTO messages ("conversationId", role, content, "timestamp")
           SELECT '{conversation}', 'user', 'vi un ornitorrinco, el ' || i,
                  now() - i * interval '1 second'
             FROM generate_series(1, 2100) AS i"#
    ))
    .await
    .expect("insert");
    db.execute_unprepared("ANALYZE").await.expect("analyze");
    one(
        db,
        r#"SELECT id::text FROM messages WHERE content LIKE 'ornitorrinco,%'"#,
    )
    .await
}

#[tokio::test]
async fn a_word_in_more_messages_than_the_search_ranks_ranks_the_newest_of_them() {
    let test = TestDb::migrated("big_tenants_search_newest").await;
    let db = &test.db;
    seed::load::run(db, SEARCH_SCALE, false)
        .await
        .expect("load");
    let oldest = old_and_newer_matches(db, 1).await;
    let user = seed::load::user_id(1);
    let word = "ornitorrinco";
    // More matches than it ranks: the best of the newest 2,000, walked from the newest
    // through the owner-and-time index; the old message is not among them.
    let tx = db.begin().await.expect("begin");
    let (page, walks) = counting_scans(
        &tx,
        &search_sql(&user, word),
        "\"messages_userId_timestamp_idx\"",
    )
    .await;
    tx.rollback().await.expect("rollback");
    assert_eq!(page.len(), 20);
    assert!(!page.contains(&oldest));
    assert_eq!(
        page,
        query_strings(db, &newest_matches_ranked(&user, word)).await
    );
    assert!(walks > 0, "through the owner-and-time index");
    // The same page as app_user, through its own helper.
    let as_user = search_as(db, Some(("app_user", Some(user))), &user, word)
        .await
        .0;
    assert_eq!(as_user, page);
    // With 2,000 matches or fewer every one is ranked: the old message comes first again.
    db.execute_unprepared(
        "DELETE FROM messages WHERE content LIKE 'vi un ornitorrinco, el %'
           AND split_part(content, ' el ', 2)::int > 1999",
    )
    .await
    .expect("delete");
    let page = search_as(db, None, &user, word).await.0;
    assert_eq!(page.first(), Some(&oldest));
    assert_eq!(
        page,
        query_strings(db, &search_through_conversations(&user, word)).await
    );
}
