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
    db.execute_unprepared(
        r#"INSERT INTO verification_tokens (identifier, token, expires)
           VALUES ('someone@example.com', 'verify-secret', CURRENT_TIMESTAMP + interval '1 hour');
           INSERT INTO invitations (email, token, role, "invitedBy", "expiresAt")
           SELECT 'guest@example.com', 'invite-secret', 'USER', id, CURRENT_TIMESTAMP + interval '1 day'
             FROM users WHERE email = 'user1@example.com'"#,
    )
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

#[tokio::test]
async fn app_admin_still_lists_extends_revokes_and_invites_and_checks_a_given_token() {
    let seeded = Seeded::new("security_tokens_admin_work").await;
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
    let admin = Setting::Unset;
    // The seeded sessions have expired; the user's is renewed, as signing in would.
    db.execute_unprepared(&format!(
        r#"UPDATE auth_sessions SET expires = CURRENT_TIMESTAMP + interval '1 day'
            WHERE "sessionToken" = '{token}'"#
    ))
    .await
    .expect("renew the session");
    // Every session listed without its token: who, until when.
    let listed = read_as(
        db,
        "app_admin",
        &admin,
        r#"SELECT count(*)::text FROM (SELECT id, "userId", expires FROM auth_sessions) s"#,
    )
    .await;
    let all = crate::count(db, "SELECT count(*) FROM auth_sessions").await;
    assert_eq!(listed, Ok(vec![all.to_string()]), "list the sessions");
    // The application resolves the cookie it was given, as app_user before it knows the user
    // and as app_admin; a wrong token resolves to nobody.
    let resolve = format!("SELECT coalesce(public.app_session_user('{token}')::text, 'none')");
    for role in ["app_user", "app_admin"] {
        let user = read_as(db, role, &Setting::Unset, &resolve).await;
        assert_eq!(user, Ok(vec![seeded.one.clone()]), "{role} resolves a session");
    }
    let expired = query_strings(
        db,
        &format!(
            r#"SELECT "sessionToken" FROM auth_sessions WHERE "userId" <> '{}' LIMIT 1"#,
            seeded.one
        ),
    )
    .await
    .remove(0);
    for given in ["not-a-token", expired.as_str()] {
        let sql = format!("SELECT coalesce(public.app_session_user('{given}')::text, 'none')");
        let nobody = read_as(db, "app_user", &Setting::Unset, &sql).await;
        assert_eq!(nobody, Ok(vec!["none".to_owned()]), "{given}");
    }
    let work = [
        // Extend, then revoke, one user's sessions.
        format!(
            r#"UPDATE auth_sessions SET expires = expires + interval '1 day' WHERE "userId" = '{}'"#,
            seeded.one
        ),
        format!(r#"DELETE FROM auth_sessions WHERE "userId" = '{}'"#, seeded.one),
        // Invite someone (the service makes and mails the token; it writes it, never reads it
        // back), list and cancel invitations, purge expired verification tokens.
        r#"INSERT INTO invitations (email, token, role, "invitedBy", "expiresAt")
           SELECT 'guest@example.com', 'invite-secret', 'USER', id, CURRENT_TIMESTAMP + interval '1 day'
             FROM users WHERE email = 'user1@example.com'"#
            .to_owned(),
        r#"UPDATE invitations SET status = 'CANCELLED' WHERE email = 'nobody@example.com'"#.to_owned(),
        "DELETE FROM verification_tokens WHERE expires < CURRENT_TIMESTAMP".to_owned(),
        r#"INSERT INTO verification_tokens (identifier, token, expires)
           VALUES ('someone@example.com', 'verify-secret', CURRENT_TIMESTAMP + interval '1 hour')"#
            .to_owned(),
    ];
    for sql in &work {
        let result = attempt(db, "app_admin", &admin, sql).await;
        assert!(result.is_ok(), "app_admin: {sql}: {result:?}");
    }
    let listed = read_as(
        db,
        "app_admin",
        &admin,
        r#"SELECT count(*)::text FROM (SELECT id, email, role, status, "invitedBy", "expiresAt",
                  "acceptedAt", "createdAt" FROM invitations) i"#,
    )
    .await;
    assert!(listed.is_ok(), "list the invitations: {listed:?}");
    // A token handed in by its holder is checked without reading any other: the invitation it
    // opens, and a verification token used once.
    db.execute_unprepared(
        r#"INSERT INTO verification_tokens (identifier, token, expires)
           VALUES ('someone@example.com', 'verify-secret', CURRENT_TIMESTAMP + interval '1 hour');
           INSERT INTO invitations (email, token, role, "invitedBy", "expiresAt")
           SELECT 'guest@example.com', 'invite-secret', 'USER', id, CURRENT_TIMESTAMP + interval '1 day'
             FROM users WHERE email = 'user1@example.com'"#,
    )
    .await;
    let invitation = read_as(
        db,
        "app_admin",
        &admin,
        "SELECT (public.app_invitation_id('invite-secret') = i.id)::text FROM invitations i WHERE email = 'guest@example.com'",
    )
    .await;
    assert_eq!(invitation, Ok(vec!["true".to_owned()]));
    let use_token =
        "SELECT public.app_use_verification_token('someone@example.com', 'verify-secret')::text";
    let txn = acting(db, "app_admin", &admin).await;
    let mut answers = Vec::new();
    for _ in 0..2 {
        let row = txn
            .query_one_raw(Statement::from_string(txn.get_database_backend(), use_token))
            .await
            .expect("use the verification token")
            .expect("a row");
        answers.push(row.try_get_by_index::<String>(0).expect("text"));
    }
    txn.rollback().await.expect("rollback");
    assert_eq!(answers, ["true", "false"], "a verification token is used once");
}
