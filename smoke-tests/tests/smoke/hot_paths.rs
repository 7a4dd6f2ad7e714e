//! Phase 6 on a loaded database: applied over the INVALID leftovers of an interrupted deploy,
//! each online step run again without effect, rolled back to phase 5's indexes; loaded and new
//! messages are found by their words; verify names a dropped hot-path index.

use deployer::{Settings, Up};
use migration::{PHASES, SchemaManager};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use smoke_tests::TestDb;

use crate::{count, query_strings};

/// The indexes phase 6 builds, with a column each definition must name.
const BUILT: &[(&str, &str)] = &[
    (
        "messages_conversationId_timestamp_id_idx",
        "\"timestamp\", id",
    ),
    ("conversations_chatSessionId_updatedAt_idx", "\"updatedAt\""),
    ("users_permissions_idx", "USING gin (permissions)"),
    ("users_role_isActive_idx", "WHERE \"isActive\""),
    (
        "messages_contentSearch_idx",
        "USING gin (\"contentSearch\")",
    ),
];

/// The single-column indexes phase 6 replaces.
const REPLACED: &[&str] = &[
    "messages_conversationId_idx",
    "conversations_chatSessionId_idx",
];

/// Phase 6's migrations; later phases stay unapplied in these tests.
fn phase6() -> Vec<Box<dyn migration::MigrationTrait>> {
    let phase = PHASES.iter().find(|p| p.number == 6).expect("phase 6");
    (phase.migrations)()
}

fn phase6_size() -> usize {
    phase6().len()
}

/// Applies what is pending through phase 6, as a deploy of that build would.
fn through_phase6() -> Up {
    Up {
        through: migration::through_phase(Some(6)).expect("phase 6"),
        ..Up::default()
    }
}

async fn deployer() -> deployer::Deployer {
    migration::deployer(Settings::default())
        .await
        .expect("deployer")
}

/// The definition of a valid index of that name, if there is one.
async fn valid_definition(db: &DatabaseConnection, name: &str) -> Option<String> {
    query_strings(
        db,
        &format!(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid
              WHERE c.relname = '{name}' AND i.indisvalid"
        ),
    )
    .await
    .pop()
}

async fn index_exists(db: &DatabaseConnection, name: &str) -> bool {
    count(
        db,
        &format!("SELECT count(*) FROM pg_class WHERE relname = '{name}'"),
    )
    .await
        > 0
}

/// A database through phase 5 with the load profile's messages (over 10,000), and the INVALID
/// indexes an interrupted phase 6 deploy leaves: a concurrent build that failed midway (here a
/// unique build over duplicates) under the names of two of its indexes.
async fn loaded_and_interrupted(name: &str) -> TestDb {
    let test = TestDb::new(name).await;
    let db = &test.db;
    migration::up_through_phase(db, Some(5))
        .await
        .expect("migrate through phase 5");
    seed::load::run(db, 6, false).await.expect("load");
    for (index, column) in [
        (
            "messages_conversationId_timestamp_id_idx",
            "\"conversationId\"",
        ),
        ("messages_contentSearch_idx", "role"),
    ] {
        let failed = db
            .execute_unprepared(&format!(
                r#"CREATE UNIQUE INDEX CONCURRENTLY "{index}" ON messages ({column})"#
            ))
            .await;
        assert!(failed.is_err(), "the interrupted build of {index} failed");
        assert!(index_exists(db, index).await);
        assert_eq!(
            valid_definition(db, index).await,
            None,
            "{index} is INVALID"
        );
    }
    test
}

async fn assert_phase6_applied(db: &DatabaseConnection) {
    for (index, part) in BUILT {
        let definition = valid_definition(db, index)
            .await
            .unwrap_or_else(|| panic!("{index} is missing or invalid"));
        assert!(definition.contains(part), "{index}: {definition}");
    }
    for index in REPLACED {
        assert!(!index_exists(db, index).await, "{index} was dropped");
    }
    let unfilled = r#"SELECT count(*) FROM messages WHERE "contentSearch" IS NULL"#;
    assert_eq!(
        count(db, unfilled).await,
        0,
        "every loaded message is filled"
    );
}

async fn assert_phase6_rolled_back(db: &DatabaseConnection) {
    for (index, _) in BUILT {
        assert!(!index_exists(db, index).await, "{index} was dropped");
    }
    for index in REPLACED {
        assert!(
            valid_definition(db, index).await.is_some(),
            "{index} is back"
        );
    }
    let column = r#"SELECT count(*) FROM information_schema.columns
        WHERE table_name = 'messages' AND column_name = 'contentSearch'"#;
    assert_eq!(count(db, column).await, 0);
    let trigger = "SELECT count(*) FROM pg_trigger WHERE tgname = 'messages_content_search'";
    assert_eq!(count(db, trigger).await, 0);
}

