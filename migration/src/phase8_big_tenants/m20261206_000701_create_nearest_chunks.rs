//! Phase 8: `nearest_chunks(owner, query, k)`, the RAG retrieval of one user's chunks that
//! stays fast for the largest tenants: exact for a user with few chunks, through the HNSW
//! index with pgvector's iterative scan for a user with many.
//!
//! Exact retrieval compares every chunk of the user's documents: 1.0 recall, and under a
//! millisecond for the few chunks most users have, but its cost grows with the user's chunks
//! (each 6 KB vector is read from TOAST), half a second for a tenant with 50,000. The HNSW
//! index over every user's chunks finds a large tenant's neighbours quickly, because a large
//! tenant owns a large share of the graph, and pgvector 0.8's iterative scan goes on reading
//! the graph until the user's rows fill the page; for a small user the same scan would read
//! on the order of the whole graph. So the function reads the user's chunk count (the
//! documents' `chunkCount`, kept by phase 5's counters) and takes the exact path up to
//! [`THRESHOLD`] chunks, the index above it. docs/search.md gives the measurements.
//!
//! The index path is its own function because it needs settings for its one statement only:
//! the iterative scan (`relaxed_order`, re-sorted by distance at the end, as pgvector
//! advises), a wider `hnsw.ef_search`, and sorting off so that the planner orders the rows by
//! the index, whatever it guesses of the user's size; a function's `SET` clauses hold for its
//! own execution and are restored after. Both run with the caller's rights, so row-level
//! security applies to them as to any query of `app_user`; the search path is pinned so that
//! the distance operator and the vector type resolve to pgvector's whatever the caller's.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The chunk count above which a user's chunks are searched through the index.
const THRESHOLD: u32 = 1_000;

/// `hnsw.ef_search` of the index path: candidates kept per step of the graph search.
const EF_SEARCH: u32 = 200;

fn by_index() -> String {
    format!(
        r#"
CREATE FUNCTION public.nearest_chunks_by_index(owner uuid, query vector, k integer)
RETURNS TABLE ("id" uuid, "documentId" uuid)
LANGUAGE sql STABLE ROWS 10
SET search_path = pg_catalog, public
SET hnsw.iterative_scan = 'relaxed_order'
SET hnsw.ef_search = '{EF_SEARCH}'
SET enable_sort = 'off'
AS $fn$
  WITH nearest AS MATERIALIZED (
    SELECT c."id", c."documentId", c."embedding" <=> query AS distance
      FROM public.rag_chunks c
      JOIN public.rag_documents d ON d."id" = c."documentId"
     WHERE d."userId" = owner
     ORDER BY c."embedding" <=> query
     LIMIT k
  )
  SELECT n."id", n."documentId" FROM nearest n ORDER BY n.distance
$fn$"#
    )
}

/// The application's query: the exact path wraps the distance (`+ 0`) so that no index can
/// order it and every chunk of the user's documents is compared.
fn nearest() -> String {
    format!(
        r#"
CREATE FUNCTION public.nearest_chunks(owner uuid, query vector, k integer DEFAULT 10)
RETURNS TABLE ("id" uuid, "documentId" uuid)
LANGUAGE plpgsql STABLE ROWS 10
SET search_path = pg_catalog, public AS $fn$
BEGIN
  IF (SELECT coalesce(sum(d."chunkCount"), 0) FROM public.rag_documents d
       WHERE d."userId" = owner) <= {THRESHOLD} THEN
    RETURN QUERY
      SELECT c."id", c."documentId" FROM public.rag_chunks c
        JOIN public.rag_documents d ON d."id" = c."documentId"
       WHERE d."userId" = owner
       ORDER BY (c."embedding" <=> query) + 0
       LIMIT k;
  ELSE
    RETURN QUERY SELECT * FROM public.nearest_chunks_by_index(owner, query, k);
  END IF;
END
$fn$"#
    )
}

const GRANTS: &str = r#"
GRANT EXECUTE ON FUNCTION public.nearest_chunks(uuid, vector, integer),
                          public.nearest_chunks_by_index(uuid, vector, integer)
   TO app_user, app_admin"#;

/// Runs in one transaction with its records: all of it applies, or none.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&by_index()).await?;
        db.execute_unprepared(&nearest()).await?;
        db.execute_unprepared(GRANTS).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DROP FUNCTION public.nearest_chunks(uuid, vector, integer);
                 DROP FUNCTION public.nearest_chunks_by_index(uuid, vector, integer)",
            )
            .await?;
        Ok(())
    }
}
