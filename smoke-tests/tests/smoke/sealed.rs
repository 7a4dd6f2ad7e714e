//! Encryption at rest: medical text and MCP tokens are ciphertext in the database, plaintext
//! through the entities, refused under a wrong key, and `rotate-key` moves them to a new key
//! under concurrent writes without losing a write.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use entity::health::enums::AllergySeverity;
use entity::health::{AllergyReaction, allergies, medical_conditions};
use entity::sealed::{
    ACCESS_TOKEN, ColumnRef, Keyring, MEDICAL_COLUMNS, Sealed, TOKEN_COLUMNS, key_id_of, open_token,
};
use migrator::rotate::{RotateArgs, rotate};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
};
use smoke_tests::TestDb;
use smoke_tests::migrator::{command, finish, last_stderr_line, printed};
use uuid::Uuid;

use crate::{count, query_strings, seeded};

/// The plaintexts the dev seed seals (an independent copy, so the test checks the seed).
const SEEDED_TEXT: &[&str] = &[
    "Hives",
    "Take in the morning.",
    "Forgot at breakfast",
    "Carries an inhaler when travelling.",
    "Home readings twice a week.",
    "Bring the blood pressure log.",
];

/// Every non-NULL stored value of a medical column, as text.
async fn stored(db: &sea_orm::DatabaseConnection, table: &str, column: &str) -> Vec<String> {
    let sql = format!(r#"SELECT "{column}" FROM health.{table} WHERE "{column}" IS NOT NULL"#);
    query_strings(db, &sql).await
}

#[tokio::test]
async fn medical_text_is_ciphertext_at_rest_and_plaintext_through_the_entities() {
    let test = seeded("sealed_at_rest").await;
    let db = &test.db;
    for column in MEDICAL_COLUMNS {
        let values = stored(db, column.table, column.column).await;
        assert!(
            !values.is_empty(),
            "the dev seed fills {}",
            column.qualified()
        );
        for value in values {
            assert_eq!(key_id_of(&value), Some("dev"), "{value}");
            assert!(SEEDED_TEXT.iter().all(|t| !value.contains(t)), "{value}");
        }
    }
    let reactions: Vec<String> = allergies::Entity::find()
        .all(db)
        .await
        .expect("read allergies")
        .into_iter()
        .filter_map(|a| a.reaction.map(Sealed::into_string))
        .collect();
    assert_eq!(reactions, ["Hives", "Hives"]);
    let conditions = medical_conditions::Entity::find()
        .all(db)
        .await
        .expect("read");
    assert!(
        conditions
            .iter()
            .all(|c| c.notes.as_ref().map(Sealed::as_str) == Some("Home readings twice a week."))
    );
}

/// The plaintext and the non-envelope bytes written into a sealed column in the test below,
/// as SQL for a `TEXT` (`false`) or `BYTEA` (`true`) column.
fn unsealed(bytes: bool) -> Vec<&'static str> {
    if bytes {
        vec![
            "convert_to('plain words', 'UTF8')",
            r"'\xc0ffeec0ffeec0ffeec0ffee'::bytea",
            "convert_to('v1:dev:short', 'UTF8')",
        ]
    } else {
        vec!["'plain words'", "'v1:dev:short'"]
    }
}

