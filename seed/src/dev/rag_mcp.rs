//! Phase 4 of the `dev` profile: RAG settings and an indexed document with embedded chunks for
//! user one, and a GitHub MCP integration with encrypted tokens and one sync run.

use anyhow::Context;
use chrono::Duration;
use entity::sea_orm_active_enums::{
    DocumentStatus, IntegrationProvider, IntegrationStatus, SyncStatus,
};
use entity::sealed::{ACCESS_TOKEN, REFRESH_TOKEN, seal_token};
use entity::{mcp_integrations, mcp_sync_logs, rag_chunks, rag_documents, rag_settings};
use rust_decimal::Decimal;
use sea_orm::prelude::PgVector;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait};
use serde_json::json;
use uuid::Uuid;

use super::core::Core;
use super::seeded_at;
use crate::embedding::{embed, sha256_hex};
use crate::insert::{id_after_insert, insert_if_absent};
use crate::{Summary, seed_id};

/// The tables this part writes; it runs only when all of them exist.
pub const TABLES: &[&str] = &[
    "rag_settings",
    "rag_documents",
    "rag_chunks",
    "mcp_integrations",
    "mcp_sync_logs",
];

/// The sample document, one chunk per entry; the document's text is the chunks joined by
/// blank lines.
const CHUNKS: &[&str] = &[
    "useState returns the current state and a setter; calling the setter schedules a re-render with the new value.",
    "useEffect runs after the render is committed; its cleanup runs before the next effect and when the component unmounts.",
    "The dependency array of useEffect lists every value from the component scope that the effect reads; an empty array runs it once.",
    "useMemo and useCallback cache a value or a function between renders until one of their dependencies changes.",
];

/// Made-up GitHub tokens in GitHub's formats; they grant nothing anywhere.
const GITHUB_ACCESS_TOKEN: &str = "gho_devSeedAccessToken0000000000000000";
const GITHUB_REFRESH_TOKEN: &str = "ghr_devSeedRefreshToken000000000000000";

pub async fn seed<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    seed_rag(db, core, summary).await?;
    seed_mcp(db, core, summary).await
}

async fn seed_rag<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    seed_rag_settings(db, core, summary).await?;
    let document = seed_rag_document(db, core, summary).await?;
    seed_rag_chunks(db, document, summary).await
}

async fn seed_rag_settings<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let at = seeded_at();
    let settings = rag_settings::ActiveModel {
        id: Set(seed_id("rag_settings", "user1@example.com")),
        user_id: Set(core.user_one),
        embedding_model: Set("text-embedding-3-small".into()),
        chunk_size: Set(1000),
        chunk_overlap: Set(200),
        top_k: Set(5),
        similarity_threshold: Set(Decimal::new(700, 3)),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    insert_if_absent(db, summary, settings, [rag_settings::Column::UserId])
        .await
        .context("insert rag settings")
}

