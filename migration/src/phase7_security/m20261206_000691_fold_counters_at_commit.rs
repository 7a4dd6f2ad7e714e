//! Phase 7: counters move at commit, all in one order, so unrelated writers never deadlock.
//!
//! Phase 5's triggers locked a statement's parent rows (conversations, documents, quotas) in
//! the writer's own statement, and held them to its commit. Each statement locked its parents
//! in order, but a transaction of two statements did not: one that moved a message and then a
//! file, beside one that moved a file and then a message, held a conversation and waited for a
//! quota while the other held the quota and waited for the conversation. Sixteen such writers
//! deadlocked 1,561 times in 19 minutes.
//!
//! Now a statement only records its net change per parent in `counter_deltas`, a table of this
//! transaction's own rows that no other transaction touches, and takes no lock on a parent.
//! At commit a deferred trigger folds the transaction's deltas into the counters: it locks
//! every parent it changes in one order for every transaction (conversations, documents, then
//! quotas, each by key), so two commits queue for each other and never wait in a circle.
//!
//! What a reader sees: every committed transaction's counters are exact, as before, since the
//! fold runs inside the transaction before it commits. Inside a writing transaction, its own
//! changes reach the counters at commit, or at once after `SET CONSTRAINTS
//! public.counter_deltas_fold IMMEDIATE` (which brings back statement-order locking for it).
//! The table is unlogged: its rows never outlive their transaction, so a crash loses nothing.

use sea_orm_migration::prelude::*;

use crate::phase5_counters::FUNCTIONS;

#[derive(DeriveMigrationName)]
pub struct Migration;

// The key is (transaction, counter, parent): a statement adds to its transaction's row for a
// parent, so a transaction holds one row per parent it changed, whatever its size. The row
// with counter '' is the transaction's marker: inserting it, once, queues the fold.
const CREATE_TABLE: &str = r#"
CREATE UNLOGGED TABLE public.counter_deltas (
  xact xid8 NOT NULL DEFAULT pg_current_xact_id(),
  counter text NOT NULL,
  key uuid NOT NULL,
  n bigint NOT NULL,
  m bigint NOT NULL,
  CONSTRAINT counter_deltas_pkey PRIMARY KEY (xact, counter, key)
)"#;

// Called by the counter triggers only, which run as the owner: no one else may execute it,
// or a caller could add deltas of its own choosing.
const DEFER: &str = r#"
CREATE FUNCTION public.defer_counter_deltas(counter text, keys uuid[], ns bigint[], ms bigint[])
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
  INSERT INTO public.counter_deltas AS d (counter, key, n, m)
  SELECT $1, u.k, u.n, coalesce(u.m, 0) FROM unnest($2, $3, $4) AS u(k, n, m)
  ON CONFLICT (xact, counter, key) DO UPDATE SET n = d.n + EXCLUDED.n, m = d.m + EXCLUDED.m;
  INSERT INTO public.counter_deltas (counter, key, n, m)
  VALUES ('', '00000000-0000-0000-0000-000000000000', 0, 0)
  ON CONFLICT (xact, counter, key) DO NOTHING;
$$"#;

// Takes the transaction's deltas and applies their sums, parents locked in one global order:
// conversations by id, then documents by id, then quotas by user. Parents deleted since match
// nothing, as a statement's UPDATE on them matched nothing before.
const FOLD: &str = r#"
CREATE FUNCTION public.fold_counter_deltas() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  counters text[];
  keys uuid[];
  ns bigint[];
  ms bigint[];
BEGIN
  WITH taken AS (
    DELETE FROM public.counter_deltas WHERE xact = pg_current_xact_id()
    RETURNING counter, key, n, m)
  SELECT array_agg(counter ORDER BY counter, key), array_agg(key ORDER BY counter, key),
         array_agg(n ORDER BY counter, key), array_agg(m ORDER BY counter, key)
    INTO counters, keys, ns, ms
    FROM taken WHERE counter <> '' AND (n <> 0 OR m <> 0);
  IF keys IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM 1 FROM public.conversations c JOIN unnest(counters, keys) AS d(counter, key)
      ON c.id = d.key AND d.counter = 'conversations'
    ORDER BY c.id FOR NO KEY UPDATE OF c;
  UPDATE public.conversations c
     SET "messageCount" = c."messageCount" + d.n, "tokenCount" = c."tokenCount" + d.m
    FROM unnest(counters, keys, ns, ms) AS d(counter, key, n, m)
   WHERE d.counter = 'conversations' AND c.id = d.key;
  PERFORM 1 FROM public.rag_documents r JOIN unnest(counters, keys) AS d(counter, key)
      ON r.id = d.key AND d.counter = 'rag_documents'
    ORDER BY r.id FOR NO KEY UPDATE OF r;
  UPDATE public.rag_documents r SET "chunkCount" = r."chunkCount" + d.n
    FROM unnest(counters, keys, ns, ms) AS d(counter, key, n, m)
   WHERE d.counter = 'rag_documents' AND r.id = d.key;
  PERFORM 1 FROM public.storage_quotas q JOIN unnest(counters, keys) AS d(counter, key)
      ON q."userId" = d.key AND d.counter = 'storage_quotas'
    ORDER BY q."userId" FOR NO KEY UPDATE OF q;
  UPDATE public.storage_quotas q
     SET "fileCount" = q."fileCount" + d.n, "usedStorage" = q."usedStorage" + d.m
    FROM unnest(counters, keys, ns, ms) AS d(counter, key, n, m)
   WHERE d.counter = 'storage_quotas' AND q."userId" = d.key;
  RETURN NULL;
