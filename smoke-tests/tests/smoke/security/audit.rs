//! The audit trail: health and finance writes, role changes and MCP token writes each add an
//! `audit_logs` entry naming who, what and when, and never the secret or the text itself.

use sea_orm::{ConnectionTrait, Statement};

use super::{Seeded, Setting, acting, attempt};
use crate::query_strings;

/// The entries about row `id` that match `filter`, as `action|actorId|dbRole`, sorted.
async fn entries<C: ConnectionTrait>(db: &C, id: &str, filter: &str) -> Vec<String> {
    let sql = format!(
        r#"SELECT action || '|' || coalesce("actorId"::text, '') || '|' || "dbRole"
             FROM audit_logs WHERE "targetId" = '{id}' AND {filter} ORDER BY 1"#
    );
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("read the audit trail")
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("text"))
        .collect()
}

#[tokio::test]
async fn every_health_and_finance_write_adds_an_audit_entry() {
    let seeded = Seeded::new("security_audit_rows").await;
    for table in seeded
        .tables
        .iter()
        .filter(|t| !t.name.starts_with("public."))
    {
        audit_update_delete_insert(&seeded, &table.name).await;
    }
}

/// Updates, deletes and inserts back one of user one's rows of `name` as `app_user`, then
/// reads the three entries back as the owner, in the same transaction, which is rolled back
/// so that the cascades of one table's delete do not empty the next table.
async fn audit_update_delete_insert(seeded: &Seeded, name: &str) {
    let db = &seeded.test.db;
    let sql = format!(
        r#"SELECT id::text FROM {name} WHERE "userId" = '{}' LIMIT 1"#,
        seeded.one
    );
    let id = query_strings(db, &sql).await.remove(0);
    let sql = format!("SELECT to_jsonb(t)::text FROM {name} t WHERE id = '{id}'");
    let row = query_strings(db, &sql).await.remove(0).replace('\'', "''");
    let txn = acting(db, "app_user", &Setting::User(seeded.one.clone())).await;
    for sql in [
        format!(
            r#"UPDATE {name} SET "createdAt" = "createdAt" + interval '1 second' WHERE id = '{id}'"#
        ),
        format!("DELETE FROM {name} WHERE id = '{id}'"),
        format!("INSERT INTO {name} SELECT * FROM jsonb_populate_record(NULL::{name}, '{row}')"),
    ] {
        txn.execute_unprepared(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    txn.execute_unprepared("RESET ROLE")
        .await
        .expect("reset role");
    let found = entries(&txn, &id, r#""dbRole" = 'app_user'"#).await;
    let expected: Vec<String> = ["delete", "insert", "update"]
        .iter()
        .map(|op| format!("{op} {name}|{}|app_user", seeded.one))
        .collect();
    assert_eq!(found, expected, "{name}");
    // Entries name the table, the operation, the owner and the changed columns: no values,
    // so no medical or financial text.
    let other_keys = entries(
        &txn,
        &id,
        "details - 'table' - 'op' - 'ownerId' - 'columns' <> '{}'",
    )
    .await;
    assert!(other_keys.is_empty(), "{name}: {other_keys:?}");
    txn.rollback().await.expect("rollback");
}

#[tokio::test]
async fn a_role_change_is_audited_and_app_user_cannot_make_one() {
    let seeded = Seeded::new("security_audit_role").await;
    let db = &seeded.test.db;
    let one = Setting::User(seeded.one.clone());
    let promote = format!(
        "UPDATE users SET role = 'ADMIN' WHERE id = '{}'",
        seeded.one
    );
    let refused = attempt(db, "app_user", &one, &promote).await;
    assert!(
        matches!(&refused, Err(e) if e.contains("permission denied")),
        "{refused:?}"
    );
    let txn = acting(db, "app_admin", &Setting::Unset).await;
    txn.execute_unprepared(&promote)
        .await
        .expect("admin promotes");
    txn.commit().await.expect("commit");
    let found = entries(db, &seeded.one, r#""adminId" IS NULL"#).await;
    assert_eq!(found, ["update public.users role||app_admin"]);
    let details = query_strings(
        db,
        &format!(
            r#"SELECT (details->>'fromRole') || '>' || (details->>'toRole') FROM audit_logs
             WHERE "targetId" = '{}' AND action LIKE 'update %'"#,
            seeded.one
        ),
    )
    .await;
    assert_eq!(details, ["USER>ADMIN"]);
}

#[tokio::test]
async fn an_mcp_token_write_is_audited_without_the_token() {
    let seeded = Seeded::new("security_audit_token").await;
    let db = &seeded.test.db;
    let id = query_strings(
        db,
        &format!(
            r#"SELECT id::text FROM mcp_integrations WHERE "userId" = '{}' LIMIT 1"#,
            seeded.one
        ),
    )
    .await
    .remove(0);
    // A sealed token, as the database accepts only envelopes; its hex is what a bytea value
    // would look like in the trail's JSON.
    let envelope = entity::sealed::seal_token(
        &entity::sealed::Keyring::dev(),
        &entity::sealed::ACCESS_TOKEN,
        "gho_auditedToken",
    );
    let secret: String = envelope.iter().map(|b| format!("{b:02x}")).collect();
    let txn = acting(db, "app_user", &Setting::User(seeded.one.clone())).await;
    txn.execute_unprepared(&format!(
        r#"UPDATE mcp_integrations SET "accessTokenEncrypted" = '\x{secret}' WHERE id = '{id}'"#
    ))
    .await
    .expect("token write");
    txn.commit().await.expect("commit");
    let who = format!(
        "update public.mcp_integrations tokens|{}|app_user",
        seeded.one
    );
    assert_eq!(entries(db, &id, "action LIKE 'update %'").await, [who]);
    let trail = query_strings(db, "SELECT to_jsonb(a)::text FROM audit_logs a")
        .await
        .join("\n");
    let text = String::from_utf8(envelope).expect("an envelope is text");
    assert!(
        !trail.contains(&secret) && !trail.contains(&text),
        "the token is in the audit trail"
    );
    let columns = query_strings(db, &format!(
        r#"SELECT details->>'columns' FROM audit_logs WHERE "targetId" = '{id}' AND action LIKE 'update %'"#
    ))
    .await;
    assert_eq!(columns, [r#"["accessTokenEncrypted", "updatedAt"]"#]);
}

#[tokio::test]
async fn nobody_rewrites_the_audit_trail() {
    let seeded = Seeded::new("security_audit_append_only").await;
    let db = &seeded.test.db;
    let one = Setting::User(seeded.one.clone());
    for (role, setting) in [("app_user", &one), ("app_admin", &Setting::Unset)] {
        for sql in [
            "UPDATE audit_logs SET action = 'nothing'",
            "DELETE FROM audit_logs",
        ] {
            let result = attempt(db, role, setting, sql).await;
            assert!(
                matches!(&result, Err(e) if e.contains("permission denied")),
                "{role}: {sql}: {result:?}"
            );
        }
    }
    let read = attempt(db, "app_user", &one, "SELECT 1 FROM audit_logs").await;
    assert!(read.is_err(), "app_user reads the audit trail: {read:?}");
}
