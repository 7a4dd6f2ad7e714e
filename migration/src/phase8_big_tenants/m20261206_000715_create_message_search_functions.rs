//! Phase 8: the search vector of a message with its owner in it, and the query for an owner,
//! so that one GIN index finds one user's messages holding a word.
//!
//! `message_search_vector("contentSearch", "userId")` is the message's words plus one
//! lexeme naming its owner, `'owner <uuid>'`; `message_owner_query(owner)` is the tsquery of
//! that lexeme. `words && message_owner_query(owner)` then asks the index for the owner's
//! messages holding the words: GIN intersects the two posting lists and skips through the
//! longer one, so a user's search costs its matches, not its messages nor the word's matches
//! among everyone's. A two-column GIN index on (`"userId"`, `"contentSearch"`) would say it
//! more plainly but needs `btree_gin`, which the embedded server does not ship.
//!
//! The owner lexeme holds a space, which the text-search parser never leaves in a lexeme: no
//! message's words and no typed query can produce it, so a message cannot claim another
//! user's owner lexeme by quoting it. Both functions are IMMUTABLE (an index expression must
//! be) and plain SQL with every name qualified, so they mean the same under any search path
//! and the planner inlines them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const FUNCTIONS: &str = r#"
CREATE FUNCTION public.message_search_vector(content tsvector, owner uuid) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT pg_catalog.tsvector_concat(
           coalesce(content, ''::pg_catalog.tsvector),
           pg_catalog.array_to_tsvector(pg_catalog.array_remove(
             ARRAY['owner ' OPERATOR(pg_catalog.||) owner::pg_catalog.text], NULL)))
$fn$;
CREATE FUNCTION public.message_owner_query(owner uuid) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT pg_catalog.quote_literal('owner ' OPERATOR(pg_catalog.||) owner::pg_catalog.text)::pg_catalog.tsquery
$fn$;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(FUNCTIONS)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DROP FUNCTION IF EXISTS public.message_owner_query(uuid);
                 DROP FUNCTION IF EXISTS public.message_search_vector(tsvector, uuid);",
            )
            .await?;
        Ok(())
    }
}