END $$"#;

// A constraint trigger's WHEN is evaluated as the row is inserted, so only the marker queues
// an event: one fold per transaction (and per SET CONSTRAINTS ... IMMEDIATE after new writes).
const FOLD_TRIGGER: &str = r#"
CREATE CONSTRAINT TRIGGER counter_deltas_fold AFTER INSERT ON public.counter_deltas
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.counter = '')
EXECUTE FUNCTION public.fold_counter_deltas()"#;

// Phase 5's per-statement sums, unchanged; the statement now defers them instead of locking
// and updating the conversations. TRUNCATE still zeroes every counter at once (it holds the
// table exclusively, so no other writer has deltas pending) and drops this transaction's
// pending deltas, which counted messages that are gone.
const COUNT_CONVERSATION_MESSAGES: &str = r#"
CREATE OR REPLACE FUNCTION public.count_conversation_messages() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ids uuid[];
  messages bigint[];
  tokens bigint[];
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM public.counter_deltas
     WHERE xact = pg_current_xact_id() AND counter = 'conversations';
    UPDATE public.conversations SET "messageCount" = 0, "tokenCount" = 0
     WHERE "messageCount" <> 0 OR "tokenCount" <> 0;
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(c), array_agg(n), array_agg(t) INTO ids, messages, tokens
      FROM (SELECT "conversationId" AS c, count(*) AS n,
                   sum(coalesce("tokensInput", 0) + coalesce("tokensOutput", 0))::bigint AS t
              FROM new_rows GROUP BY 1) d;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(c), array_agg(-n), array_agg(-t) INTO ids, messages, tokens
      FROM (SELECT "conversationId" AS c, count(*) AS n,
                   sum(coalesce("tokensInput", 0) + coalesce("tokensOutput", 0))::bigint AS t
              FROM old_rows GROUP BY 1) d;
  ELSE
    SELECT array_agg(c), array_agg(n), array_agg(t) INTO ids, messages, tokens
      FROM (SELECT c, sum(n)::bigint AS n, sum(t)::bigint AS t
              FROM (SELECT "conversationId" AS c, -1 AS n,
                           -(coalesce("tokensInput", 0) + coalesce("tokensOutput", 0)) AS t
                      FROM old_rows
                    UNION ALL
                    SELECT "conversationId", 1,
                           coalesce("tokensInput", 0) + coalesce("tokensOutput", 0)
                      FROM new_rows) s
             GROUP BY c HAVING sum(n) <> 0 OR sum(t) <> 0) d;
  END IF;
  IF ids IS NOT NULL THEN
    PERFORM public.defer_counter_deltas('conversations', ids, messages, tokens);
  END IF;
  RETURN NULL;
END $$"#;

// The storage quotas' sums of phase 5: a file counts while "deletedAt" IS NULL.
const COUNT_STORAGE_QUOTA_USAGE: &str = r#"
CREATE OR REPLACE FUNCTION public.count_storage_quota_usage() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  users uuid[];
  sizes bigint[];
  files bigint[];
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM public.counter_deltas
     WHERE xact = pg_current_xact_id() AND counter = 'storage_quotas';
    UPDATE public.storage_quotas SET "usedStorage" = 0, "fileCount" = 0
     WHERE "usedStorage" <> 0 OR "fileCount" <> 0;
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(u), array_agg(s), array_agg(n) INTO users, sizes, files
      FROM (SELECT "userId" AS u, sum(size)::bigint AS s, count(*) AS n
              FROM new_rows WHERE "deletedAt" IS NULL GROUP BY 1) d;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(u), array_agg(-s), array_agg(-n) INTO users, sizes, files
      FROM (SELECT "userId" AS u, sum(size)::bigint AS s, count(*) AS n
              FROM old_rows WHERE "deletedAt" IS NULL GROUP BY 1) d;
  ELSE
    SELECT array_agg(u), array_agg(s), array_agg(n) INTO users, sizes, files
      FROM (SELECT u, sum(s)::bigint AS s, sum(n)::bigint AS n
              FROM (SELECT "userId" AS u, -size AS s, -1 AS n
                      FROM old_rows WHERE "deletedAt" IS NULL
                    UNION ALL
                    SELECT "userId", size, 1
                      FROM new_rows WHERE "deletedAt" IS NULL) c
             GROUP BY u HAVING sum(s) <> 0 OR sum(n) <> 0) d;
  END IF;
  IF users IS NOT NULL THEN
    PERFORM public.defer_counter_deltas('storage_quotas', users, files, sizes);
  END IF;
  RETURN NULL;
