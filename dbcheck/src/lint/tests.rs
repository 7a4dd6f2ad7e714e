//! The lint on small migrations: each risky change on a table an earlier migration created,
//! its safe form, and what the lint keeps of its own (the new-table exemption, the session's
//! `lock_timeout`, the allow-list).

use super::*;

/// The first migration: the tables the others change, as existing tables.
const CREATE: &str = r#"CREATE TABLE "users" ("id" uuid NOT NULL PRIMARY KEY, "email" text NOT NULL, "age" integer);
    CREATE TABLE "agents" ("id" uuid NOT NULL, "userId" uuid NOT NULL);
    CREATE INDEX "users_email_idx" ON "users" ("email");
    CREATE UNIQUE INDEX "agents_id_idx" ON "agents" ("id")"#;

const TIMEOUT: &str = "SET lock_timeout = '5s'";

/// The rules `later` (migrations, each one SQL string) break after `CREATE`, with no session.
fn broken_by(later: &[&str]) -> Vec<String> {
    let sql: Vec<Vec<String>> = std::iter::once(CREATE)
        .chain(later.iter().copied())
        .map(|s| vec![s.to_owned()])
        .collect();
    let names: Vec<String> = (1..=sql.len()).map(|i| format!("m{i}")).collect();
    let migrations: Vec<(&str, &[String])> = names
        .iter()
        .zip(&sql)
        .map(|(name, sql)| (name.as_str(), sql.as_slice()))
        .collect();
    let found = violations(&migrations, &[], &[]);
    assert!(found.iter().all(|v| v.migration != "m1"), "{found:#?}");
    found.iter().map(|v| v.rule.to_string()).collect()
}

/// The rules one migration after `CREATE` breaks, with `lock_timeout` set first.
fn broken(sql: &str) -> Vec<String> {
    broken_by(&[&format!("{TIMEOUT}; {sql}")])
}

#[track_caller]
fn assert_caught(sql: &str, rule: &str) {
    let found = broken(sql);
    assert!(
        found.iter().any(|r| r == rule),
        "{rule} not in {found:?} for {sql}"
    );
}

#[track_caller]
fn assert_clean(sql: &str) {
    assert_eq!(broken(sql), Vec::<String>::new(), "for {sql}");
}

#[test]
fn a_non_concurrent_create_index_is_caught() {
    assert_caught(
        r#"CREATE INDEX "users_age_idx" ON "users" ("age")"#,
        "require-concurrent-index-creation",
    );
    assert_caught(
        r#"CREATE UNIQUE INDEX "users_age_idx" ON public.users (age)"#,
        "require-concurrent-index-creation",
    );
}

#[test]
fn create_index_concurrently_passes_in_a_migration_without_a_transaction() {
    let sql = r#"CREATE INDEX CONCURRENTLY "users_age_idx" ON "users" ("age")"#;
    // In SeaORM's transaction CONCURRENTLY fails; a migration that opts out of it
    // (use_transaction() is Some(false)) is linted as the server runs it.
    assert_eq!(
        broken(sql),
        ["ban-concurrent-index-creation-in-transaction"]
    );
    let first = vec![CREATE.to_owned()];
    let second = vec![TIMEOUT.to_owned(), sql.to_owned()];
    let migrations: [(&str, &[String]); 2] = [("m1", &first), ("m2", &second)];
    assert_eq!(lint(&migrations, &[], &["m2"], &[]), Vec::<String>::new());
    assert_eq!(violations(&migrations, &[], &["m1"]).len(), 1);
}

