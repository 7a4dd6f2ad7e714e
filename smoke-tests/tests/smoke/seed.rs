//! The seeder is idempotent, seeds what the profiles promise, and refuses unmigrated databases.

use sea_orm::ConnectionTrait;
use smoke_tests::{TestDb, migrator, snapshot};

use crate::{all_rows, bound_role_url, count, drop_bound_role, query_strings};

#[tokio::test]
async fn seeding_three_times_leaves_the_rows_of_one_run() {
    let test = TestDb::migrated("seeding_three_times").await;
    let first = seed::run(&test.db, &seed::Profile::Dev)
        .await
        .expect("seed");
    assert_eq!(first.present, 0);
    let rows = all_rows(&test.db).await;
    for _ in 0..2 {
        let again = seed::run(&test.db, &seed::Profile::Dev)
            .await
            .expect("seed again");
        assert_eq!((again.inserted, again.present), (0, first.inserted));
        assert_eq!(again.generic, 0);
    }
    assert_eq!(rows, all_rows(&test.db).await);
}

#[tokio::test]
async fn dev_profile_holds_the_seed_documents_data() {
    let test = TestDb::migrated("dev_profile_data").await;
    seed::run(&test.db, &seed::Profile::Dev)
        .await
        .expect("seed");
    let db = &test.db;
    assert_eq!(count(db, "SELECT count(*) FROM users").await, 4);
    assert_eq!(count(db, r#"SELECT count(*) FROM users WHERE email = 'cjhirashi@gmail.com' AND role = 'SUPER_ADMIN'"#).await, 1);
    assert_eq!(count(db, "SELECT count(*) FROM agents").await, 3);
    assert_eq!(count(db, "SELECT count(*) FROM chat_sessions").await, 1);
    assert_eq!(count(db, "SELECT count(*) FROM conversations").await, 1);
    assert_eq!(count(db, "SELECT count(*) FROM messages").await, 2);
    assert_eq!(count(db, "SELECT count(*) FROM artifacts").await, 1);
    // The conversation's counters agree with its messages.
    let mismatched = count(
        db,
        r#"SELECT count(*) FROM conversations c WHERE c."messageCount" <> (SELECT count(*) FROM messages m WHERE m."conversationId" = c.id)
           OR c."tokenCount" <> (SELECT coalesce(sum(coalesce("tokensInput", 0) + coalesce("tokensOutput", 0)), 0) FROM messages m WHERE m."conversationId" = c.id)"#,
    )
    .await;
    assert_eq!(mismatched, 0);
}

#[tokio::test]
async fn prod_profile_seeds_only_the_super_admin() {
    let test = TestDb::migrated("prod_profile_only_super_admin").await;
    let profile = seed::Profile::Prod {
        super_admin_email: "Root@Example.com".into(),
        add_super_admin: false,
    };
    let summary = seed::run(&test.db, &profile).await.expect("seed prod");
    assert_eq!(summary.inserted, 1);
    assert_eq!(all_rows(&test.db).await.len(), 1);
    let admins = count(
        &test.db,
        "SELECT count(*) FROM users WHERE email = 'root@example.com' AND role = 'SUPER_ADMIN'",
    )
    .await;
    assert_eq!(admins, 1);
    let again = seed::run(&test.db, &profile)
        .await
        .expect("seed prod again");
    assert_eq!((again.inserted, again.present), (0, 1));
}

#[tokio::test]
async fn prod_profile_without_an_email_is_refused() {
    let test = TestDb::migrated("prod_profile_without_email").await;
    let profile = seed::Profile::Prod {
        super_admin_email: "  ".into(),
        add_super_admin: false,
    };
    let err = format!("{:#}", seed::run(&test.db, &profile).await.unwrap_err());
    assert!(err.contains("SEED_SUPER_ADMIN_EMAIL is not set"), "{err}");
    assert!(all_rows(&test.db).await.is_empty());
}

#[tokio::test]
async fn seeding_an_unmigrated_database_says_to_run_migrate() {
    let test = TestDb::new("seeding_unmigrated_database").await;
    let before = snapshot(&test.db).await;
    let err = seed::run(&test.db, &seed::Profile::Dev)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("run `cargo xtask migrate`"), "{err}");
    assert_eq!(
        before,
        snapshot(&test.db).await,
        "a failed seed changed the database"
    );
}

#[tokio::test]
async fn dev_seed_fills_every_table_of_every_phase() {
    let test = TestDb::migrated("dev_seed_fills_every_table").await;
    seed::run(&test.db, &seed::Profile::Dev)
        .await
        .expect("seed");
    let tables = crate::owned_tables(&test.db).await;
    assert!(tables.len() >= 45, "{} tables", tables.len());
    let mut empty = Vec::new();
    let transient: Vec<String> = schema_facts::TRANSIENT_TABLES
        .iter()
        .map(|t| format!("public.{t}"))
        .collect();
    for table in tables.into_iter().filter(|t| !transient.contains(t)) {
        if count(&test.db, &format!("SELECT count(*) FROM {table}")).await == 0 {
            empty.push(table);
        }
    }
    assert!(
        empty.is_empty(),
        "the dev seed leaves these empty: {empty:?}"
    );
}

/// A table of users' rows that no filler knows, as a new migration would add it (phase 7's
/// isolation included): what `cargo xtask migrate dev` writes for a new entity.
const NOTES: &str = r#"
CREATE TABLE public.smoke_notes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "userId" uuid NOT NULL REFERENCES public.users(id) ON DELETE CASCADE,
  "conversationId" uuid REFERENCES public.conversations(id),
  title varchar(200) NOT NULL,
  kind "AlertType" NOT NULL,
  "createdAt" timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX smoke_notes_user_id_idx ON public.smoke_notes ("userId");
GRANT SELECT, INSERT, UPDATE, DELETE ON public.smoke_notes TO app_user;
ALTER TABLE public.smoke_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.smoke_notes FORCE ROW LEVEL SECURITY;
CREATE POLICY smoke_notes_owner ON public.smoke_notes FOR ALL TO app_user
  USING ("userId" = public.app_current_user_id())
  WITH CHECK ("userId" = public.app_current_user_id());
"#;

#[tokio::test]
async fn the_dev_seed_fills_a_table_it_does_not_know_for_each_user() {
    let test = TestDb::migrated("the_dev_seed_fills_a_table_it_does_not_know_for_each_user").await;
    let db = &test.db;
    db.execute_unprepared(NOTES).await.expect("create notes");
    let first = seed::run(db, &seed::Profile::Dev).await.expect("seed");
    // One note per ordinary user, pointing at that user's conversation or at none: user one
    // has the seed's conversation, user two has no conversation.
    let notes = query_strings(
        db,
        r#"SELECT u.email || ' ' || n.title || ' ' || n.kind || ' ' || coalesce(c.title, '-')
             FROM smoke_notes n JOIN users u ON u.id = n."userId"
             LEFT JOIN conversations c ON c.id = n."conversationId" ORDER BY 1"#,
    )
    .await;
    assert_eq!(
        notes,
        [
            "user1@example.com title 1 APPROACHING_LIMIT Help with React hooks",
            "user2@example.com title 2 APPROACHING_LIMIT -",
        ]
    );
    assert_eq!(first.generic, 2);
    let rows = all_rows(db).await;
    let again = seed::run(db, &seed::Profile::Dev)
        .await
        .expect("seed again");
    assert_eq!(
        (again.inserted, again.present, again.generic),
        (0, first.inserted, 0)
    );
    assert_eq!(rows, all_rows(db).await);
}

#[tokio::test]
async fn the_dev_seed_names_a_table_it_cannot_fill_and_the_fix() {
    let test = TestDb::migrated("the_dev_seed_names_a_table_it_cannot_fill").await;
    let db = &test.db;
    db.execute_unprepared(
        r#"CREATE TABLE public.note_vectors (
             id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
             embedding vector(3) NOT NULL
           )"#,
    )
    .await
    .expect("create note_vectors");
    let err = format!(
        "{:#}",
        seed::run(db, &seed::Profile::Dev).await.unwrap_err()
    );
    assert!(
        err.ends_with(
            r#"the dev seed cannot fill public.note_vectors (its column "embedding" is vector(3), NOT NULL without a default): write a filler for it in seed/src/dev/ (the part of the table's phase)"#
        ),
        "{err}"
    );
    assert!(all_rows(db).await.is_empty(), "a failed seed wrote rows");
}

