//! Phase 1 reproduces the reference DDL exactly, but for SCHEMA.md's allowed differences.

use dbcheck::catalog::Catalog;
use dbcheck::catalog::assert_same;
use sea_orm::ConnectionTrait;
use smoke_tests::{TestDb, snapshot};

use crate::{applied_versions, count};

/// The seed document's Phase-1 SQL, verbatim (a copy of shared/schema/phase1-reference.sql).
const REFERENCE_SQL: &str = include_str!("../../fixtures/phase1-reference.sql");

#[tokio::test]
async fn phase1_catalog_matches_the_reference_ddl() {
    let migrated = TestDb::new("phase1_catalog_migrated").await;
    let applied = migration::up_through_phase(&migrated.db, Some(1))
        .await
        .expect("migrate --phase 1");
    assert_eq!(applied, migration::migrations_through_phase(1).len());
    assert_eq!(
        applied_versions(&migrated.db).await,
        migration::migrations_through_phase(1)
    );

    let reference = TestDb::new("phase1_catalog_reference").await;
    reference
        .db
        .execute_unprepared("CREATE EXTENSION IF NOT EXISTS vector")
        .await
        .expect("vector");
    reference
        .db
        .execute_unprepared(REFERENCE_SQL)
        .await
        .expect("apply reference DDL");

    let catalog = Catalog::load(&migrated.db).await.expect("read the catalog");
    let ours = catalog.snapshot();
    let theirs = snapshot(&reference.db).await;
    assert_eq!(
        ours.of_kind("column")
            .filter(|l| l.contains(".updatedAt #"))
            .count(),
        6
    );
    let allowed = catalog
        .without_updated_at_defaults()
        .without_triggers()
        .snapshot();
    assert_same(&allowed, &theirs, "migrated", "reference");
    // What was allowed is exactly SCHEMA.md's triggers: updatedAt on 6 tables, the counters.
    let triggers: Vec<_> = ours.of_kind("trigger").collect();
    assert_eq!(triggers.len(), 7, "{triggers:#?}");
    let updated_at = triggers.iter().filter(|t| t.contains("set_updated_at()"));
    assert_eq!(updated_at.count(), 6);
    assert_eq!(ours.of_kind("function").count(), 2);
    // The snapshot must hold what the spec names, or an empty comparison would pass.
    let tables: std::collections::BTreeSet<_> = theirs
        .of_kind("column")
        .filter_map(|l| l.split('.').nth(1).map(str::to_owned))
        .collect();
    assert_eq!(tables.len(), 15, "{tables:?}");
    assert_eq!(theirs.of_kind("enum").count(), 4);
    // 33 CREATE INDEX statements plus the primary keys of 14 tables (verification_tokens has none).
    assert_eq!(theirs.of_kind("index").count(), 33 + 14);
    assert_eq!(
        theirs
            .of_kind("constraint")
            .filter(|l| l.contains("FOREIGN KEY"))
            .count(),
        17
    );
}

#[tokio::test]
async fn the_first_migration_installs_pgvector() {
    let test = TestDb::new("first_migration_installs_pgvector").await;
    migration::up_through_phase(&test.db, Some(1))
        .await
        .expect("migrate");
    let installed = count(
        &test.db,
        "SELECT count(*) FROM pg_extension WHERE extname = 'vector'",
    )
    .await;
    assert_eq!(installed, 1);
}

#[tokio::test]
async fn unknown_phases_are_refused_before_anything_is_applied() {
    let test = TestDb::new("unknown_phase_refused").await;
    let err = migration::up_through_phase(&test.db, Some(99))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown phase 99"), "{err}");
    let tables = count(&test.db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'seaql_migrations%'").await;
    assert_eq!(tables, 0);
}

#[tokio::test]
async fn message_counters_equal_a_recount_after_inserts_and_deletes() {
    let test = TestDb::migrated("message_counters_equal_recount").await;
    seed::run(&test.db, &seed::Profile::Dev)
        .await
        .expect("seed");
    let db = &test.db;
    db.execute_unprepared(
        r#"INSERT INTO messages ("conversationId", role, content, "tokensInput", "tokensOutput")
           SELECT id, 'user', 'more ' || n, n, NULL FROM conversations, generate_series(1, 20) n;
           DELETE FROM messages WHERE content IN ('more 3', 'more 7');
           INSERT INTO messages ("conversationId", role, content) SELECT id, 'assistant', 'no tokens' FROM conversations;"#,
    )
    .await
    .expect("insert and delete messages");
    let drift = r#"SELECT count(*) FROM conversations c
        WHERE c."messageCount" <> (SELECT count(*) FROM messages m WHERE m."conversationId" = c.id)
           OR c."tokenCount" <> (SELECT coalesce(sum(coalesce("tokensInput", 0) + coalesce("tokensOutput", 0)), 0)
                                 FROM messages m WHERE m."conversationId" = c.id)"#;
    assert_eq!(count(db, drift).await, 0);
    // 2 seeded + 20 - 2 + 1 messages.
    assert_eq!(
        count(
            db,
            r#"SELECT sum("messageCount")::bigint FROM conversations"#
        )
        .await,
        21
    );
}

#[tokio::test]
async fn updating_a_row_moves_its_updated_at() {
    let test = TestDb::migrated("updating_moves_updated_at").await;
    seed::run(&test.db, &seed::Profile::Dev)
        .await
        .expect("seed");
    test.db
        .execute_unprepared("UPDATE users SET bio = 'hello' WHERE email = 'user1@example.com'")
        .await
        .expect("update");
    let moved = count(
        &test.db,
        r#"SELECT count(*) FROM users WHERE email = 'user1@example.com' AND "updatedAt" > "createdAt""#,
    )
    .await;
    assert_eq!(moved, 1);
}
