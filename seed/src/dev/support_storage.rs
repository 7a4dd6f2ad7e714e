//! Phase 2 of the `dev` profile: the seed document's storage quotas, and a support ticket,
//! a folder tree with files, a share, an access log and tags for user one.

use anyhow::Context;
use entity::sea_orm_active_enums::{
    FileAccessLevel, FileAction, FileUsageContext, ShareType, StorageProvider, SubscriptionTier,
    TicketCategory, TicketPriority, TicketStatus,
};
use entity::{
    artifact_tags, conversation_tags, file_access_logs, file_shares, storage_file_tags,
    storage_files, storage_folders, storage_quotas, support_messages, support_tickets, tags,
};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait};
use serde_json::json;
use uuid::Uuid;

use super::{core::Core, seeded_at};
use crate::insert::{id_after_insert, insert_if_absent};
use crate::{Summary, seed_id};

/// The tables this part writes, checked before anything is written.
pub const TABLES: &[&str] = &[
    "support_tickets",
    "support_messages",
    "storage_folders",
    "storage_files",
    "storage_quotas",
    "file_access_logs",
    "file_shares",
    "tags",
    "artifact_tags",
    "storage_file_tags",
    "conversation_tags",
];

const GIB: i64 = 1024 * 1024 * 1024;
const MIB: i64 = 1024 * 1024;

/// User one's sample files: folder path, name, MIME type, size, and whether soft-deleted.
const FILES: &[(&str, &str, &str, i64, bool)] = &[
    (
        "/docs/react",
        "hooks-cheatsheet.md",
        "text/markdown",
        4096,
        false,
    ),
    ("/docs", "old-notes.txt", "text/plain", 1024, true),
];

pub async fn seed<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    // Quotas come before files so that the storage trigger counts the files into them.
    seed_quotas(db, core, summary).await?;
    seed_support(db, core, summary).await?;
    let file = seed_storage(db, core, summary).await?;
    seed_tags(db, core, file, summary).await
}

async fn seed_quotas<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let quotas = [
        (
            core.super_admin,
            10 * GIB,
            100 * MIB,
            10_000,
            SubscriptionTier::Unlimited,
        ),
        (core.user_one, GIB, 10 * MIB, 100, SubscriptionTier::Free),
    ];
    for (user, max_storage, max_file_size, max_files, tier) in quotas {
        // Usage starts at zero; the storage_files trigger adds each file as it is inserted.
        let model = storage_quotas::ActiveModel {
            id: Set(seed_id("storage_quotas", &user.to_string())),
            user_id: Set(user),
            max_storage: Set(max_storage),
            used_storage: Set(0),
            max_file_size: Set(max_file_size),
            max_files: Set(max_files),
            file_count: Set(0),
            subscription_tier: Set(tier),
            created_at: Set(seeded_at()),
            updated_at: Set(seeded_at()),
            ..Default::default()
        };
        insert_if_absent(db, summary, model, [storage_quotas::Column::UserId])
            .await
            .context("insert storage quotas")?;
    }
    Ok(())
}

async fn seed_support<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let ticket = seed_ticket(db, core, summary).await?;
    seed_ticket_messages(db, core, ticket, summary).await
}