/// `seed --profile prod` through the shipped binary, for the super admin `email`.
async fn seed_prod(url: &str, email: &str, extra: &[&str]) -> std::process::Output {
    let args: Vec<&str> = ["--profile", "prod"].iter().chain(extra).copied().collect();
    let mut command = migrator::seed_command(url, &args);
    command.env("SEED_SUPER_ADMIN_EMAIL", email);
    migrator::finish(command).await
}

#[tokio::test]
async fn prod_seed_refuses_a_bad_email_with_one_line() {
    let test = TestDb::migrated("prod_seed_bad_email").await;
    let domain = "the part after the @ must be a domain with a dot, as in example.com";
    for (email, reason) in [
        ("@", "nothing comes before the @"),
        ("a@", domain),
        ("a@b", domain),
        ("a@b@c", "it must hold exactly one @"),
        (
            "x'; DROP TABLE users;--@x.com",
            "it holds whitespace, a quote or a control character",
        ),
        (
            "\"admin\"@example.com",
            "it holds whitespace, a quote or a control character",
        ),
        (
            "a;b@example.com",
            "the part before the @ may hold letters, digits and .!#$%&*+/=?^_{|}~- only, with \
             no leading, trailing or double dot",
        ),
    ] {
        let output = seed_prod(&test.url, email, &[]).await;
        assert_eq!(output.status.code(), Some(1), "{email}");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr).trim_end(),
            format!(
                "error: SEED_SUPER_ADMIN_EMAIL is not a valid email address ({reason}): set it \
                 to the super admin's email, e.g. SEED_SUPER_ADMIN_EMAIL=admin@example.com"
            ),
            "{email}"
        );
    }
    assert!(
        all_rows(&test.db).await.is_empty(),
        "a refused seed wrote rows"
    );
}

