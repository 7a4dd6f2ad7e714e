//! Phase 6, the hot paths: the indexes the platform's most frequent reads need and full-text
//! search over messages, all added to tables that are already large, without blocking writers.
//!
//! Every index here is built with `CREATE INDEX CONCURRENTLY` (`crate::online`), so each
//! migration that builds or drops one runs outside a transaction; each is written to be run
//! again after an interruption: an INVALID leftover is replaced, an existing valid index kept.

use sea_orm_migration::prelude::*;

use crate::online::OnlineIndex;

mod m20261201_000501_create_messages_keyset_index;
mod m20261201_000502_drop_messages_conversation_index;
mod m20261201_000503_replace_conversations_session_index;
mod m20261201_000504_create_users_permissions_index;
mod m20261201_000505_create_users_active_role_index;
mod m20261201_000506_add_messages_content_search;
mod m20261201_000507_fill_messages_content_search;
mod m20261201_000508_create_messages_content_search_index;

/// The phase's migrations in the order they must run: the keyset index before the index it
/// makes redundant is dropped, the search column before its backfill, the backfill before
/// the index over the filled column (building it first would index every row twice).
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261201_000501_create_messages_keyset_index::Migration),
        Box::new(m20261201_000502_drop_messages_conversation_index::Migration),
        Box::new(m20261201_000503_replace_conversations_session_index::Migration),
        Box::new(m20261201_000504_create_users_permissions_index::Migration),
        Box::new(m20261201_000505_create_users_active_role_index::Migration),
        Box::new(m20261201_000506_add_messages_content_search::Migration),
        Box::new(m20261201_000507_fill_messages_content_search::Migration),
        Box::new(m20261201_000508_create_messages_content_search_index::Migration),
    ]
}

/// A plain B-tree index of `public.table` on `columns`, built online.
const fn btree<'a>(name: &'a str, table: &'a str, columns: &'a [&'a str]) -> OnlineIndex<'a> {
    OnlineIndex::new(name, "public", table, columns)
}
