//! Phase 7: `app_admin` no longer reads the sign-in secrets: `auth_sessions."sessionToken"`,
//! `verification_tokens.token` and `invitations.token`. Each is a bearer credential, so a
//! staff member (or anyone holding an admin session) who reads one can act as its user.
//!
//! Column grants, not digests: hashing the tokens in place could not be undone by `down`, and
//! it changes how every service writes and looks tokens up in the same deploy. `app_admin`
//! keeps every other column (to list, extend and end sessions, to invite, cancel and purge),
//! and may still write a token, which it makes; it cannot read one back, nor name one in a
//! WHERE or a RETURNING. A token that its holder hands in is checked through a function that
//! answers for that token alone, run as its owner: which session's user it is, which
//! invitation it opens, whether a verification token was valid (using it up).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, the columns `app_admin` still reads): every column but the token.
const HIDDEN: &[(&str, &str)] = &[
    ("auth_sessions", r#"id, "userId", expires"#),
    ("verification_tokens", "identifier, expires"),
    (
        "invitations",
        r#"id, email, role, status, "invitedBy", "expiresAt", "acceptedAt", "createdAt""#,
    ),
];

/// The user of the unexpired session holding exactly `given_token`, or NULL: what the
/// application needs to start acting for a browser's cookie, before it knows the user.
const SESSION_USER: &str = r#"
CREATE FUNCTION public.app_session_user(given_token text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT s."userId" FROM public.auth_sessions s
   WHERE s."sessionToken" = given_token AND s.expires > CURRENT_TIMESTAMP
$$"#;

/// The invitation `given_token` opens, or NULL; its status and expiry are readable columns.
const INVITATION_ID: &str = r#"
CREATE FUNCTION public.app_invitation_id(given_token text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT i.id FROM public.invitations i WHERE i.token = given_token
$$"#;

/// Uses up the verification token: deleted, and true when it existed for `for_identifier` and
/// had not expired. A token is good once.
const USE_VERIFICATION_TOKEN: &str = r#"
CREATE FUNCTION public.app_use_verification_token(for_identifier text, given_token text)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  WITH used AS (
    DELETE FROM public.verification_tokens v
     WHERE v.identifier = for_identifier AND v.token = given_token
    RETURNING v.expires
  )
  SELECT coalesce((SELECT expires > CURRENT_TIMESTAMP FROM used), false)
$$"#;

/// Each function with the roles that may call it: the session lookup is the application's
/// too (`app_user` before it knows the user); the sign-up checks are the admin side's.
const FUNCTIONS: &[(&str, &str, &str)] = &[
    (
        SESSION_USER,
        "public.app_session_user(text)",
        "app_user, app_admin",
    ),
    (INVITATION_ID, "public.app_invitation_id(text)", "app_admin"),
    (
        USE_VERIFICATION_TOKEN,
        "public.app_use_verification_token(text, text)",
        "app_admin",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (table, columns) in HIDDEN {
            db.execute_unprepared(&format!(
                "REVOKE SELECT ON public.{table} FROM app_admin;
                 GRANT SELECT ({columns}) ON public.{table} TO app_admin"
            ))
            .await?;
        }
        for (create, signature, roles) in FUNCTIONS {
            db.execute_unprepared(create).await?;
            db.execute_unprepared(&format!(
                "REVOKE ALL ON FUNCTION {signature} FROM PUBLIC;
                 GRANT EXECUTE ON FUNCTION {signature} TO {roles}"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (_, signature, _) in FUNCTIONS.iter().rev() {
            db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {signature}"))
                .await?;
        }
        for (table, columns) in HIDDEN.iter().rev() {
            db.execute_unprepared(&format!(
                "REVOKE SELECT ({columns}) ON public.{table} FROM app_admin;
                 GRANT SELECT ON public.{table} TO app_admin"
            ))
            .await?;
        }
        Ok(())
    }
}
