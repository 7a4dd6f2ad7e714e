//! Phase 5: `rag_documents."chunkCount"` kept equal to the number of the document's chunks
//! under insert, moves to another document, delete and truncate of chunks, and a document's
//! creation or key change. Until now nothing kept it: it held whatever the writer put there.

use sea_orm_migration::prelude::*;

use super::{create_statement_triggers, drop_statement_triggers};

#[derive(DeriveMigrationName)]
pub struct Migration;

// The conversation counters' design (see m20261130_000401): one signed delta per document
// and statement, every touched document locked first in one statement ordered by id, then one
// UPDATE. Per statement matters here: ingestion writes a document's chunks in bulk, and one
// UPDATE per statement replaces one per chunk.
pub(super) const COUNT_DOCUMENT_CHUNKS: &str = r#"
CREATE FUNCTION public.count_document_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
  chunks bigint[];
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE public.rag_documents SET "chunkCount" = 0 WHERE "chunkCount" <> 0;
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(d ORDER BY d), array_agg(n ORDER BY d) INTO ids, chunks
      FROM (SELECT "documentId" AS d, count(*) AS n FROM new_rows GROUP BY 1) s;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(d ORDER BY d), array_agg(-n ORDER BY d) INTO ids, chunks
      FROM (SELECT "documentId" AS d, count(*) AS n FROM old_rows GROUP BY 1) s;
  ELSE
    SELECT array_agg(d ORDER BY d), array_agg(n ORDER BY d) INTO ids, chunks
      FROM (SELECT d, sum(n)::bigint AS n
              FROM (SELECT "documentId" AS d, -1 AS n FROM old_rows
                    UNION ALL
                    SELECT "documentId", 1 FROM new_rows) c
             GROUP BY d HAVING sum(n) <> 0) s;
  END IF;
  IF ids IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM 1 FROM public.rag_documents WHERE id = ANY (ids) ORDER BY id FOR NO KEY UPDATE;
  UPDATE public.rag_documents r SET "chunkCount" = r."chunkCount" + d.n
    FROM unnest(ids, chunks) AS d(id, n)
   WHERE r.id = d.id;
  RETURN NULL;
END $$"#;

// A new document has no chunks yet, whatever count the INSERT wrote; on a key change the
// cascade moves its chunks and the chunks trigger counts them back in.
const RESET_DOCUMENT_CHUNK_COUNT: &str = r#"
CREATE FUNCTION public.reset_document_chunk_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.id IS NOT DISTINCT FROM OLD.id THEN
      RETURN NEW;
    END IF;
  END IF;
  NEW."chunkCount" := 0;
  RETURN NEW;
END $$"#;

const CHUNKS: &str = "public.rag_chunks";
const PREFIX: &str = "rag_chunks_count_document_chunks";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(COUNT_DOCUMENT_CHUNKS).await?;
        create_statement_triggers(manager, CHUNKS, PREFIX, "public.count_document_chunks").await?;
        db.execute_unprepared(RESET_DOCUMENT_CHUNK_COUNT).await?;
        db.execute_unprepared(
            r#"CREATE TRIGGER "rag_documents_reset_chunk_count"
               BEFORE INSERT OR UPDATE OF id ON public.rag_documents
               FOR EACH ROW EXECUTE FUNCTION public.reset_document_chunk_count()"#,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            r#"DROP TRIGGER IF EXISTS "rag_documents_reset_chunk_count" ON public.rag_documents"#,
        )
        .await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS public.reset_document_chunk_count()")
            .await?;
        drop_statement_triggers(manager, CHUNKS, PREFIX).await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS public.count_document_chunks()")
            .await?;
        Ok(())
    }
}
