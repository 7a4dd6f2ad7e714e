//! The entities agree with the migrated database: every one reads every seeded column, and
//! relations resolve both ways.

use entity::prelude::*;
use entity::{agents, conversations, users};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, ModelTrait, PaginatorTrait, QueryFilter,
};
use smoke_tests::TestDb;

use crate::count;

macro_rules! assert_reads_all {
    ($db:expr, $($entity:ty => $table:literal),+ $(,)?) => {$(
        let rows = <$entity>::find().all($db).await.unwrap_or_else(|e| panic!("{}: {e}", $table));
        let expected = count($db, concat!("SELECT count(*) FROM ", $table)).await;
        assert_eq!(i64::try_from(rows.len()).unwrap(), expected, $table);
    )+};
}

#[tokio::test]
async fn every_entity_reads_the_seeded_database() {
    let test = TestDb::migrated("every_entity_reads").await;
    seed::run(&test.db, &seed::Profile::Dev)
        .await
        .expect("seed");
    let db = &test.db;
    assert_reads_all!(db,
        Users => "users", Accounts => "accounts", AuthSessions => "auth_sessions",
        VerificationTokens => "verification_tokens", Invitations => "invitations", Agents => "agents",
        ChatSessions => "chat_sessions", Conversations => "conversations", Messages => "messages",
        UserAgentPermissions => "user_agent_permissions", Artifacts => "artifacts", UsageLogs => "usage_logs",
        MonthlyUsage => "monthly_usage", UsageAlerts => "usage_alerts", AuditLogs => "audit_logs",
    );
}

#[tokio::test]
async fn relations_resolve_both_ways() {
    let test = TestDb::migrated("relations_resolve_both_ways").await;
    seed::run(&test.db, &seed::Profile::Dev)
        .await
        .expect("seed");
    let db = &test.db;
    let agent = assert_agents_and_their_owner_reach_each_other(db).await;
    assert_conversation_relations(db, &agent).await;
}

/// Checks that the admin owns three agents and the coding assistant leads back to the admin.
async fn assert_agents_and_their_owner_reach_each_other(db: &DatabaseConnection) -> agents::Model {
    let admin = Users::find()
        .filter(users::Column::Email.eq("cjhirashi@gmail.com"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(admin.find_related(Agents).count(db).await.unwrap(), 3);
    let agent = Agents::find()
        .filter(agents::Column::Slug.eq("coding-assistant"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        agent
            .find_related(Users)
            .one(db)
            .await
            .unwrap()
            .map(|u| u.id),
        Some(admin.id)
    );
    agent
}

/// Checks that the agent's one conversation has two messages and a session owned by user one.
async fn assert_conversation_relations(db: &DatabaseConnection, agent: &agents::Model) {
    let conversation = agent
        .find_related(Conversations)
        .one(db)
        .await
        .unwrap()
        .expect("conversation");
    assert_eq!(
        conversation.find_related(Messages).count(db).await.unwrap(),
        2
    );
    let session = conversation
        .find_related(ChatSessions)
        .one(db)
        .await
        .unwrap()
        .expect("session");
    let owner = session
        .find_related(Users)
        .one(db)
        .await
        .unwrap()
        .expect("owner");
    assert_eq!(owner.email, "user1@example.com");
    assert_eq!(
        Conversations::find()
            .filter(conversations::Column::AgentId.eq(agent.id))
            .count(db)
            .await
            .unwrap(),
        1
    );
}
