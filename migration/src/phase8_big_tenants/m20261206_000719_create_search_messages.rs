//! Phase 8: `search_messages(owner, words, page_size, skip)`, the application's full-text
//! search of one user's messages, through the words-and-owner GIN index for every role.
//!
//! Under row-level security PostgreSQL uses as an index condition only the policy's own
//! conditions and the query's LEAKPROOF ones; the text match (`@@`) and the functions of the
//! index expression are not LEAKPROOF, so as `app_user` the search would read every message
//! of the user by `messages_userId_idx` and compute the index expression on each, linear in
//! the tenant's size (docs/search.md gives the numbers), where the index finds the matches.
//!
//! So the search goes, for a role under the owner policy (a member of `app_user` and not of
//! `app_admin`), through `app_search_own_messages`, which runs with its owner's rights and
//! searches the messages of `public.app_current_user_id()` only: what the messages policy
//! (m20261206_000718) shows that role and nothing else, as `app_shared_file_ids()` returns only
//! the shares addressed to that user. It takes no owner, so no argument can point it at
//! another user's messages; without the setting it finds nothing; `EXECUTE` is `app_user`'s
//! only. Every other role (the owner, `app_admin`, whose policy is `USING (true)`) runs the
//! same statement with its own rights, where its policies allow the index.
//! Both pin the search path so that no object a caller creates can stand in for the ones named.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The search statement over `owner`'s messages, ranked, one page.
fn search(owner: &str) -> String {
    format!(
        r#"SELECT m."id", m."conversationId", ts_rank(m."contentSearch", q.query) AS rank
      FROM public.messages m
     CROSS JOIN websearch_to_tsquery('spanish'::regconfig, words) AS q(query)
     WHERE public.message_search_vector(m."contentSearch", m."userId")
           @@ (q.query OPERATOR(pg_catalog.&&) public.message_owner_query({owner}))
       AND numnode(q.query) > 0
     ORDER BY 3 DESC, 1 LIMIT page_size OFFSET skip"#
    )
}

/// The functions as this migration creates them; 000721's `down` creates them again.
pub(super) fn functions() -> String {
    format!(
        r#"
CREATE FUNCTION public.app_search_own_messages(words text, page_size integer, skip integer)
RETURNS TABLE ("id" uuid, "conversationId" uuid, rank real)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
  {own}
$fn$;
REVOKE EXECUTE ON FUNCTION public.app_search_own_messages(text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.app_search_own_messages(text, integer, integer) TO app_user;
CREATE FUNCTION public.search_messages(owner uuid, words text, page_size integer DEFAULT 20,
                                       skip integer DEFAULT 0)
RETURNS TABLE ("id" uuid, "conversationId" uuid, rank real)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF row_security_active('public.messages'::regclass)
     AND pg_has_role('app_user', 'MEMBER') AND NOT pg_has_role('app_admin', 'MEMBER') THEN
    RETURN QUERY SELECT s."id", s."conversationId", s.rank
                   FROM public.app_search_own_messages(words, page_size, skip) s
                  WHERE owner = public.app_current_user_id();
  ELSE
    RETURN QUERY {any};
  END IF;
END
$fn$;
"#,
        own = search("public.app_current_user_id()"),
        any = search("owner"),
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&functions())
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DROP FUNCTION IF EXISTS public.search_messages(uuid, text, integer, integer);
                 DROP FUNCTION IF EXISTS public.app_search_own_messages(text, integer, integer);",
            )
            .await?;
        Ok(())
    }
}
