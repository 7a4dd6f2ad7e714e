//! Sign-in secrets kept from `app_admin`: the session, verification and invitation tokens are
//! bearer credentials, so whoever reads one can act as its user. `app_admin` keeps every
//! other column of those rows (to list, extend, revoke and invite) and checks a token it is
//! given through functions that answer for that one token only.

use sea_orm::{ConnectionTrait, Statement};

use super::{Seeded, Setting, acting, attempt, read_as};
use crate::query_strings;

/// The token columns `app_admin` may not read: (table, column).
const TOKENS: &[(&str, &str)] = &[
    ("public.auth_sessions", "sessionToken"),
    ("public.verification_tokens", "token"),
    ("public.invitations", "token"),
];

#[tokio::test]
async fn app_admin_cannot_read_session_verification_or_invitation_tokens() {
    let seeded = Seeded::new("security_tokens_hidden").await;
    let db = &seeded.test.db;
    db.execute_unprepared(TOKENS_GIVEN)
        .await
        .expect("a verification token and an invitation");
    let mut failures = Vec::new();
    for (table, column) in TOKENS {
        let rows = crate::count(db, &format!("SELECT count(*) FROM {table}")).await;
        if rows == 0 {
            failures.push(format!("{table}: no row to hide"));
        }
        // Read directly, through the whole row, by probing with WHERE, and through RETURNING.
        for sql in [
            format!(r#"SELECT "{column}"::text FROM {table}"#),
            format!("SELECT to_jsonb(t)::text FROM {table} t"),
            format!(r#"SELECT count(*)::text FROM {table} WHERE "{column}" LIKE 'a%'"#),
            format!(r#"SELECT t::text FROM {table} t"#),
        ] {
            let seen = read_as(db, "app_admin", &Setting::Unset, &sql).await;
            if !matches!(&seen, Err(e) if e.contains("permission denied")) {
                failures.push(format!("app_admin: {sql}: {seen:?}"));
            }
        }
        let expiry = if *table == "public.invitations" {
            "expiresAt"
        } else {
            "expires"
        };
        let returning =
            format!(r#"UPDATE {table} SET "{expiry}" = "{expiry}" RETURNING "{column}""#);
        let result = attempt(db, "app_admin", &Setting::Unset, &returning).await;
        if !matches!(&result, Err(e) if e.contains("permission denied")) {
            failures.push(format!("app_admin: {returning}: {result:?}"));
        }
        let sql = format!(
            "SELECT has_column_privilege('app_admin', '{table}', '{column}', 'SELECT')::text"
        );
        if query_strings(db, &sql).await != ["false"] {
            failures.push(format!("app_admin holds SELECT on {table}.{column}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A verification token and an invitation whose tokens the tests know.
const TOKENS_GIVEN: &str = r#"
INSERT INTO verification_tokens (identifier, token, expires)
VALUES ('someone@example.com', 'verify-secret', CURRENT_TIMESTAMP + interval '1 hour');
INSERT INTO invitations (email, token, role, "invitedBy", "expiresAt")
SELECT 'guest@example.com', 'invite-secret', 'USER', id, CURRENT_TIMESTAMP + interval '1 day'
  FROM users WHERE email = 'user1@example.com'"#;

#[tokio::test]
async fn app_admin_still_lists_extends_revokes_and_invites() {
    let seeded = Seeded::new("security_tokens_admin_work").await;
    let db = &seeded.test.db;
    let admin = Setting::Unset;
    let one = &seeded.one;
    let listings = [
        // Every session without its token: who, until when; every invitation without its.
        r#"SELECT count(*)::text FROM (SELECT id, "userId", expires FROM auth_sessions) s"#,
        r#"SELECT count(*)::text FROM (SELECT id, email, role, status, "invitedBy", "expiresAt",
             "acceptedAt", "createdAt" FROM invitations) i"#,
        "SELECT count(*)::text FROM (SELECT identifier, expires FROM verification_tokens) v",
    ];
    for sql in listings {
        let listed = read_as(db, "app_admin", &admin, sql).await;
        assert!(matches!(&listed, Ok(n) if n[0] != "0"), "{sql}: {listed:?}");
    }
    let work = [
        // Extend, then end, one user's sessions.
        format!(
            r#"UPDATE auth_sessions SET expires = expires + interval '1 day' WHERE "userId" = '{one}'"#
        ),
        format!(r#"DELETE FROM auth_sessions WHERE "userId" = '{one}'"#),
        // Invite someone and add a verification token (the service makes and mails the token:
        // it writes it, never reads it back), cancel invitations, purge expired tokens.
        TOKENS_GIVEN.to_owned(),
        r#"UPDATE invitations SET status = 'CANCELLED' WHERE email = 'guest@example.com'"#
            .to_owned(),
        "DELETE FROM verification_tokens WHERE expires < CURRENT_TIMESTAMP".to_owned(),
    ];
    for sql in &work {
        let result = attempt(db, "app_admin", &admin, sql).await;
        assert!(result.is_ok(), "app_admin: {sql}: {result:?}");
    }
}

/// `SELECT` of `sql`'s one text value, twice in one transaction acting as `app_admin`.
async fn twice_as_admin(db: &sea_orm::DatabaseConnection, sql: &str) -> Vec<String> {
    let txn = acting(db, "app_admin", &Setting::Unset).await;
    let mut answers = Vec::new();
    for _ in 0..2 {
        let row = txn
            .query_one_raw(Statement::from_string(txn.get_database_backend(), sql))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .expect("a row");
        answers.push(row.try_get_by_index::<String>(0).expect("text"));
    }
    txn.rollback().await.expect("rollback");
    answers
}

#[tokio::test]
async fn a_token_handed_in_is_checked_without_reading_any_other() {
    let seeded = Seeded::new("security_tokens_lookup").await;
    let db = &seeded.test.db;
    let token = query_strings(
        db,
        &format!(
            r#"SELECT "sessionToken" FROM auth_sessions WHERE "userId" = '{}' LIMIT 1"#,
            seeded.one
        ),
    )
    .await
    .remove(0);
    // The seeded sessions have expired; user one's is renewed, as signing in would. Then the
    // application resolves the cookie it was given, as app_user before it knows the user and
    // as app_admin; an unknown or expired token resolves to nobody.
    let renew = format!(
        r#"UPDATE auth_sessions SET expires = CURRENT_TIMESTAMP + interval '1 day'
            WHERE "sessionToken" = '{token}'; {TOKENS_GIVEN}"#
    );
    db.execute_unprepared(&renew).await.expect("renew, invite");
    let expired = query_strings(
        db,
        r#"SELECT "sessionToken" FROM auth_sessions WHERE expires < CURRENT_TIMESTAMP LIMIT 1"#,
    )
    .await
    .remove(0);
    let cases = [
        ("app_user", token.as_str(), seeded.one.as_str()),
        ("app_admin", token.as_str(), seeded.one.as_str()),
        ("app_user", "not-a-token", "none"),
        ("app_user", expired.as_str(), "none"),
    ];
    for (role, given, user) in cases {
        let sql = format!("SELECT coalesce(public.app_session_user('{given}')::text, 'none')");
        let found = read_as(db, role, &Setting::Unset, &sql).await;
        assert_eq!(found, Ok(vec![user.to_owned()]), "{role} resolves {given}");
    }
    let invitation = read_as(
        db,
        "app_admin",
        &Setting::Unset,
        "SELECT (public.app_invitation_id('invite-secret') = i.id)::text FROM invitations i
          WHERE email = 'guest@example.com'",
    )
    .await;
    assert_eq!(invitation, Ok(vec!["true".to_owned()]));
    let used = twice_as_admin(
        db,
        "SELECT public.app_use_verification_token('someone@example.com', 'verify-secret')::text",
    )
    .await;
    assert_eq!(used, ["true", "false"], "a verification token is used once");
}