/// User one's question about upload limits, assigned to the admin; returns its id.
async fn seed_ticket<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<Uuid> {
    let at = seeded_at();
    let ticket = seed_id(
        "support_tickets",
        &format!("{}/upload-limit", core.user_one),
    );
    let model = support_tickets::ActiveModel {
        id: Set(ticket),
        user_id: Set(core.user_one),
        assigned_to: Set(Some(core.admin)),
        category: Set(TicketCategory::Question),
        priority: Set(TicketPriority::Medium),
        status: Set(TicketStatus::InProgress),
        subject: Set("How large can my uploads be?".into()),
        description: Set("I want to upload my notes but I am not sure about the limits.".into()),
        ai_summary: Set(Some(
            "User asks about the free tier's file size limits.".into(),
        )),
        metadata: Set(Some(json!({ "source": "seed" }))),
        resolved_at: Set(None),
        closed_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    insert_if_absent(db, summary, model, [support_tickets::Column::Id])
        .await
        .context("insert support ticket")?;
    Ok(ticket)
}

/// The user's question, then the AI's answer (no author).
async fn seed_ticket_messages<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    ticket: Uuid,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let messages = [
        (
            Some(core.user_one),
            false,
            "What is the largest file I can upload?",
        ),
        (
            None,
            true,
            "On the free tier each file can be up to 10 MB, and 1 GB in total.",
        ),
    ];
    for (index, (author, from_ai, content)) in messages.into_iter().enumerate() {
        let model = support_messages::ActiveModel {
            id: Set(seed_id("support_messages", &format!("{ticket}/{index}"))),
            ticket_id: Set(ticket),
            author_id: Set(author),
            is_from_ai: Set(from_ai),
            is_internal: Set(false),
            content: Set(content.into()),
            attachments: Set(None),
            created_at: Set(seeded_at() + chrono::Duration::seconds(i64::try_from(index)?)),
            ..Default::default()
        };
        insert_if_absent(db, summary, model, [support_messages::Column::Id])
            .await
            .context("insert support messages")?;
    }
    Ok(())
}

/// Seeds user one's folders, files, a share and an access log; returns the live file's id.
async fn seed_storage<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<Uuid> {
    seed_folders(db, core.user_one, summary).await?;
    let file = seed_files(db, core.user_one, summary).await?;
    seed_share(db, core, file, summary).await?;
    seed_access_log(db, core.user_one, file, summary).await?;
    Ok(file)
}

/// `user`'s folders `/docs` and `/docs/react`.
async fn seed_folders<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let at = seeded_at();
    let mut parent = None;
    for (path, name) in [("/docs", "docs"), ("/docs/react", "react")] {
        let model = storage_folders::ActiveModel {
            id: Set(seed_id("storage_folders", &format!("{user}{path}"))),
            user_id: Set(user),
            parent_id: Set(parent),
            name: Set(name.into()),
            path: Set(path.into()),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        };
        let key = [
            storage_folders::Column::UserId,
            storage_folders::Column::Path,
        ];
        insert_if_absent(db, summary, model, key)
            .await
            .context("insert storage folders")?;
        parent = Some(folder_id(db, user, path).await?);
    }
    Ok(())
}

/// `user`'s [`FILES`]; returns the id of the one that is not deleted.
async fn seed_files<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    summary: &mut Summary,
) -> anyhow::Result<Uuid> {
    let at = seeded_at();
    let mut live_file = None;
    for (folder, name, mime, size, deleted) in FILES {
        let storage_key = format!("{user}{folder}/{name}");
        let model = storage_files::ActiveModel {
            id: Set(seed_id("storage_files", &storage_key)),
            user_id: Set(user),
            folder_id: Set(Some(folder_id(db, user, folder).await?)),
            name: Set((*name).into()),
            mime_type: Set((*mime).into()),
            size: Set(*size),
            checksum: Set(None),
            storage_provider: Set(StorageProvider::Local),
            storage_key: Set(storage_key.clone()),
            access_level: Set(FileAccessLevel::Private),
            usage_context: Set(FileUsageContext::Other),
            metadata: Set(None),
            deleted_at: Set(deleted.then_some(at)),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        };
        let key = [
            storage_files::Column::StorageProvider,
            storage_files::Column::StorageKey,
        ];
        insert_if_absent(db, summary, model, key)
            .await
            .context("insert storage files")?;
        if !deleted {
            live_file = Some(file_id(db, &storage_key).await?);
        }
    }
    live_file.context("no live sample file")
}

/// User one shares `file` with user two.
async fn seed_share<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    file: Uuid,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let share = file_shares::ActiveModel {
        id: Set(seed_id("file_shares", &format!("{file}/{}", core.user_two))),
        file_id: Set(file),
        shared_by: Set(core.user_one),
        shared_with: Set(Some(core.user_two)),
        share_type: Set(ShareType::User),
        token: Set(None),
        can_download: Set(true),
        expires_at: Set(None),
        access_count: Set(0),
        created_at: Set(seeded_at()),
        ..Default::default()
    };
    insert_if_absent(db, summary, share, [file_shares::Column::Id])
        .await
        .context("insert file share")
}