#[tokio::test]
async fn the_database_refuses_plaintext_in_every_sealed_column() {
    let test = seeded("sealed_refuses_plaintext").await;
    let db = &test.db;
    let sealed: Vec<&ColumnRef> = MEDICAL_COLUMNS.iter().chain(TOKEN_COLUMNS).collect();
    let mut constrained = query_strings(
        db,
        r"SELECT n.nspname || '.' || c.relname || '.' || a.attname
            FROM pg_constraint k
            JOIN pg_class c ON c.oid = k.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
           WHERE k.contype = 'c' AND k.convalidated AND k.conname LIKE '%\_sealed'",
    )
    .await;
    let mut listed: Vec<String> = sealed.iter().map(|c| c.qualified()).collect();
    constrained.sort();
    listed.sort();
    assert_eq!(constrained, listed, "one validated check per sealed column");
    for column in &sealed {
        let (schema, table, name) = (column.schema, column.table, column.column);
        for value in unsealed(column.bytes) {
            let sql = format!(r#"UPDATE {schema}.{table} SET "{name}" = {value}"#);
            let err = db
                .execute_unprepared(&sql)
                .await
                .expect_err(&sql)
                .to_string();
            assert!(err.contains("_sealed"), "{sql}: {err}");
        }
    }
    app_user_writes_a_sealed_token_only(db).await;
}

/// The application's own role is refused a plaintext token too, and its envelope goes in.
async fn app_user_writes_a_sealed_token_only(db: &sea_orm::DatabaseConnection) {
    let user = query_strings(db, r#"SELECT "userId"::text FROM mcp_integrations LIMIT 1"#)
        .await
        .remove(0);
    let envelope = String::from_utf8(entity::sealed::seal_token(
        &Keyring::dev(),
        &ACCESS_TOKEN,
        "gho_sealedByTheApplication",
    ))
    .expect("an envelope is text");
    let act = format!(
        "SET LOCAL ROLE app_user; SELECT set_config('app.current_user_id', '{user}', true);"
    );
    let write = |value: String| {
        format!(r#"{act} UPDATE mcp_integrations SET "accessTokenEncrypted" = {value}"#)
    };
    for (value, sealed) in [
        ("convert_to('gho_plain', 'UTF8')".to_owned(), false),
        (format!("convert_to('{envelope}', 'UTF8')"), true),
    ] {
        let txn = db.begin().await.expect("begin");
        let result = txn.execute_unprepared(&write(value)).await;
        txn.rollback().await.expect("rollback");
        match (result, sealed) {
            (Ok(_), true) => {}
            (Err(e), false) => assert!(e.to_string().contains("_sealed"), "{e}"),
            (result, _) => panic!("app_user writing a sealed={sealed} token: {result:?}"),
        }
    }
}

#[tokio::test]
async fn a_value_moved_to_another_column_is_an_error_naming_the_column_not_garbage() {
    let test = seeded("sealed_moved_value").await;
    let db = &test.db;
    // The envelope's form passes the check; its associated data names another column.
    db.execute_unprepared(
        r#"UPDATE health.medical_conditions c SET notes = a.reaction
             FROM health.allergies a WHERE a."userId" = c."userId""#,
    )
    .await
    .expect("copy the envelopes");
    let err = medical_conditions::Entity::find()
        .all(db)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("health.medical_conditions.notes does not open with key `dev`"),
        "{err}"
    );
}

/// Base64 of 32 bytes of `byte`, as a key in `APP_ENCRYPTION_KEYS`.
fn key(byte: u8) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode([byte; 32])
}

#[tokio::test]
async fn rotate_key_refuses_a_missing_or_wrong_key_in_one_line_naming_the_fix() {
    let test = seeded("sealed_wrong_key").await;
    let cases = [
        (
            format!("new:{}", key(7)),
            "is sealed with key `dev`, which is not configured: add `dev:<base64 key>` to APP_ENCRYPTION_KEYS",
        ),
        (format!("dev:{}", key(7)), "does not open with key `dev`"),
    ];
    for (keys, expected) in cases {
        let mut rotate = command(&test.url, &["rotate-key"]);
        rotate.env("APP_ENCRYPTION_KEYS", &keys);
        let output = finish(rotate).await;
        assert!(!output.status.success(), "{}", printed(&output));
        let line = last_stderr_line(&output);
        assert!(
            line.starts_with("error: ") && line.contains(expected),
            "{line}"
        );
    }
    let output = finish(command(&test.url, &["rotate-key"])).await;
    let line = last_stderr_line(&output);
    assert!(
        line.contains("no encryption key is configured: set APP_ENCRYPTION_KEYS="),
        "{line}"
    );
    // Nothing was rewritten by the refused runs.
    let on_dev = count(
        &test.db,
        r#"SELECT count(*) FROM health.allergies WHERE reaction LIKE 'v1:dev:%'"#,
    )
    .await;
    assert_eq!(on_dev, 2);
}

/// How many allergies the rotation test adds before rotating (several batches' worth).
const ROWS: usize = 1200;

/// The rotation's keyring: `new` current, `dev` still readable, as an operator configures it
/// on every application instance before running `rotate-key`.
fn rotated_ring() -> Keyring {
    Keyring::new("new", &[7; 32])
        .unwrap()
        .with_key("dev", &dev_key())
        .unwrap()
}

/// The DEV-ONLY key's bytes: SHA-256 of the public string `secrets` hashes (a copy).
fn dev_key() -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(
        b"cjhirashi-agents DEV-ONLY token key: NOT SECRET, never use for real tokens",
    )
    .into()
}

/// Adds `ROWS` allergies of `user`, sealed with the dev key; returns their plaintexts by id.
async fn add_allergies(db: &sea_orm::DatabaseConnection, user: Uuid) -> BTreeMap<Uuid, String> {
    let ring = Keyring::dev();
    let mut expected = BTreeMap::new();
    for i in 0..ROWS {
        let (id, text) = (Uuid::new_v4(), format!("reaction {i}"));
        insert_allergy(db, user, id, Sealed::seal_with(&ring, text.clone())).await;
        expected.insert(id, text);
    }
    expected
}

