//! Phase 1 of the `dev` profile: the seed document's users, agents, a conversation and an
//! artifact.

use anyhow::Context;
use entity::sea_orm_active_enums::{SubscriptionTier, UserRole};
use entity::{agents, artifacts, chat_sessions, conversations, messages, users};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PrimaryKeyTrait};
use serde_json::json;
use uuid::Uuid;

use super::seeded_at;
use crate::insert::{id_after_insert, insert_if_absent};
use crate::{Summary, seed_id};

/// The tables this part writes, checked before anything is written.
pub const TABLES: &[&str] = &[
    "users",
    "agents",
    "chat_sessions",
    "conversations",
    "messages",
    "artifacts",
];

/// The ids of the core rows that later phases' sample data belongs to.
#[derive(Clone, Copy, Debug)]
pub struct Core {
    pub super_admin: Uuid,
    pub admin: Uuid,
    pub user_one: Uuid,
    pub user_two: Uuid,
    pub coding_assistant: Uuid,
    pub health_advisor: Uuid,
    pub conversation: Uuid,
    pub artifact: Uuid,
}

struct SeedUser {
    email: &'static str,
    name: &'static str,
    display_name: Option<&'static str>,
    role: UserRole,
    tier: SubscriptionTier,
}

const USERS: [SeedUser; 4] = [
    SeedUser {
        email: "cjhirashi@gmail.com",
        name: "Carlos Hirashi",
        display_name: Some("Charlie"),
        role: UserRole::SuperAdmin,
        tier: SubscriptionTier::Unlimited,
    },
    SeedUser {
        email: "admin@cjhirashi.com",
        name: "Admin User",
        display_name: None,
        role: UserRole::Admin,
        tier: SubscriptionTier::Pro,
    },
    SeedUser {
        email: "user1@example.com",
        name: "User One",
        display_name: None,
        role: UserRole::User,
        tier: SubscriptionTier::Free,
    },
    SeedUser {
        email: "user2@example.com",
        name: "User Two",
        display_name: None,
        role: UserRole::Subscriber,
        tier: SubscriptionTier::Pro,
    },
];

struct SeedAgent {
    slug: &'static str,
    name: &'static str,
    description: &'static str,
    category: &'static str,
    system_prompt: &'static str,
    is_public: bool,
    capabilities: &'static [&'static str],
}

const AGENTS: &[SeedAgent] = &[
    SeedAgent {
        slug: "coding-assistant",
        name: "Coding Assistant",
        description: "Expert in TypeScript, React, and Next.js",
        category: "productivity",
        system_prompt: "You are an expert coding assistant...",
        is_public: true,
        capabilities: &["code_generation", "debugging", "refactoring"],
    },
    SeedAgent {
        slug: "health-advisor",
        name: "Health Advisor",
        description: "Personal health and wellness assistant",
        category: "health",
        system_prompt: "You are a health and wellness advisor...",
        is_public: false,
        capabilities: &["health_tracking", "medication_reminders"],
    },
    SeedAgent {
        slug: "finance-planner",
        name: "Finance Planner",
        description: "Personal finance management assistant",
        category: "finance",
        system_prompt: "You are a personal finance advisor...",
        is_public: false,
        capabilities: &["budgeting", "investment_tracking", "expense_analysis"],
    },
];

/// The two messages of the sample conversation: role, content, input and output tokens.
const MESSAGES: &[(&str, &str, Option<i32>, Option<i32>)] = &[
    ("user", "How do I use useEffect correctly?", Some(8), None),
    (
        "assistant",
        "useEffect is used for side effects in React components...",
        None,
        Some(50),
    ),
];

const ARTIFACT_CODE: &str = r#"import { useEffect, useState } from 'react';

export function Example() {
  const [count, setCount] = useState(0);

  useEffect(() => {
    document.title = `Count: ${count}`;
  }, [count]);

  return <button onClick={() => setCount(count + 1)}>Increment</button>;
}"#;

pub async fn seed<C: ConnectionTrait>(db: &C, summary: &mut Summary) -> anyhow::Result<Core> {
    let [super_admin, admin, user_one, user_two] = seed_users(db, summary).await?;
    let (coding_assistant, health_advisor) = seed_agents(db, super_admin, summary).await?;
    let conversation = seed_conversation(db, user_one, coding_assistant, summary).await?;
    let artifact = seed_artifact(db, user_one, coding_assistant, conversation, summary).await?;
    Ok(Core {
        super_admin,
        admin,
        user_one,
        user_two,
        coding_assistant,
        health_advisor,
        conversation,
        artifact,
    })
}

/// Inserts [`USERS`] and returns their ids, in the same order.
async fn seed_users<C: ConnectionTrait>(
    db: &C,
    summary: &mut Summary,
) -> anyhow::Result<[Uuid; 4]> {
    let at = seeded_at();
    for user in &USERS {
        let model = users::ActiveModel {
            id: Set(seed_id("users", user.email)),
            email: Set(user.email.into()),
            email_verified: Set(Some(at)),
            name: Set(Some(user.name.into())),
            display_name: Set(user.display_name.map(Into::into)),
            role: Set(user.role),
            subscription_tier: Set(user.tier),
            is_active: Set(true),
            last_reset_at: Set(at),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        };
        insert_if_absent(db, summary, model, [users::Column::Email])
            .await
            .context("insert users")?;
    }
    let emails = USERS.map(|user| user.email);
    ids_by::<users::Entity, _, 4>(db, users::Column::Email, emails, "user").await
}

