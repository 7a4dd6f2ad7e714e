//! Phase 4: RAG tables on pgvector with an HNSW index, and MCP integrations whose OAuth
//! tokens are stored only encrypted.

use std::collections::BTreeSet;

use entity::prelude::McpIntegrations;
use entity::sealed::{ACCESS_TOKEN, Keyring, REFRESH_TOKEN, open_token};
use sea_orm::{ConnectionTrait, EntityTrait, Statement, TransactionTrait};
use seed::embedding::embed;
use smoke_tests::{TestDb, snapshot};

use crate::{count, query_strings};

const TABLES: &[&str] = &[
    "rag_documents",
    "rag_chunks",
    "rag_settings",
    "mcp_integrations",
    "mcp_sync_logs",
];
const ENUMS: &[&str] = &[
    "DocumentStatus",
    "IntegrationProvider",
    "IntegrationStatus",
    "SyncStatus",
];

/// SCHEMA.md's Phase 4, as catalog lines: columns (with types, nullability and defaults),
/// enums, indexes (with the HNSW one), primary and foreign keys, and `updatedAt` triggers.
/// PostgreSQL 18's named NOT NULL constraints are left out; the column lines carry them.
const EXPECTED: &[&str] = &[
    r#"column public.mcp_integrations.accessTokenEncrypted #5 bytea NOT NULL"#,
    r#"column public.mcp_integrations.config #9 jsonb NULL"#,
    r#"column public.mcp_integrations.createdAt #11 timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP"#,
    r#"column public.mcp_integrations.id #1 uuid NOT NULL DEFAULT gen_random_uuid()"#,
    r#"column public.mcp_integrations.lastSyncAt #10 timestamp(3) without time zone NULL"#,
    r#"column public.mcp_integrations.provider #3 "IntegrationProvider" NOT NULL"#,
    r#"column public.mcp_integrations.refreshTokenEncrypted #6 bytea NULL"#,
    r#"column public.mcp_integrations.scopes #8 jsonb NULL"#,
    r#"column public.mcp_integrations.status #4 "IntegrationStatus" NOT NULL DEFAULT 'ACTIVE'::"IntegrationStatus""#,
    r#"column public.mcp_integrations.tokenExpiresAt #7 timestamp(3) without time zone NULL"#,
    r#"column public.mcp_integrations.updatedAt #12 timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP"#,
    r#"column public.mcp_integrations.userId #2 uuid NOT NULL"#,
    r#"column public.mcp_sync_logs.durationMs #8 integer NULL"#,
    r#"column public.mcp_sync_logs.errorMessage #5 text NULL"#,
    r#"column public.mcp_sync_logs.finishedAt #7 timestamp(3) without time zone NULL"#,
    r#"column public.mcp_sync_logs.id #1 uuid NOT NULL DEFAULT gen_random_uuid()"#,
    r#"column public.mcp_sync_logs.integrationId #2 uuid NOT NULL"#,
    r#"column public.mcp_sync_logs.itemsSynced #4 integer NOT NULL DEFAULT 0"#,
    r#"column public.mcp_sync_logs.startedAt #6 timestamp(3) without time zone NOT NULL"#,
    r#"column public.mcp_sync_logs.status #3 "SyncStatus" NOT NULL"#,
    r#"column public.rag_chunks.chunkIndex #3 integer NOT NULL"#,
    r#"column public.rag_chunks.content #4 text NOT NULL"#,
    r#"column public.rag_chunks.createdAt #8 timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP"#,
    r#"column public.rag_chunks.documentId #2 uuid NOT NULL"#,
    r#"column public.rag_chunks.embedding #6 vector(1536) NOT NULL"#,
    r#"column public.rag_chunks.id #1 uuid NOT NULL DEFAULT gen_random_uuid()"#,
    r#"column public.rag_chunks.metadata #7 jsonb NULL"#,
    r#"column public.rag_chunks.tokenCount #5 integer NOT NULL"#,
    r#"column public.rag_documents.agentId #3 uuid NULL"#,
    r#"column public.rag_documents.chunkCount #10 integer NOT NULL DEFAULT 0"#,
    r#"column public.rag_documents.contentHash #8 character varying(64) NOT NULL"#,
    r#"column public.rag_documents.createdAt #14 timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP"#,
    r#"column public.rag_documents.embeddingModel #11 character varying(100) NOT NULL"#,
    r#"column public.rag_documents.errorMessage #12 text NULL"#,
    r#"column public.rag_documents.fileId #4 uuid NULL"#,
    r#"column public.rag_documents.id #1 uuid NOT NULL DEFAULT gen_random_uuid()"#,
    r#"column public.rag_documents.metadata #13 jsonb NULL"#,
    r#"column public.rag_documents.sourceType #6 character varying(50) NOT NULL"#,
    r#"column public.rag_documents.sourceUrl #7 character varying(1000) NULL"#,
    r#"column public.rag_documents.status #9 "DocumentStatus" NOT NULL DEFAULT 'PENDING'::"DocumentStatus""#,
    r#"column public.rag_documents.title #5 character varying(500) NOT NULL"#,
    r#"column public.rag_documents.updatedAt #15 timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP"#,
    r#"column public.rag_documents.userId #2 uuid NOT NULL"#,
    r#"column public.rag_settings.chunkOverlap #5 integer NOT NULL DEFAULT 200"#,
    r#"column public.rag_settings.chunkSize #4 integer NOT NULL DEFAULT 1000"#,
    r#"column public.rag_settings.createdAt #8 timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP"#,
    r#"column public.rag_settings.embeddingModel #3 character varying(100) NOT NULL DEFAULT 'text-embedding-3-small'::character varying"#,
    r#"column public.rag_settings.id #1 uuid NOT NULL DEFAULT gen_random_uuid()"#,
    r#"column public.rag_settings.similarityThreshold #7 numeric(4,3) NOT NULL DEFAULT 0.7"#,
    r#"column public.rag_settings.topK #6 integer NOT NULL DEFAULT 5"#,
    r#"column public.rag_settings.updatedAt #9 timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP"#,
    r#"column public.rag_settings.userId #2 uuid NOT NULL"#,
    r#"constraint public.mcp_integrations mcp_integrations_pkey PRIMARY KEY (id)"#,
    r#"constraint public.mcp_integrations mcp_integrations_userId_fkey FOREIGN KEY ("userId") REFERENCES users(id) ON UPDATE CASCADE ON DELETE CASCADE"#,
    r#"constraint public.mcp_sync_logs mcp_sync_logs_integrationId_fkey FOREIGN KEY ("integrationId") REFERENCES mcp_integrations(id) ON UPDATE CASCADE ON DELETE CASCADE"#,
    r#"constraint public.mcp_sync_logs mcp_sync_logs_pkey PRIMARY KEY (id)"#,
    r#"constraint public.rag_chunks rag_chunks_documentId_fkey FOREIGN KEY ("documentId") REFERENCES rag_documents(id) ON UPDATE CASCADE ON DELETE CASCADE"#,
    r#"constraint public.rag_chunks rag_chunks_pkey PRIMARY KEY (id)"#,
    r#"constraint public.rag_documents rag_documents_agentId_fkey FOREIGN KEY ("agentId") REFERENCES agents(id) ON UPDATE CASCADE ON DELETE SET NULL"#,
    r#"constraint public.rag_documents rag_documents_fileId_fkey FOREIGN KEY ("fileId") REFERENCES storage_files(id) ON UPDATE CASCADE ON DELETE SET NULL"#,
    r#"constraint public.rag_documents rag_documents_pkey PRIMARY KEY (id)"#,
    r#"constraint public.rag_documents rag_documents_userId_fkey FOREIGN KEY ("userId") REFERENCES users(id) ON UPDATE CASCADE ON DELETE CASCADE"#,
    r#"constraint public.rag_settings rag_settings_pkey PRIMARY KEY (id)"#,
    r#"constraint public.rag_settings rag_settings_userId_fkey FOREIGN KEY ("userId") REFERENCES users(id) ON UPDATE CASCADE ON DELETE CASCADE"#,
    r#"enum public.DocumentStatus PENDING,PROCESSING,INDEXED,FAILED"#,
    r#"enum public.IntegrationProvider GMAIL,GOOGLE_CALENDAR,GOOGLE_DRIVE,NOTION,SLACK,GITHUB,OTHER"#,
    r#"enum public.IntegrationStatus ACTIVE,PAUSED,ERROR,REVOKED"#,
    r#"enum public.SyncStatus STARTED,SUCCESS,PARTIAL,FAILED"#,
    r#"index CREATE INDEX "mcp_sync_logs_integrationId_startedAt_idx" ON public.mcp_sync_logs USING btree ("integrationId", "startedAt" DESC)"#,
    r#"index CREATE INDEX "rag_documents_agentId_idx" ON public.rag_documents USING btree ("agentId")"#,
    r#"index CREATE INDEX "rag_documents_fileId_idx" ON public.rag_documents USING btree ("fileId")"#,
    r#"index CREATE INDEX "rag_documents_userId_status_idx" ON public.rag_documents USING btree ("userId", status)"#,
    r#"index CREATE INDEX rag_chunks_embedding_idx ON public.rag_chunks USING hnsw (embedding vector_cosine_ops)"#,
    r#"index CREATE UNIQUE INDEX "mcp_integrations_userId_provider_key" ON public.mcp_integrations USING btree ("userId", provider)"#,
    r#"index CREATE UNIQUE INDEX "rag_chunks_documentId_chunkIndex_key" ON public.rag_chunks USING btree ("documentId", "chunkIndex")"#,
    r#"index CREATE UNIQUE INDEX "rag_documents_userId_contentHash_key" ON public.rag_documents USING btree ("userId", "contentHash")"#,
    r#"index CREATE UNIQUE INDEX "rag_settings_userId_key" ON public.rag_settings USING btree ("userId")"#,
    r#"index CREATE UNIQUE INDEX mcp_integrations_pkey ON public.mcp_integrations USING btree (id)"#,
    r#"index CREATE UNIQUE INDEX mcp_sync_logs_pkey ON public.mcp_sync_logs USING btree (id)"#,
    r#"index CREATE UNIQUE INDEX rag_chunks_pkey ON public.rag_chunks USING btree (id)"#,
    r#"index CREATE UNIQUE INDEX rag_documents_pkey ON public.rag_documents USING btree (id)"#,
    r#"index CREATE UNIQUE INDEX rag_settings_pkey ON public.rag_settings USING btree (id)"#,
    r#"trigger CREATE TRIGGER mcp_integrations_set_updated_at BEFORE UPDATE ON public.mcp_integrations FOR EACH ROW EXECUTE FUNCTION set_updated_at()"#,
    r#"trigger CREATE TRIGGER rag_documents_set_updated_at BEFORE UPDATE ON public.rag_documents FOR EACH ROW EXECUTE FUNCTION set_updated_at()"#,
    r#"trigger CREATE TRIGGER rag_settings_set_updated_at BEFORE UPDATE ON public.rag_settings FOR EACH ROW EXECUTE FUNCTION set_updated_at()"#,
];