#[tokio::test]
async fn phase_six_replaces_invalid_leftovers_reruns_harmlessly_and_rolls_back() {
    let test = loaded_and_interrupted("phase6_apply_rerun_rollback").await;
    let db = &test.db;
    let applied = deployer()
        .await
        .up(db, &through_phase6())
        .await
        .expect("up");
    assert_eq!(applied.len(), phase6_size(), "{applied:?}");
    assert_phase6_applied(db).await;
    // What a deploy killed after a step but before its record does next: the step again.
    let oids = "SELECT string_agg(oid::text, ',' ORDER BY relname) FROM pg_class
        WHERE relname LIKE '%_idx' AND relnamespace = 'public'::regnamespace";
    let before = query_strings(db, oids).await;
    for migration in phase6() {
        if migration.use_transaction() == Some(false) {
            migration
                .up(&SchemaManager::new(db))
                .await
                .unwrap_or_else(|err| panic!("re-run {}: {err}", migration.name()));
        }
    }
    assert_eq!(query_strings(db, oids).await, before, "no index rebuilt");
    assert_phase6_applied(db).await;
    let undone = deployer()
        .await
        .down(db, Some(phase6_size()))
        .await
        .expect("down");
    assert_eq!(undone.len(), phase6_size());
    assert_phase6_rolled_back(db).await;
    // And forward again, from the rolled-back state.
    deployer()
        .await
        .up(db, &through_phase6())
        .await
        .expect("up again");
    assert_phase6_applied(db).await;
}

/// The full-text critical query's rows for `user` and `words`.
async fn search(db: &DatabaseConnection, user: &str, words: &str) -> Vec<String> {
    let query = dbcheck::verify::critical_queries()
        .into_iter()
        .find(|q| q.name == "messages_of_user_by_words")
        .expect("full-text query");
    let sql = query
        .template
        .replace("$1", &format!("'{user}'"))
        .replace("$2", &format!("'{words}'"));
    query_strings(db, &format!("SELECT id::text FROM ({sql}) found")).await
}

#[tokio::test]
async fn loaded_and_new_messages_are_found_by_their_words_and_only_the_owners() {
    let test = TestDb::migrated("phase6_search").await;
    let db = &test.db;
    seed::load::run(db, 6, false).await.expect("load");
    // The loader keeps the search trigger on: its rare word is found in the long
    // conversation's owner's messages, ranked, a page at most.
    let owner = seed::load::user_id(0).to_string();
    let rare = search(db, &owner, seed::load::RARE_WORD).await;
    assert_eq!(rare.len(), 20, "a full page of the rare word's messages");
    let other = seed::load::user_id(1).to_string();
    let theirs = search(db, &other, seed::load::RARE_WORD).await;
    assert!(
        theirs.iter().all(|id| !rare.contains(id)),
        "never another user's"
    );
    // A new message is searchable at once, by a Spanish word's other forms too.
    let conversation = seed::load::long_conversation_id();
    db.execute_unprepared(&format!(
        r#"INSERT INTO messages ("conversationId", role, content)
           VALUES ('{conversation}', 'user', 'Necesito las facturas de la reunión')"#
    ))
    .await
    .expect("insert");
    assert_eq!(search(db, &owner, "factura reunión").await.len(), 1);
    assert_eq!(search(db, &other, "factura").await.len(), 0);
}

async fn failures(db: &DatabaseConnection) -> Vec<String> {
    dbcheck::verify::check(db)
        .await
        .expect("verify")
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[tokio::test]
async fn verify_passes_on_a_loaded_database_and_fails_on_a_dropped_hot_path_index() {
    let test = TestDb::migrated("phase6_verify_real_plan").await;
    let db = &test.db;
    seed::load::run(db, 6, false).await.expect("load");
    // Statistics for the large table; the small ones stay as a fresh load leaves them.
    db.execute_unprepared("ANALYZE messages")
        .await
        .expect("analyze");
    assert_eq!(failures(db).await, Vec::<String>::new());
    db.execute_unprepared(r#"DROP INDEX "messages_conversationId_timestamp_id_idx""#)
        .await
        .expect("drop index");
    let found = failures(db).await;
    assert!(
        found.contains(&crate::missing_index_line(
            "messages_conversationId_timestamp_id_idx",
            "messages"
        )),
        "{found:#?}"
    );
    // Over 10,000 messages: the keyset page now reads the table through no index leading with
    // the conversation (a sequential scan, or a whole other index: the planner's choice).
    for expected in [
        "query messages_of_conversation_by_time: no valid index on public.messages leads with \"conversationId\"",
        "query messages_of_conversation_by_time: reads public.messages (over 10000 rows) through ",
    ] {
        assert!(
            found.iter().any(|f| f.starts_with(expected)),
            "{expected}: {found:#?}"
        );
    }
}
