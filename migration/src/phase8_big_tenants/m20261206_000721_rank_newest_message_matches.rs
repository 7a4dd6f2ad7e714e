//! Phase 8: `search_messages` ranks every match of the words when a user has at most 2,000,
//! and the newest 2,000 when the user has more, so that a common word costs a tenant of any
//! size about the same.
//!
//! Ranking reads every match: its row, then `ts_rank` over its words (about a microsecond a
//! match here), and the largest tenant holds a common word in some 16,000 messages, about 20
//! ms a page, growing with the tenant (docs/search.md gives the numbers). Now the search first
//! takes up to 2,001 matches from the words-and-owner index, in no order. With 2,000 or fewer
//! they are all the matches: it ranks them, exactly as before. With more, it walks the
//! user's messages from the newest through `messages_userId_timestamp_idx` (000720), tests
//! each for the words, stops at the 2,000th match and ranks those. The page changes only for
//! a user with more matches than that, where most share the same few ranks (a common word
//! once in a short message) and an old message can rank first only by holding the word more
//! often.
//!
//! Both paths are one statement; the second runs only when the first found too many (a
//! one-time filter on the count). Both functions plan it for each call's owner and words
//! (`plan_cache_mode = force_custom_plan`): a plan for any owner and words would estimate the
//! matches of neither, and could read a common word's every match where the newest 2,000
//! were asked for. `app_search_own_messages` becomes PL/pgSQL to read the session's user
//! once, before planning, for the same reason; it still takes no owner.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The most matches a search ranks: all of a user's matches up to this many, else the newest
/// this many.
const RANKED: u32 = 2000;

/// The search statement over the messages of `owner` (a PL/pgSQL variable), ranked, one page.
fn search(owner: &str) -> String {
    let words = "websearch_to_tsquery('spanish'::regconfig, words)";
    let over = RANKED + 1;
    format!(
        r#"WITH matches AS MATERIALIZED (
             SELECT m."id", m."conversationId", ts_rank(m."contentSearch", {words}) AS rank
               FROM public.messages m
              WHERE public.message_search_vector(m."contentSearch", m."userId")
                    @@ ({words} OPERATOR(pg_catalog.&&) public.message_owner_query({owner}))
                AND numnode({words}) > 0
              LIMIT {over}),
           newest AS (
             SELECT m."id", m."conversationId", ts_rank(m."contentSearch", {words}) AS rank
               FROM public.messages m
              WHERE (SELECT count(*) FROM matches) > {RANKED}
                AND m."userId" = {owner} AND m."contentSearch" @@ {words}
              ORDER BY m."timestamp" DESC LIMIT {RANKED})
    SELECT c."id", c."conversationId", c.rank
      FROM (SELECT * FROM matches WHERE (SELECT count(*) FROM matches) <= {RANKED}
            UNION ALL
            SELECT * FROM newest) c
     ORDER BY 3 DESC, 1 LIMIT page_size OFFSET skip"#
    )
}

fn functions() -> String {
    format!(
        r#"
CREATE OR REPLACE FUNCTION public.app_search_own_messages(words text, page_size integer,
                                                          skip integer)
RETURNS TABLE ("id" uuid, "conversationId" uuid, rank real)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_custom_plan AS $fn$
DECLARE
  me uuid := public.app_current_user_id();
BEGIN
  RETURN QUERY {own};
END
$fn$;
CREATE OR REPLACE FUNCTION public.search_messages(owner uuid, words text,
                                                  page_size integer DEFAULT 20,
                                                  skip integer DEFAULT 0)
RETURNS TABLE ("id" uuid, "conversationId" uuid, rank real)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_custom_plan AS $fn$
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
        own = search("me"),
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

    /// Back to 000719's functions, which rank every match: dropped and created again, since
    /// `CREATE OR REPLACE` keeps the settings the functions have now.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "DROP FUNCTION IF EXISTS public.search_messages(uuid, text, integer, integer);
             DROP FUNCTION IF EXISTS public.app_search_own_messages(text, integer, integer);",
        )
        .await?;
        db.execute_unprepared(&super::m20261206_000719_create_search_messages::functions())
            .await?;
        Ok(())
    }
}