/// Inserts [`AGENTS`], created by `super_admin`; returns the ids of the coding assistant and
/// the health advisor.
async fn seed_agents<C: ConnectionTrait>(
    db: &C,
    super_admin: Uuid,
    summary: &mut Summary,
) -> anyhow::Result<(Uuid, Uuid)> {
    let at = seeded_at();
    for agent in AGENTS {
        let model = agents::ActiveModel {
            id: Set(seed_id("agents", agent.slug)),
            created_by: Set(super_admin),
            name: Set(agent.name.into()),
            slug: Set(agent.slug.into()),
            description: Set(Some(agent.description.into())),
            category: Set(agent.category.into()),
            model: Set("gemini-2.0-flash".into()),
            endpoint_url: Set(format!("/api/agents/{}", agent.slug)),
            system_prompt: Set(Some(agent.system_prompt.into())),
            is_public: Set(agent.is_public),
            is_active: Set(true),
            capabilities: Set(Some(json!(agent.capabilities))),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        };
        insert_if_absent(db, summary, model, [agents::Column::Slug])
            .await
            .context("insert agents")?;
    }
    let slugs = ["coding-assistant", "health-advisor"];
    let [coding_assistant, health_advisor] =
        ids_by::<agents::Entity, _, 2>(db, agents::Column::Slug, slugs, "agent").await?;
    Ok((coding_assistant, health_advisor))
}

/// User one's chat session with the coding assistant, its conversation and the two
/// [`MESSAGES`]; returns the conversation's id.
async fn seed_conversation<C: ConnectionTrait>(
    db: &C,
    user_one: Uuid,
    coding_assistant: Uuid,
    summary: &mut Summary,
) -> anyhow::Result<Uuid> {
    let at = seeded_at();
    let chat_session = seed_id("chat_sessions", "user1@example.com/react-hooks");
    let session = chat_sessions::ActiveModel {
        id: Set(chat_session),
        user_id: Set(user_one),
        started_at: Set(at),
        last_activity: Set(at),
        metadata: Set(Some(json!({ "source": "seed" }))),
        ..Default::default()
    };
    insert_if_absent(db, summary, session, [chat_sessions::Column::Id])
        .await
        .context("insert chat session")?;

    // The document writes messageCount 2 and tokenCount 150 for messages that carry 58
    // tokens; here the counters start at zero and the messages trigger keeps them exact.
    let conversation = seed_id("conversations", "user1@example.com/react-hooks");
    let model = conversations::ActiveModel {
        id: Set(conversation),
        chat_session_id: Set(chat_session),
        agent_id: Set(coding_assistant),
        title: Set("Help with React hooks".into()),
        summary: Set(None),
        message_count: Set(0),
        token_count: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    insert_if_absent(db, summary, model, [conversations::Column::Id])
        .await
        .context("insert conversation")?;
    seed_messages(db, conversation, summary).await?;
    Ok(conversation)
}

async fn seed_messages<C: ConnectionTrait>(
    db: &C,
    conversation: Uuid,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    for (index, (role, content, tokens_input, tokens_output)) in MESSAGES.iter().enumerate() {
        let model = messages::ActiveModel {
            id: Set(seed_id("messages", &format!("{conversation}/{index}"))),
            conversation_id: Set(conversation),
            role: Set((*role).into()),
            content: Set((*content).into()),
            tokens_input: Set(*tokens_input),
            tokens_output: Set(*tokens_output),
            metadata: Set(None),
            timestamp: Set(seeded_at() + chrono::Duration::seconds(i64::try_from(index)?)),
            // "userId" stays unset: the messages_owner trigger takes it from the conversation.
            ..Default::default()
        };
        insert_if_absent(db, summary, model, [messages::Column::Id])
            .await
            .context("insert messages")?;
    }
    Ok(())
}

/// The coding assistant's code artifact for user one, from the conversation; returns its id.
async fn seed_artifact<C: ConnectionTrait>(
    db: &C,
    user_one: Uuid,
    coding_assistant: Uuid,
    conversation: Uuid,
    summary: &mut Summary,
) -> anyhow::Result<Uuid> {
    let at = seeded_at();
    let artifact = seed_id("artifacts", "user1@example.com/useEffect-example");
    let model = artifacts::ActiveModel {
        id: Set(artifact),
        agent_id: Set(coding_assistant),
        // artifacts.userId is VARCHAR in the schema, with no foreign key.
        user_id: Set(user_one.to_string()),
        conversation_id: Set(Some(conversation)),
        name: Set("useEffect Example".into()),
        r#type: Set("code".into()),
        content: Set(ARTIFACT_CODE.into()),
        version: Set(1),
        parent_id: Set(None),
        metadata: Set(Some(json!({ "language": "typescript" }))),
        tags: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    insert_if_absent(db, summary, model, [artifacts::Column::Id])
        .await
        .context("insert artifact")?;
    Ok(artifact)
}

/// The ids of the rows of `E` whose natural key `key` holds each of `values`, in order;
/// `kind` names the rows in errors.
async fn ids_by<E, C, const N: usize>(
    db: &C,
    key: E::Column,
    values: [&str; N],
    kind: &str,
) -> anyhow::Result<[Uuid; N]>
where
    E: EntityTrait,
    E::PrimaryKey: PrimaryKeyTrait<ValueType = Uuid>,
    C: ConnectionTrait,
{
    let mut ids = [Uuid::nil(); N];
    for (id, value) in ids.iter_mut().zip(values) {
        let what = format!("{kind} {value}");
        *id = id_after_insert::<E, _>(db, key.eq(value), &what).await?;
    }
    Ok(ids)
}
