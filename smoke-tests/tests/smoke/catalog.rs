//! dbcheck's catalog on a real server: what it reads beyond tables and keys, and how its
//! snapshot lines change when a migration leaves such an object different.

use dbcheck::catalog::Catalog;
use sea_orm::ConnectionTrait;
use smoke_tests::{TestDb, snapshot};

#[tokio::test]
async fn the_snapshot_sees_trigger_states_grants_settings_policies_and_schemas() {
    let test = TestDb::migrated("catalog_sees_states_grants_settings").await;
    let catalog = Catalog::load(&test.db).await.expect("read the catalog");
    assert_allergies_trigger(&catalog);
    let before = catalog.snapshot();
    test.db
        .execute_unprepared(
            "ALTER TABLE health.allergies DISABLE TRIGGER allergies_set_updated_at;
             REVOKE DELETE ON health.allergies FROM app_user;
             ALTER FUNCTION set_updated_at() SET search_path = public;
             ALTER POLICY allergies_owner ON health.allergies TO public;
             CREATE SCHEMA stray;",
        )
        .await
        .expect("change the objects");
    let diff = before.diff(&snapshot(&test.db).await, "before", "after");
    let has = |prefix: &str, rest: &str| {
        diff.lines()
            .any(|l| l.starts_with(prefix) && l.contains(rest))
    };
    assert!(
        has("only in after: trigger ", "allergies_set_updated_at"),
        "{diff}"
    );
    assert!(has("only in after: trigger ", "[disabled]"), "{diff}");
    assert!(
        has("only in before: grant health.allergies app_user DELETE", ""),
        "{diff}"
    );
    assert!(
        has(
            "only in after: function public.set_updated_at() ",
            " SET search_path=public"
        ),
        "{diff}"
    );
    assert!(
        has(
            "only in after: policy health.allergies allergies_owner ",
            " TO public "
        ),
        "{diff}"
    );
    assert!(has("only in after: schema stray", ""), "{diff}");
    // Each change replaces one line, but the revoke and the new schema, which add or drop one.
    assert_eq!(diff.lines().count(), 3 * 2 + 2, "{diff}");
}

/// Checks that the catalog reads the updatedAt trigger of health.allergies, enabled, in full.
fn assert_allergies_trigger(catalog: &Catalog) {
    let trigger = catalog
        .triggers
        .iter()
        .find(|t| t.schema == "health" && t.name == "allergies_set_updated_at")
        .expect("the updatedAt trigger of health.allergies");
    assert_eq!(
        (trigger.timing.as_str(), trigger.events.as_slice()),
        ("BEFORE", ["UPDATE".to_owned()].as_slice())
    );
    assert!(trigger.for_each_row);
    assert_eq!(trigger.function, "public.set_updated_at");
    assert_eq!(trigger.enabled, "O");
}

/// A trigger function whose body lines end in `eol`, and an aggregate, which has no body
/// `pg_get_functiondef` could print.
fn functions(eol: &str, result: &str) -> String {
    format!(
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN{eol}  \
         RETURN {result};{eol}END $$;
         CREATE AGGREGATE total(integer) (SFUNC = int4pl, STYPE = integer);"
    )
}

#[tokio::test]
async fn function_hashes_ignore_line_endings_but_not_the_body() {
    let unix = TestDb::new("catalog_function_unix_endings").await;
    let windows = TestDb::new("catalog_function_windows_endings").await;
    let edited = TestDb::new("catalog_function_edited_body").await;
    for (test, eol, result) in [
        (&unix, "\n", "NEW"),
        (&windows, "  \r\n", "NEW"),
        (&edited, "\n", "OLD"),
    ] {
        test.db
            .execute_unprepared(&functions(eol, result))
            .await
            .expect("create the functions");
    }
    let unix = snapshot(&unix.db).await;
    assert!(
        unix.lines
            .contains("function public.total(integer) aggregate"),
        "{:#?}",
        unix.lines
    );
    let diff = unix.diff(&snapshot(&windows.db).await, "unix", "windows");
    assert!(diff.is_empty(), "{diff}");
    let diff = unix.diff(&snapshot(&edited.db).await, "new", "old");
    assert_eq!(diff.lines().count(), 2, "{diff}");
    assert!(
        diff.contains("only in old: function public.touch() "),
        "{diff}"
    );
}