#[test]
fn a_non_concurrent_drop_index_is_caught() {
    assert_caught(
        r#"DROP INDEX "users_email_idx""#,
        "require-concurrent-index-deletion",
    );
    assert_clean(r#"DROP INDEX CONCURRENTLY "users_email_idx""#);
}

#[test]
fn a_non_concurrent_reindex_is_caught() {
    assert_caught(
        r#"REINDEX INDEX "users_email_idx""#,
        "require-concurrent-reindex",
    );
    assert_caught(r#"REINDEX TABLE "users""#, "require-concurrent-reindex");
    assert_clean(r#"REINDEX INDEX CONCURRENTLY "users_email_idx""#);
}

#[test]
fn set_not_null_is_caught_unless_a_validated_check_proves_it() {
    assert_caught(
        r#"ALTER TABLE "users" ALTER COLUMN "age" SET NOT NULL"#,
        "adding-not-nullable-field",
    );
    let add = format!(
        r#"{TIMEOUT}; ALTER TABLE "users" ADD CONSTRAINT "age_nn" CHECK ("age" IS NOT NULL) NOT VALID"#
    );
    let validate = format!(
        r#"{TIMEOUT}; ALTER TABLE "users" VALIDATE CONSTRAINT "age_nn";
        ALTER TABLE "users" ALTER COLUMN "age" SET NOT NULL"#
    );
    assert_eq!(broken_by(&[&add, &validate]), Vec::<String>::new());
}

#[test]
fn a_check_constraint_without_not_valid_is_caught() {
    let check = r#"ALTER TABLE "users" ADD CONSTRAINT "age_positive" CHECK ("age" > 0)"#;
    assert_caught(check, "constraint-missing-not-valid");
    // Validating in the same transaction blocks as long as not using NOT VALID at all.
    assert_caught(
        &format!(r#"{check} NOT VALID; ALTER TABLE "users" VALIDATE CONSTRAINT "age_positive""#),
        "constraint-missing-not-valid",
    );
    let validate = format!(r#"{TIMEOUT}; ALTER TABLE "users" VALIDATE CONSTRAINT "age_positive""#);
    let add = format!("{TIMEOUT}; {check} NOT VALID");
    assert_eq!(broken_by(&[&add, &validate]), Vec::<String>::new());
}

#[test]
fn a_foreign_key_without_not_valid_is_caught() {
    let fk = r#"ALTER TABLE "agents" ADD CONSTRAINT "agents_user_fkey" FOREIGN KEY ("userId") REFERENCES "users" ("id")"#;
    assert_caught(fk, "adding-foreign-key-constraint");
    assert_caught(fk, "constraint-missing-not-valid");
    assert_caught(
        r#"ALTER TABLE "agents" ADD COLUMN "ownerId" uuid REFERENCES "users" ("id")"#,
        "adding-foreign-key-constraint",
    );
    let add = format!("{TIMEOUT}; {fk} NOT VALID");
    let validate =
        format!(r#"{TIMEOUT}; ALTER TABLE "agents" VALIDATE CONSTRAINT "agents_user_fkey""#);
    assert_eq!(broken_by(&[&add, &validate]), Vec::<String>::new());
}

#[test]
fn a_unique_constraint_without_a_prebuilt_index_is_caught() {
    assert_caught(
        r#"ALTER TABLE "users" ADD CONSTRAINT "users_email_key" UNIQUE ("email")"#,
        "disallowed-unique-constraint",
    );
    assert_clean(
        r#"ALTER TABLE "users" ADD CONSTRAINT "users_email_key" UNIQUE USING INDEX "users_email_idx""#,
    );
}

#[test]
fn a_primary_key_without_a_prebuilt_index_is_caught() {
    assert_caught(
        r#"ALTER TABLE "agents" ADD CONSTRAINT "agents_pkey" PRIMARY KEY ("id")"#,
        "adding-serial-primary-key-field",
    );
    assert_clean(
        r#"ALTER TABLE "agents" ADD CONSTRAINT "agents_pkey" PRIMARY KEY USING INDEX "agents_id_idx""#,
    );
}

#[test]
fn a_column_with_a_volatile_default_is_caught() {
    assert_caught(
        r#"ALTER TABLE "users" ADD COLUMN "token" uuid DEFAULT gen_random_uuid()"#,
        "adding-field-with-default",
    );
    assert_clean(r#"ALTER TABLE "users" ADD COLUMN "score" integer DEFAULT 0"#);
    assert_clean(r#"ALTER TABLE "users" ADD COLUMN "seenAt" timestamp(3) DEFAULT now()"#);
}

#[test]
fn a_not_null_column_without_default_is_caught() {
    assert_caught(
        r#"ALTER TABLE "users" ADD COLUMN "score" integer NOT NULL"#,
        "adding-required-field",
    );
    assert_clean(r#"ALTER TABLE "users" ADD COLUMN "score" integer NOT NULL DEFAULT 0"#);
}

#[test]
fn a_type_change_is_caught() {
    assert_caught(
        r#"ALTER TABLE "users" ALTER COLUMN "email" TYPE varchar(100)"#,
        "changing-column-type",
    );
    assert_clean(r#"ALTER TABLE "users" ALTER COLUMN "email" SET DEFAULT ''"#);
}

#[test]
fn renames_are_caught() {
    assert_caught(
        r#"ALTER TABLE "users" RENAME COLUMN "email" TO "mail""#,
        "renaming-column",
    );
    assert_caught(
        r#"ALTER TABLE public.users RENAME TO people"#,
        "renaming-table",
    );
    assert_clean(r#"ALTER TABLE "users" ADD COLUMN "mail" text"#);
}

#[test]
fn dropped_columns_and_tables_are_caught() {
    assert_caught(
        r#"ALTER TABLE "users" DROP COLUMN "email""#,
        "ban-drop-column",
    );
    assert_caught(r#"DROP TABLE IF EXISTS "users""#, "ban-drop-table");
    assert_caught(
        r#"CREATE TABLE "tags" ("id" uuid); DROP TABLE "tags", public.users CASCADE"#,
        "ban-drop-table",
    );
    assert_clean(r#"CREATE TABLE "tags" ("id" uuid); DROP TABLE "tags""#);
}

#[test]
fn a_function_body_is_not_taken_for_statements() {
    assert_clean(
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DROP TABLE users; \
         RETURN NEW; END $$",
    );
}

#[test]
fn locking_an_existing_table_without_lock_timeout_is_caught() {
    let rls = r#"ALTER TABLE "users" ENABLE ROW LEVEL SECURITY"#;
    assert_eq!(broken_by(&[rls]), ["missing-lock-timeout"]);
    let trigger = r#"CREATE TRIGGER t BEFORE UPDATE ON "users" FOR EACH ROW EXECUTE FUNCTION f()"#;
    assert_eq!(broken_by(&[trigger]), ["missing-lock-timeout"]);
    // A new table's foreign key locks the table it references.
    let child = r#"CREATE TABLE "tags" ("userId" uuid REFERENCES "users" ("id"))"#;
    assert_eq!(broken_by(&[child]), ["missing-lock-timeout"]);
    let late = format!("{rls}; {TIMEOUT}");
    assert_eq!(broken_by(&[&late]), ["missing-lock-timeout"]);
    // A slow statement on a new table first must not hide the existing one after it.
    let after_new =
        format!(r#"CREATE TABLE "tags" ("id" uuid); CREATE INDEX "t" ON "tags" ("id"); {rls}"#);
    assert_eq!(broken_by(&[&after_new]), ["missing-lock-timeout"]);
    assert_clean(rls);
    // Creating objects other than tables locks nothing that exists.
    assert_eq!(
        broken_by(&[r#"CREATE TYPE "Mood" AS ENUM ('OK'); CREATE SCHEMA "health""#]),
        Vec::<String>::new()
    );
}

#[test]
fn a_lock_timeout_the_runner_sets_counts() {
    let first = vec![CREATE.to_owned()];
    let second = vec![r#"ALTER TABLE "users" ENABLE ROW LEVEL SECURITY"#.to_owned()];
    let migrations: [(&str, &[String]); 2] = [("m1", &first), ("m2", &second)];
    let session = ["SET lock_timeout = '5000ms'".to_owned()];
    assert_eq!(violations(&migrations, &session, &[]), []);
    assert_eq!(violations(&migrations, &[], &[]).len(), 1);
}

#[test]
fn statements_on_a_table_the_migration_created_are_exempt() {
    assert_eq!(
        broken_by(&[r#"CREATE TABLE "tags" ("id" uuid NOT NULL, "label" text);
            CREATE INDEX "tags_id_idx" ON "tags" ("id");
            ALTER TABLE "tags" ADD COLUMN "n" integer NOT NULL;
            ALTER TABLE "tags" ADD COLUMN "token" uuid DEFAULT gen_random_uuid();
            ALTER TABLE "tags" ALTER COLUMN "label" TYPE varchar(50);
            ALTER TABLE "tags" ALTER COLUMN "label" SET NOT NULL;
            ALTER TABLE "tags" ADD CONSTRAINT "tags_n" CHECK ("n" > 0);
            ALTER TABLE "tags" ADD CONSTRAINT "tags_key" UNIQUE ("label");
            ALTER TABLE "tags" RENAME COLUMN "label" TO "name";
            DROP INDEX "tags_id_idx";
            ALTER TABLE "tags" DROP COLUMN "n""#]),
        Vec::<String>::new()
    );
}

#[test]
fn the_exemption_compares_schema_qualified_names() {
    let other_schema = r#"CREATE TABLE "health"."users" ("id" uuid);
        ALTER TABLE "users" ADD COLUMN "n" integer NOT NULL"#;
    assert_caught(other_schema, "adding-required-field");
    let same = r#"CREATE TABLE "health"."notes" ("id" uuid);
        ALTER TABLE health.notes ADD COLUMN "n" integer NOT NULL"#;
    assert_clean(same);
}

#[test]
fn rules_about_the_sql_itself_hold_on_new_tables_too() {
    let long = "a".repeat(70);
    assert_caught(
        &format!(r#"CREATE TABLE "{long}" ("id" uuid)"#),
        "identifier-too-long",
    );
}

#[test]
fn sql_the_parser_cannot_read_is_reported() {
    assert_caught("ALTER TABLE", "unparsable");
}

#[test]
fn an_allow_entry_silences_one_rule_of_one_migration() {
    let first = vec![CREATE.to_owned()];
    let second = vec![r#"ALTER TABLE "users" DROP COLUMN "email""#.to_owned()];
    let migrations: [(&str, &[String]); 2] = [("m1", &first), ("m2", &second)];
    let allow = [Allow {
        migration: "m2",
        rule: Rule::Squawk(Squawk::BanDropColumn),
        reason: "test",
    }];
    let out = lint(&migrations, &[], &[], &allow);
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(out[0].starts_with("m2: missing-lock-timeout: "), "{out:?}");
    assert!(
        lint(&migrations, &[], &[], &[])
            .iter()
            .any(|line| line.starts_with("m2: ban-drop-column: ")),
    );
}

#[test]
fn an_allow_entry_that_matches_nothing_is_reported() {
    let first = vec![CREATE.to_owned()];
    let migrations: [(&str, &[String]); 1] = [("m1", &first)];
    let stale = [Allow {
        migration: "m1",
        rule: Rule::Squawk(Squawk::RenamingColumn),
        reason: "test",
    }];
    assert_eq!(
        lint(&migrations, &[], &[], &stale),
        [
            "m1: renaming-column: allowed in dbcheck/src/lint/allow.rs but not broken: remove the entry"
        ]
    );
}

#[test]
fn a_finding_names_the_migration_rule_sql_table_and_fix() {
    let first = vec![CREATE.to_owned()];
    let second = vec![
        TIMEOUT.to_owned(),
        r#"ALTER TABLE "users"  RENAME COLUMN "email" TO "mail""#.to_owned(),
    ];
    let migrations: [(&str, &[String]); 2] = [("m1", &first), ("m2", &second)];
    assert_eq!(
        lint(&migrations, &[], &[], &[]),
        [
            r#"m2: renaming-column: `RENAME COLUMN "email" TO "mail"` on users: Renaming a column may break existing clients."#
        ]
    );
}

#[test]
fn every_rule_turned_off_is_one_squawk_runs_and_has_a_reason() {
    let defaults = squawk_linter::Linter::with_default_rules().rules;
    for (rule, reason) in rules::OFF {
        assert!(defaults.contains(rule), "{rule} is off by default already");
        assert!(!reason.is_empty(), "{rule} has no reason");
        assert!(
            !rules::squawk(true).rules.contains(rule),
            "{rule} still runs"
        );
    }
}