/// Whether a catalog line describes one of Phase 4's tables or enum types.
fn is_phase4(line: &str) -> bool {
    let of_table = TABLES
        .iter()
        .any(|t| line.contains(&format!("public.{t}.")) || line.contains(&format!("public.{t} ")));
    let of_enum = ENUMS
        .iter()
        .any(|e| line.starts_with(&format!("enum public.{e} ")));
    let not_null_constraint =
        line.starts_with("constraint ") && line.contains("_not_null NOT NULL");
    (of_table || of_enum) && !not_null_constraint
}

#[tokio::test]
async fn phase4_catalog_has_every_table_enum_index_fk_and_trigger() {
    let test = TestDb::new("phase4_catalog").await;
    // Through phase 4: phase 5 adds the chunk count's triggers to these tables.
    migration::up_through_phase(&test.db, Some(4))
        .await
        .expect("migrate --phase 4");
    let catalog = snapshot(&test.db).await;
    let ours: BTreeSet<&str> = catalog
        .lines
        .iter()
        .map(String::as_str)
        .filter(|l| is_phase4(l))
        .collect();
    let expected: BTreeSet<&str> = EXPECTED.iter().copied().collect();
    let missing: Vec<_> = expected.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nunexpected: {extra:#?}"
    );
    assert!(expected.contains(r#"column public.rag_chunks.embedding #6 vector(1536) NOT NULL"#));
    assert!(expected.contains(
        "index CREATE INDEX rag_chunks_embedding_idx ON public.rag_chunks USING hnsw (embedding vector_cosine_ops)"
    ));
    let kinds = |kind: &str| expected.iter().filter(|l| l.starts_with(kind)).count();
    assert_eq!(kinds("enum "), 4);
    // 9 named indexes plus the 5 primary keys.
    assert_eq!(kinds("index "), 9 + 5);
    assert_eq!(
        expected
            .iter()
            .filter(|l| l.contains("FOREIGN KEY"))
            .count(),
        7
    );
    assert_eq!(kinds("trigger "), 3);
}

/// The plaintexts the dev seed encrypts (made up; kept here, apart from the seed, so the
/// test checks the seed against an independent copy).
const SEEDED_ACCESS_TOKEN: &str = "gho_devSeedAccessToken0000000000000000";
const SEEDED_REFRESH_TOKEN: &str = "ghr_devSeedRefreshToken000000000000000";

#[tokio::test]
async fn mcp_tokens_are_stored_encrypted_and_decrypt_to_the_plaintext() {
    let test = TestDb::migrated("mcp_tokens_encrypted").await;
    // The smoke run sets no key, so the seed uses the DEV-ONLY key.
    assert!(Keyring::from_env().expect("read the keys").is_none());
    seed::run(&test.db, &seed::Profile::Dev)
        .await
        .expect("seed");
    let db = &test.db;
    // The database itself finds no plaintext in the token columns.
    let leaks = count(
        db,
        &format!(
            r#"SELECT count(*) FROM mcp_integrations
               WHERE position(convert_to('{SEEDED_ACCESS_TOKEN}', 'UTF8') IN "accessTokenEncrypted") > 0
                  OR position(convert_to('{SEEDED_REFRESH_TOKEN}', 'UTF8') IN coalesce("refreshTokenEncrypted", ''::bytea)) > 0
                  OR position(convert_to('gho_', 'UTF8') IN "accessTokenEncrypted") > 0"#
        ),
    )
    .await;
    assert_eq!(leaks, 0);

    let rows = McpIntegrations::find()
        .all(db)
        .await
        .expect("read integrations");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    let ring = Keyring::dev();
    for (column, blob, plaintext) in [
        (
            ACCESS_TOKEN,
            &row.access_token_encrypted,
            SEEDED_ACCESS_TOKEN,
        ),
        (
            REFRESH_TOKEN,
            row.refresh_token_encrypted.as_ref().expect("refresh token"),
            SEEDED_REFRESH_TOKEN,
        ),
    ] {
        // `v1:dev:` and the base64 of nonce (12), ciphertext (as long as the plaintext), tag (16).
        let envelope = std::str::from_utf8(blob).expect("an envelope is text");
        assert!(envelope.starts_with("v1:dev:"), "{envelope}");
        assert_eq!(
            envelope.len(),
            "v1:dev:".len() + (12 + plaintext.len() + 16).div_ceil(3) * 4
        );
        assert_eq!(open_token(&ring, &column, blob).expect("open"), plaintext);
    }
    assert_ne!(
        row.access_token_encrypted[..20],
        row.refresh_token_encrypted.as_ref().unwrap()[..20],
        "each token has its own nonce"
    );
}

/// `embedding` as a pgvector literal.
fn vector_literal(v: &[f32]) -> String {
    let items: Vec<String> = v.iter().map(f32::to_string).collect();
    format!("'[{}]'::vector", items.join(","))
}

/// `query`'s plan with sequential scans off. On the test's 1,004 rows the planner rightly
/// prefers reading them all to phase 8's graph (`m` 24 costs more per scan than phase 4's
/// 16): what is checked is that the index serves the ORDER BY, its operator class being the
/// query's `<=>`.
async fn plan_without_seqscan(db: &sea_orm::DatabaseConnection, query: &str) -> String {
    let tx = db.begin().await.expect("begin");
    tx.execute_unprepared("SET LOCAL enable_seqscan = off")
        .await
        .expect("seqscan off");
    let plan: Vec<String> = tx
        .query_all_raw(Statement::from_string(
            tx.get_database_backend(),
            format!("EXPLAIN {query}"),
        ))
        .await
        .expect("explain")
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("plan line"))
        .collect();
    tx.rollback().await.expect("rollback");
    plan.join("\n")
}

#[tokio::test]
async fn nearest_neighbour_query_uses_the_hnsw_index_and_finds_the_chunk() {
    let test = TestDb::migrated("nearest_neighbour_hnsw").await;
    seed::run(&test.db, &seed::Profile::Dev)
        .await
        .expect("seed");
    let db = &test.db;
    // 1000 random unit vectors in a second document, from a fixed seed so runs agree; one
    // multi-statement string runs on one connection, so setseed applies to the inserts.
    db.execute_unprepared(
        r#"SELECT setseed(0.42);
           INSERT INTO rag_documents ("userId", title, "sourceType", "contentHash", status, "chunkCount", "embeddingModel")
           SELECT "userId", 'filler', 'text', repeat('f', 64), 'INDEXED', 1000, "embeddingModel" FROM rag_documents LIMIT 1;
           INSERT INTO rag_chunks ("documentId", "chunkIndex", content, "tokenCount", embedding)
           SELECT d.id, n, 'filler ' || n, 1,
                  l2_normalize((SELECT array_agg(random() - 0.5) FROM generate_series(1, 1536) WHERE n >= 0)::vector)
           FROM rag_documents d, generate_series(0, 999) n WHERE d.title = 'filler';
           ANALYZE rag_chunks;"#,
    )
    .await
    .expect("insert filler chunks");
    assert_eq!(count(db, "SELECT count(*) FROM rag_chunks").await, 1004);

    let (id, content) = {
        let rows = query_strings(
            db,
            r#"SELECT id::text || ' ' || content FROM rag_chunks WHERE "chunkIndex" = 2 AND content <> 'filler 2'"#,
        )
        .await;
        let row = rows.first().expect("a seeded chunk").clone();
        let (id, content) = row.split_once(' ').expect("id and content");
        (id.to_owned(), content.to_owned())
    };
    let query = format!(
        "SELECT id::text FROM rag_chunks ORDER BY embedding <=> {} LIMIT 5",
        vector_literal(&embed(&content))
    );

    let plan = plan_without_seqscan(db, &query).await;
    assert!(
        plan.contains("Index Scan using rag_chunks_embedding_hnsw_idx"),
        "the planner did not use the HNSW index:\n{plan}"
    );
    let nearest = query_strings(db, &query).await;
    assert_eq!(nearest.len(), 5);
    assert_eq!(nearest[0], id, "the chunk's own embedding finds it first");
}
