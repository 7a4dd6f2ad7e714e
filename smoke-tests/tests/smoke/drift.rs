//! Drift: a migrated database agrees with the entities, and each kind of difference made by
//! hand is reported in one line.

use sea_orm::{ConnectionTrait, TransactionTrait};
use smoke_tests::TestDb;

/// The drift lines of `test`'s database after running `sql` on it.
async fn drift_after(test: &TestDb, sql: &str) -> Vec<String> {
    if !sql.is_empty() {
        test.db.execute_unprepared(sql).await.expect(sql);
    }
    dbcheck::drift::check(&test.db)
        .await
        .expect("drift check")
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[tokio::test]
async fn a_migrated_database_has_no_drift() {
    let test = TestDb::migrated("a_migrated_database_has_no_drift").await;
    assert_eq!(drift_after(&test, "").await, Vec::<String>::new());
}

#[tokio::test]
async fn drift_reports_a_column_added_by_hand() {
    let test = TestDb::migrated("drift_reports_a_column_added_by_hand").await;
    let found = drift_after(
        &test,
        r#"ALTER TABLE health.medications ADD COLUMN "sideEffects" text"#,
    )
    .await;
    assert_eq!(
        found,
        ["health.medications.sideEffects: column in database (text), not in entity"]
    );
}

#[tokio::test]
async fn drift_reports_a_changed_type_and_nullability() {
    let test = TestDb::migrated("drift_reports_a_changed_type_and_nullability").await;
    let found = drift_after(
        &test,
        r#"ALTER TABLE health.medications ALTER COLUMN "dosage" TYPE text;
           ALTER TABLE health.medications ALTER COLUMN "frequency" DROP NOT NULL"#,
    )
    .await;
    assert_eq!(
        found,
        [
            "health.medications.dosage: entity varchar(100), database text",
            "health.medications.frequency: entity NOT NULL, database nullable",
        ]
    );
}

#[tokio::test]
async fn drift_reports_dropped_indexes() {
    let test = TestDb::migrated("drift_reports_dropped_indexes").await;
    let found = drift_after(
        &test,
        r#"DROP INDEX "support_tickets_assignedTo_idx"; DROP INDEX "tags_userId_name_key""#,
    )
    .await;
    assert_eq!(
        found,
        [
            "support_tickets.assignedTo: no index starts with foreign key (assignedTo)",
            "tags: unique (userId, name) missing in database",
            "tags.userId: no index starts with foreign key (userId)",
        ]
    );
}

#[tokio::test]
async fn drift_reports_an_enum_label_added_and_a_foreign_key_dropped() {
    let test = TestDb::migrated("drift_reports_an_enum_label_and_a_foreign_key").await;
    let found = drift_after(
        &test,
        r#"ALTER TYPE "TicketStatus" ADD VALUE 'ARCHIVED';
           ALTER TABLE "messages" DROP CONSTRAINT "messages_conversationId_fkey""#,
    )
    .await;
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].starts_with("enum TicketStatus: entity labels ")
            && found[0].ends_with(",ARCHIVED"),
        "{found:#?}"
    );
    assert_eq!(
        found[1],
        "messages: foreign key (conversationId) -> conversations missing in database"
    );
}

/// Each change that no entity can describe, made by hand after migrating, and the one line
/// drift must print for it.
const BEHAVIOUR_CHANGES: &[(&str, &str)] = &[
    (
        r#"DROP TRIGGER "users_set_updated_at" ON public.users"#,
        "trigger public.users.users_set_updated_at: defined by the migrations, missing in database",
    ),
    (
        r#"ALTER TABLE public.users DISABLE TRIGGER "users_set_updated_at""#,
        "trigger public.users.users_set_updated_at: database has `",
    ),
    (
        "CREATE OR REPLACE FUNCTION public.set_updated_at() RETURNS trigger LANGUAGE plpgsql \
         AS $$ BEGIN RETURN NEW; END $$",
        "function public.set_updated_at(): database has `md5 ",
    ),
    (
        "DROP POLICY medications_owner ON health.medications",
        "policy health.medications.medications_owner: defined by the migrations, missing in database",
    ),
    (
        "ALTER POLICY medications_owner ON health.medications WITH CHECK (true)",
        "policy health.medications.medications_owner: database has `",
    ),
    (
        r#"ALTER TABLE storage_quotas DROP CONSTRAINT "storage_quotas_usedStorage_check""#,
        "check public.storage_quotas.storage_quotas_usedStorage_check: defined by the migrations, missing in database",
    ),
    (
        "ALTER TABLE users ALTER COLUMN language SET DEFAULT 'en'",
        "default public.users.language: database has `'en'::character varying`",
    ),
    (
        "REVOKE DELETE ON health.medications FROM app_user",
        "grant health.medications app_user: database has `",
    ),
];

#[tokio::test]
async fn drift_reports_each_trigger_function_policy_check_default_and_grant_changed_by_hand() {
    let test = TestDb::migrated("drift_reports_behaviour_changed_by_hand").await;
    for (sql, expected) in BEHAVIOUR_CHANGES {
        // Each change is made in a transaction that drift reads through, then rolled back, so
        // the next starts from the migrated schema again.
        let txn = test.db.begin().await.expect("begin");
        txn.execute_unprepared(sql).await.expect(sql);
        let found: Vec<String> = dbcheck::drift::check(&txn)
            .await
            .expect("drift check")
            .iter()
            .map(ToString::to_string)
            .collect();
        txn.rollback().await.expect("undo");
        assert_eq!(found.len(), 1, "`{sql}` gave {found:?}");
        assert!(
            found[0].starts_with(expected),
            "`{sql}` gave {:?}, expected a line starting {expected:?}",
            found[0]
        );
    }
}