/// `user`'s upload of `file`.
async fn seed_access_log<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    file: Uuid,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let log = file_access_logs::ActiveModel {
        id: Set(seed_id("file_access_logs", &format!("{file}/upload"))),
        file_id: Set(file),
        user_id: Set(Some(user)),
        action: Set(FileAction::Upload),
        ip_address: Set(Some("127.0.0.1".parse()?)),
        user_agent: Set(Some("seed".into())),
        timestamp: Set(seeded_at()),
        ..Default::default()
    };
    insert_if_absent(db, summary, log, [file_access_logs::Column::Id])
        .await
        .context("insert file access log")
}

/// Seeds user one's tags and attaches them to the artifact, the live file and the conversation.
async fn seed_tags<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    file: Uuid,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let user = core.user_one;
    let mut ids = Vec::new();
    for (name, color) in [("react", "#61dafb"), ("learning", "#22c55e")] {
        let model = tags::ActiveModel {
            id: Set(seed_id("tags", &format!("{user}/{name}"))),
            user_id: Set(user),
            name: Set(name.into()),
            color: Set(Some(color.into())),
            created_at: Set(seeded_at()),
            ..Default::default()
        };
        insert_if_absent(
            db,
            summary,
            model,
            [tags::Column::UserId, tags::Column::Name],
        )
        .await
        .context("insert tags")?;
        ids.push(tag_id(db, user, name).await?);
    }
    let (react, learning) = (ids[0], ids[1]);
    tag_artifact_and_file(db, core.artifact, file, react, summary).await?;
    tag_conversation(db, core.conversation, &[react, learning], summary).await
}

/// Tags the artifact and the live file with `tag`.
async fn tag_artifact_and_file<C: ConnectionTrait>(
    db: &C,
    artifact: Uuid,
    file: Uuid,
    tag: Uuid,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let model = artifact_tags::ActiveModel {
        artifact_id: Set(artifact),
        tag_id: Set(tag),
        ..Default::default()
    };
    let key = [
        artifact_tags::Column::ArtifactId,
        artifact_tags::Column::TagId,
    ];
    insert_if_absent(db, summary, model, key)
        .await
        .context("insert artifact tags")?;

    let model = storage_file_tags::ActiveModel {
        file_id: Set(file),
        tag_id: Set(tag),
        ..Default::default()
    };
    let key = [
        storage_file_tags::Column::FileId,
        storage_file_tags::Column::TagId,
    ];
    insert_if_absent(db, summary, model, key)
        .await
        .context("insert storage file tags")
}

async fn tag_conversation<C: ConnectionTrait>(
    db: &C,
    conversation: Uuid,
    tag_ids: &[Uuid],
    summary: &mut Summary,
) -> anyhow::Result<()> {
    for &tag in tag_ids {
        let model = conversation_tags::ActiveModel {
            conversation_id: Set(conversation),
            tag_id: Set(tag),
            ..Default::default()
        };
        let key = [
            conversation_tags::Column::ConversationId,
            conversation_tags::Column::TagId,
        ];
        insert_if_absent(db, summary, model, key)
            .await
            .context("insert conversation tags")?;
    }
    Ok(())
}

async fn folder_id<C: ConnectionTrait>(db: &C, user: Uuid, path: &str) -> anyhow::Result<Uuid> {
    let key = Condition::all()
        .add(storage_folders::Column::UserId.eq(user))
        .add(storage_folders::Column::Path.eq(path));
    id_after_insert::<storage_folders::Entity, _>(db, key, &format!("folder {path}")).await
}

async fn file_id<C: ConnectionTrait>(db: &C, storage_key: &str) -> anyhow::Result<Uuid> {
    let key = Condition::all()
        .add(storage_files::Column::StorageProvider.eq(StorageProvider::Local))
        .add(storage_files::Column::StorageKey.eq(storage_key));
    id_after_insert::<storage_files::Entity, _>(db, key, &format!("file {storage_key}")).await
}

async fn tag_id<C: ConnectionTrait>(db: &C, user: Uuid, name: &str) -> anyhow::Result<Uuid> {
    let key = Condition::all()
        .add(tags::Column::UserId.eq(user))
        .add(tags::Column::Name.eq(name));
    id_after_insert::<tags::Entity, _>(db, key, &format!("tag {name}")).await
}