END $$"#;

// The documents' chunk counts of phase 5.
const COUNT_DOCUMENT_CHUNKS: &str = r#"
CREATE OR REPLACE FUNCTION public.count_document_chunks() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ids uuid[];
  chunks bigint[];
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM public.counter_deltas
     WHERE xact = pg_current_xact_id() AND counter = 'rag_documents';
    UPDATE public.rag_documents SET "chunkCount" = 0 WHERE "chunkCount" <> 0;
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(d), array_agg(n) INTO ids, chunks
      FROM (SELECT "documentId" AS d, count(*) AS n FROM new_rows GROUP BY 1) s;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(d), array_agg(-n) INTO ids, chunks
      FROM (SELECT "documentId" AS d, count(*) AS n FROM old_rows GROUP BY 1) s;
  ELSE
    SELECT array_agg(d), array_agg(n) INTO ids, chunks
      FROM (SELECT d, sum(n)::bigint AS n
              FROM (SELECT "documentId" AS d, -1 AS n FROM old_rows
                    UNION ALL
                    SELECT "documentId", 1 FROM new_rows) c
             GROUP BY d HAVING sum(n) <> 0) s;
  END IF;
  IF ids IS NOT NULL THEN
    PERFORM public.defer_counter_deltas('rag_documents', ids, chunks, NULL);
  END IF;
  RETURN NULL;
END $$"#;

// Phase 5's recount of a quota row that starts or changes owner, which now also drops this
// transaction's pending deltas for that user: the recount sees the transaction's own files,
// so their deltas would count them a second time at commit. Owner's rights, to delete them.
const RECOUNT_STORAGE_QUOTA: &str = r#"
CREATE OR REPLACE FUNCTION public.recount_storage_quota() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW."userId" IS NOT DISTINCT FROM OLD."userId" THEN
      RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.users WHERE id = OLD."userId") THEN
      NEW."usedStorage" := 0;
      NEW."fileCount" := 0;
      RETURN NEW;
    END IF;
  END IF;
  PERFORM 1 FROM public.users WHERE id = NEW."userId" FOR UPDATE;
  DELETE FROM public.counter_deltas
   WHERE xact = pg_current_xact_id() AND counter = 'storage_quotas' AND key = NEW."userId";
  SELECT coalesce(sum(size), 0), count(*) INTO NEW."usedStorage", NEW."fileCount"
    FROM public.storage_files WHERE "userId" = NEW."userId" AND "deletedAt" IS NULL;
  RETURN NEW;
END $$"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(CREATE_TABLE).await?;
        db.execute_unprepared(DEFER).await?;
        db.execute_unprepared(
            "REVOKE ALL ON FUNCTION public.defer_counter_deltas(text, uuid[], bigint[], bigint[]) \
             FROM PUBLIC",
        )
        .await?;
        db.execute_unprepared(FOLD).await?;
        db.execute_unprepared(FOLD_TRIGGER).await?;
        // In the migration's transaction, so no write ever sees a half-replaced set.
        for function in [
            COUNT_CONVERSATION_MESSAGES,
            COUNT_STORAGE_QUOTA_USAGE,
            COUNT_DOCUMENT_CHUNKS,
            RECOUNT_STORAGE_QUOTA,
        ] {
            db.execute_unprepared(function).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Phase 5's bodies, with the owner's rights m20261206_000671 gave the three statement
        // functions (the recount ran with the writer's).
        for (name, source) in FUNCTIONS {
            db.execute_unprepared(&source.replacen(
                "CREATE FUNCTION",
                "CREATE OR REPLACE FUNCTION",
                1,
            ))
            .await?;
            if *name != "public.recount_storage_quota()" {
                db.execute_unprepared(&format!(
                    "ALTER FUNCTION {name} SECURITY DEFINER SET search_path = pg_catalog, pg_temp"
                ))
                .await?;
            }
        }
        db.execute_unprepared(
            "DROP TRIGGER IF EXISTS counter_deltas_fold ON public.counter_deltas",
        )
        .await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS public.fold_counter_deltas()")
            .await?;
        db.execute_unprepared(
            "DROP FUNCTION IF EXISTS public.defer_counter_deltas(text, uuid[], bigint[], bigint[])",
        )
        .await?;
        db.execute_unprepared("DROP TABLE IF EXISTS public.counter_deltas")
            .await?;
        Ok(())
    }
}