/// An application instance already on the new keys: it edits and adds allergies until told to
/// stop, and returns the plaintext it left in each row it wrote.
async fn writer(
    db: sea_orm::DatabaseConnection,
    user: Uuid,
    ids: Vec<Uuid>,
    stop: Arc<AtomicBool>,
) -> BTreeMap<Uuid, String> {
    let ring = rotated_ring();
    let mut wrote = BTreeMap::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) || n < 20 {
        let text = format!("edited {n}");
        let sealed: Sealed<AllergyReaction> = Sealed::seal_with(&ring, text.clone());
        // Edits walk the rows from the end, towards the rotation coming from the start.
        let id = ids[ids.len() - 1 - (n * 7) % ids.len()];
        allergies::Entity::update_many()
            .col_expr(allergies::Column::Reaction, Expr::value(sealed))
            .filter(allergies::Column::Id.eq(id))
            .exec(&db)
            .await
            .expect("edit");
        wrote.insert(id, text);
        if n % 5 == 0 {
            let (id, text) = (Uuid::new_v4(), format!("added {n}"));
            insert_allergy(&db, user, id, Sealed::seal_with(&ring, text.clone())).await;
            wrote.insert(id, text);
        }
        n += 1;
    }
    wrote
}

async fn insert_allergy(
    db: &sea_orm::DatabaseConnection,
    user: Uuid,
    id: Uuid,
    reaction: Sealed<AllergyReaction>,
) {
    let at = chrono::NaiveDateTime::default();
    let model = allergies::ActiveModel {
        id: Set(id),
        user_id: Set(user),
        allergen: Set(format!("allergen {id}")),
        severity: Set(AllergySeverity::Mild),
        reaction: Set(Some(reaction)),
        created_at: Set(at),
        updated_at: Set(at),
    };
    allergies::Entity::insert(model)
        .exec_without_returning(db)
        .await
        .expect("insert");
}

#[tokio::test]
async fn rotation_under_concurrent_writes_loses_nothing_and_leaves_every_value_on_the_new_key() {
    let test = seeded("sealed_rotation").await;
    let db = &test.db;
    let user: Uuid = query_strings(
        db,
        "SELECT id::text FROM users WHERE email = 'user1@example.com'",
    )
    .await[0]
        .parse()
        .unwrap();
    let mut expected = add_allergies(db, user).await;
    let stop = Arc::new(AtomicBool::new(false));
    let ids: Vec<Uuid> = expected.keys().copied().collect();
    let edits = tokio::spawn(writer(test.connect().await, user, ids, stop.clone()));
    let ring = rotated_ring();
    let args = RotateArgs {
        batch_size: 100,
        seal_plaintext: false,
    };
    let mut lines = 0;
    let first = rotate(db, &ring, &args, |_| lines += 1)
        .await
        .expect("rotate");
    stop.store(true, Ordering::Relaxed);
    expected.extend(edits.await.expect("writer"));
    assert!(lines > MEDICAL_COLUMNS.len(), "a progress line per batch");
    // Rows the writer reached first were already on the new key and are skipped.
    let read: u64 = first.iter().map(|c| c.read).sum();
    assert!(read >= ROWS as u64, "{first:?}");
    assert_on_new_key_with(db, &ring, user, &expected).await;
    // A rerun finds everything on the new key and writes nothing.
    let again = rotate(db, &ring, &args, |_| ()).await.expect("rerun");
    assert!(
        again
            .iter()
            .all(|c| c.resealed == 0 && c.sealed_plaintext == 0),
        "{again:?}"
    );
}

/// Every sealed value is on key `new`, and user one's allergies hold `expected`.
async fn assert_on_new_key_with(
    db: &sea_orm::DatabaseConnection,
    ring: &Keyring,
    user: Uuid,
    expected: &BTreeMap<Uuid, String>,
) {
    for column in MEDICAL_COLUMNS {
        for value in stored(db, column.table, column.column).await {
            assert_eq!(key_id_of(&value), Some("new"), "{}", column.qualified());
        }
    }
    let sql = format!(
        r#"SELECT id::text || ' ' || reaction FROM health.allergies WHERE "userId" = '{user}' AND allergen LIKE 'allergen %'"#
    );
    let mut found = BTreeMap::new();
    for line in query_strings(db, &sql).await {
        let (id, envelope) = line.split_once(' ').unwrap();
        let text = Sealed::<AllergyReaction>::open_with(ring, envelope.into()).expect("open");
        found.insert(id.parse::<Uuid>().unwrap(), text.into_string());
    }
    assert_eq!(&found, expected, "every row holds its last write");
    let token = query_strings(
        db,
        r#"SELECT convert_from("accessTokenEncrypted", 'UTF8') FROM mcp_integrations"#,
    )
    .await;
    assert!(token[0].starts_with("v1:new:"), "{}", token[0]);
    let plaintext = open_token(ring, &ACCESS_TOKEN, token[0].as_bytes()).expect("open token");
    assert_eq!(plaintext, "gho_devSeedAccessToken0000000000000000");
}

