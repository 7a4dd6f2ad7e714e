//! Phase 8, big tenants: the hot paths that must hold for the largest users, not only the
//! average one: RAG retrieval (`nearest_chunks`, on a better-connected graph) and full-text
//! search of one user's messages through the owner kept on each message.

use sea_orm_migration::MigrationTrait;
mod m20261206_000701_create_nearest_chunks;
mod m20261206_000702_create_rag_chunks_embedding_hnsw_index;
mod m20261206_000703_drop_rag_chunks_embedding_index;
mod m20261206_000704_narrow_nearest_chunks_search;
mod m20261206_000711_add_messages_owner;
mod m20261206_000712_fill_messages_owner;
mod m20261206_000713_add_messages_owner_check;
mod m20261206_000714_require_messages_owner;
mod m20261206_000715_create_message_search_functions;
mod m20261206_000716_create_messages_search_index;
mod m20261206_000717_create_messages_owner_index;
mod m20261206_000718_read_messages_by_owner;
mod m20261206_000719_create_search_messages;
mod m20261206_000720_create_messages_owner_time_index;
mod m20261206_000721_rank_newest_message_matches;
mod m20261206_000722_drop_messages_owner_index;

/// The phase's migrations in the order they must run. RAG: the new graph before the old one
/// is dropped, so that the chunks are never without an index. Search: the owner column and its
/// trigger before the backfill, the backfill before the check that every row has an owner, the
/// functions before the index over them, built over filled rows; the policy once its index
/// exists; the owner-and-time index before the search that walks it, and the owner index
/// dropped only then, since the wider one serves its every use.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261206_000701_create_nearest_chunks::Migration),
        Box::new(m20261206_000702_create_rag_chunks_embedding_hnsw_index::Migration),
        Box::new(m20261206_000703_drop_rag_chunks_embedding_index::Migration),
        Box::new(m20261206_000704_narrow_nearest_chunks_search::Migration),
        Box::new(m20261206_000711_add_messages_owner::Migration),
        Box::new(m20261206_000712_fill_messages_owner::Migration),
        Box::new(m20261206_000713_add_messages_owner_check::Migration),
        Box::new(m20261206_000714_require_messages_owner::Migration),
        Box::new(m20261206_000715_create_message_search_functions::Migration),
        Box::new(m20261206_000716_create_messages_search_index::Migration),
        Box::new(m20261206_000717_create_messages_owner_index::Migration),
        Box::new(m20261206_000718_read_messages_by_owner::Migration),
        Box::new(m20261206_000719_create_search_messages::Migration),
        Box::new(m20261206_000720_create_messages_owner_time_index::Migration),
        Box::new(m20261206_000721_rank_newest_message_matches::Migration),
        Box::new(m20261206_000722_drop_messages_owner_index::Migration),
    ]
}