#[tokio::test]
async fn prod_seed_never_adds_a_second_super_admin_unless_told() {
    let test = TestDb::migrated("prod_seed_one_super_admin").await;
    let admins = "SELECT count(*) FROM users WHERE role = 'SUPER_ADMIN'";
    let first = seed_prod(&test.url, "a@example.com", &[]).await;
    assert!(first.status.success(), "{}", migrator::printed(&first));
    let rows = all_rows(&test.db).await;
    // A deploy script rerun with another address changes nothing, and says why.
    let again = seed_prod(&test.url, "b@example.com", &[]).await;
    assert!(again.status.success(), "{}", migrator::printed(&again));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains(
            "seed: a super admin exists already, so b@example.com was not added \
             (pass --add-super-admin to add another)"
        ),
        "{}",
        migrator::printed(&again)
    );
    assert_eq!(all_rows(&test.db).await, rows);
    assert_eq!(count(&test.db, admins).await, 1);
    let added = seed_prod(&test.url, "b@example.com", &["--add-super-admin"]).await;
    assert!(added.status.success(), "{}", migrator::printed(&added));
    assert_eq!(count(&test.db, admins).await, 2);
}

#[tokio::test]
async fn seeding_as_a_role_that_row_level_security_hides_rows_from_is_refused() {
    let test = TestDb::migrated("seeding_as_a_bound_role").await;
    let first = seed_prod(&test.url, "a@example.com", &[]).await;
    assert!(first.status.success(), "{}", migrator::printed(&first));
    let rows = all_rows(&test.db).await;
    // Such a role sees no super admin, so without the check the seed would try to add one.
    let url = bound_role_url(&test, "smoke_seed_bound").await;
    let output = seed_prod(&url, "b@example.com", &[]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "error: role `smoke_seed_bound` is subject to the forced row-level security of"
        ) && stderr
            .trim_end()
            .ends_with("run the seed as a superuser or a role WITH BYPASSRLS"),
        "{stderr}"
    );
    assert!(!stderr.contains("bound-role-password"), "{stderr}");
    assert_eq!(
        all_rows(&test.db).await,
        rows,
        "a refused seed changed rows"
    );
    drop_bound_role(&test, "smoke_seed_bound").await;
}