#[tokio::test]
async fn plaintext_written_before_phase_seven_stops_the_migration_until_sealed() {
    let test = TestDb::new("sealed_plaintext_upgrade").await;
    let db = &test.db;
    migration::up_through_phase(db, Some(5))
        .await
        .expect("migrate --phase 5");
    seed::run(db, &seed::Profile::Dev).await.expect("seed");
    db.execute_unprepared(r#"UPDATE health.allergies SET reaction = 'Hives (plaintext)'"#)
        .await
        .expect("write plaintext as an older application did");
    let err = format!(
        "{:#}",
        migration::up_through_phase(db, None).await.unwrap_err()
    );
    assert!(
        err.contains("health.allergies.reaction holds 2 value(s) that are not sealed: run `migration rotate-key --seal-plaintext`"),
        "{err}"
    );
    let refused = db
        .execute_unprepared(r#"UPDATE health.allergies SET reaction = 'more plaintext'"#)
        .await;
    assert!(
        refused.is_err(),
        "the first check already refuses new plaintext"
    );
    let args = RotateArgs {
        batch_size: 100,
        seal_plaintext: true,
    };
    let done = rotate(db, &Keyring::dev(), &args, |_| ())
        .await
        .expect("seal plaintext");
    let sealed: u64 = done.iter().map(|c| c.sealed_plaintext).sum();
    assert_eq!(sealed, 2);
    migration::up_through_phase(db, None)
        .await
        .expect("migrate after sealing");
    let reactions: Vec<String> = allergies::Entity::find()
        .all(db)
        .await
        .expect("read")
        .into_iter()
        .filter_map(|a| a.reaction.map(Sealed::into_string))
        .collect();
    assert_eq!(reactions, ["Hives (plaintext)", "Hives (plaintext)"]);
}

#[tokio::test]
async fn a_plaintext_token_written_before_the_token_checks_stops_the_migration_naming_the_fix() {
    let test = TestDb::new("sealed_token_upgrade").await;
    let db = &test.db;
    migration::up_through_phase(db, Some(6))
        .await
        .expect("migrate --phase 6");
    seed::run(db, &seed::Profile::Dev).await.expect("seed");
    db.execute_unprepared(
        r#"UPDATE mcp_integrations SET "refreshTokenEncrypted" = convert_to('gho_plain', 'UTF8')"#,
    )
    .await
    .expect("write a plaintext token as an older application could");
    let err = format!(
        "{:#}",
        migration::up_through_phase(db, None).await.unwrap_err()
    );
    assert!(
        err.contains("public.mcp_integrations.refreshTokenEncrypted holds 1 value(s) that are not sealed envelopes: run `migration rotate-key`"),
        "{err}"
    );
    let refused = db
        .execute_unprepared(
            r#"UPDATE mcp_integrations SET "accessTokenEncrypted" = convert_to('gho_more', 'UTF8')"#,
        )
        .await;
    assert!(
        refused.is_err(),
        "the added check already refuses new plaintext"
    );
    // The fix the message names for plaintext: the token is revoked and its integration goes.
    db.execute_unprepared(
        r#"DELETE FROM mcp_integrations WHERE "refreshTokenEncrypted" = convert_to('gho_plain', 'UTF8')"#,
    )
    .await
    .expect("delete the integration");
    migration::up_through_phase(db, None)
        .await
        .expect("migrate after the fix");
}

#[tokio::test]
async fn the_load_profile_seals_the_allergies_it_writes() {
    let test = TestDb::migrated("sealed_load").await;
    seed::load::run(&test.db, 20, false).await.expect("load");
    let values = stored(&test.db, "allergies", "reaction").await;
    assert!(!values.is_empty(), "twenty users have some allergies");
    assert!(
        values.iter().all(|v| key_id_of(v) == Some("dev")),
        "{values:?}"
    );
    let opened = allergies::Entity::find()
        .all(&test.db)
        .await
        .expect("open through the entity");
    assert!(
        opened
            .iter()
            .all(|a| a.reaction.as_ref().is_some_and(|r| !r.as_str().is_empty()))
    );
}