/// The sample document, made of [`CHUNKS`]; returns its id.
async fn seed_rag_document<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<Uuid> {
    let at = seeded_at();
    let text = CHUNKS.join("\n\n");
    let content_hash = sha256_hex(&text);
    let document = rag_documents::ActiveModel {
        id: Set(seed_id(
            "rag_documents",
            "user1@example.com/react-hooks-notes",
        )),
        user_id: Set(core.user_one),
        agent_id: Set(Some(core.coding_assistant)),
        file_id: Set(None),
        title: Set("React hooks notes".into()),
        source_type: Set("text".into()),
        source_url: Set(None),
        content_hash: Set(content_hash.clone()),
        status: Set(DocumentStatus::Indexed),
        chunk_count: Set(i32::try_from(CHUNKS.len())?),
        embedding_model: Set("text-embedding-3-small".into()),
        error_message: Set(None),
        metadata: Set(Some(json!({ "language": "en", "source": "seed" }))),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    insert_if_absent(
        db,
        summary,
        document,
        [
            rag_documents::Column::UserId,
            rag_documents::Column::ContentHash,
        ],
    )
    .await
    .context("insert rag document")?;
    // A row that was already there keeps its id, so the chunks look it up.
    document_id(db, core.user_one, &content_hash).await
}

/// The chunks of `document_id`, one per entry of [`CHUNKS`], with their embeddings.
async fn seed_rag_chunks<C: ConnectionTrait>(
    db: &C,
    document_id: Uuid,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    for (index, content) in CHUNKS.iter().enumerate() {
        let chunk = rag_chunks::ActiveModel {
            id: Set(seed_id("rag_chunks", &format!("{document_id}/{index}"))),
            document_id: Set(document_id),
            chunk_index: Set(i32::try_from(index)?),
            content: Set((*content).into()),
            // A whitespace word count stands in for a tokenizer's count.
            token_count: Set(i32::try_from(content.split_whitespace().count())?),
            embedding: Set(PgVector::from(embed(content))),
            metadata: Set(None),
            created_at: Set(seeded_at()),
            ..Default::default()
        };
        insert_if_absent(
            db,
            summary,
            chunk,
            [
                rag_chunks::Column::DocumentId,
                rag_chunks::Column::ChunkIndex,
            ],
        )
        .await
        .context("insert rag chunks")?;
    }
    Ok(())
}

async fn seed_mcp<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let at = seeded_at();
    // Dev tokens are made up and grant nothing, and the prod profile never writes tokens, so
    // the public DEV-ONLY key is enough when no key is configured.
    let ring = crate::keys::dev_keyring()?;
    // The nonce is random, so a re-run makes other ciphertext; DO NOTHING keeps the first.
    let integration = mcp_integrations::ActiveModel {
        id: Set(seed_id("mcp_integrations", "user1@example.com/GITHUB")),
        user_id: Set(core.user_one),
        provider: Set(IntegrationProvider::Github),
        status: Set(IntegrationStatus::Active),
        access_token_encrypted: Set(seal_token(&ring, &ACCESS_TOKEN, GITHUB_ACCESS_TOKEN)),
        refresh_token_encrypted: Set(Some(seal_token(
            &ring,
            &REFRESH_TOKEN,
            GITHUB_REFRESH_TOKEN,
        ))),
        token_expires_at: Set(Some(at + Duration::hours(8))),
        scopes: Set(Some(json!(["repo", "read:user"]))),
        config: Set(Some(json!({ "repositories": ["cjhirashi/agents"] }))),
        last_sync_at: Set(Some(at + Duration::minutes(5))),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    insert_if_absent(
        db,
        summary,
        integration,
        [
            mcp_integrations::Column::UserId,
            mcp_integrations::Column::Provider,
        ],
    )
    .await
    .context("insert mcp integration")?;
    let integration_id = integration_id(db, core.user_one).await?;

    let started_at = at + Duration::minutes(5);
    let log = mcp_sync_logs::ActiveModel {
        id: Set(seed_id("mcp_sync_logs", &format!("{integration_id}/first"))),
        integration_id: Set(integration_id),
        status: Set(SyncStatus::Success),
        items_synced: Set(42),
        error_message: Set(None),
        started_at: Set(started_at),
        finished_at: Set(Some(started_at + Duration::milliseconds(1250))),
        duration_ms: Set(Some(1250)),
        ..Default::default()
    };
    insert_if_absent(db, summary, log, [mcp_sync_logs::Column::Id])
        .await
        .context("insert mcp sync log")
}

async fn document_id<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    content_hash: &str,
) -> anyhow::Result<Uuid> {
    let key = Condition::all()
        .add(rag_documents::Column::UserId.eq(user))
        .add(rag_documents::Column::ContentHash.eq(content_hash));
    id_after_insert::<rag_documents::Entity, _>(db, key, "the seeded rag document").await
}

async fn integration_id<C: ConnectionTrait>(db: &C, user: Uuid) -> anyhow::Result<Uuid> {
    let key = Condition::all()
        .add(mcp_integrations::Column::UserId.eq(user))
        .add(mcp_integrations::Column::Provider.eq(IntegrationProvider::Github));
    id_after_insert::<mcp_integrations::Entity, _>(db, key, "the seeded mcp integration").await
}
