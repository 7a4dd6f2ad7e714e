//! Phase 1 of the `dev` profile, identity and access: an OAuth account, a login session, a
//! pending e-mail verification, an invitation and an agent grant.

use anyhow::Context;
use chrono::Duration;
use entity::sea_orm_active_enums::{InvitationStatus, UserRole};
use entity::{accounts, auth_sessions, invitations, user_agent_permissions, verification_tokens};
use sea_orm::{ActiveValue::Set, ConnectionTrait};

use super::core::Core;
use super::seeded_at;
use crate::{Summary, insert::insert_if_absent, seed_id};

pub async fn seed<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    seed_account(db, core, summary).await?;
    seed_session(db, core, summary).await?;
    seed_verification(db, summary).await?;
    seed_invitation(db, core, summary).await?;
    seed_grant(db, core, summary).await
}

/// User one's Google account.
async fn seed_account<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let at = seeded_at();
    let account = accounts::ActiveModel {
        id: Set(seed_id("accounts", "google/user1")),
        user_id: Set(core.user_one),
        r#type: Set("oauth".into()),
        provider: Set("google".into()),
        provider_account_id: Set("google-user1".into()),
        // Provider tokens are left out: a dev database needs no working credentials.
        scope: Set(Some("openid email profile".into())),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    let conflict = [
        accounts::Column::Provider,
        accounts::Column::ProviderAccountId,
    ];
    insert_if_absent(db, summary, account, conflict)
        .await
        .context("insert account")
}

/// User one's login session.
async fn seed_session<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let session = auth_sessions::ActiveModel {
        id: Set(seed_id("auth_sessions", "user1")),
        session_token: Set("dev-session-user1".into()),
        user_id: Set(core.user_one),
        expires: Set(seeded_at() + Duration::days(30)),
        ..Default::default()
    };
    let conflict = [auth_sessions::Column::SessionToken];
    insert_if_absent(db, summary, session, conflict)
        .await
        .context("insert session")
}

/// User two's pending e-mail verification.
async fn seed_verification<C: ConnectionTrait>(
    db: &C,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let verification = verification_tokens::ActiveModel {
        identifier: Set("user2@example.com".into()),
        token: Set("dev-verification-user2".into()),
        expires: Set(seeded_at() + Duration::days(1)),
        ..Default::default()
    };
    let conflict = [verification_tokens::Column::Token];
    insert_if_absent(db, summary, verification, conflict)
        .await
        .context("insert verification")
}

/// The admin's pending invitation of a new user.
async fn seed_invitation<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let at = seeded_at();
    let invitation = invitations::ActiveModel {
        id: Set(seed_id("invitations", "invitee@example.com")),
        email: Set("invitee@example.com".into()),
        token: Set("dev-invitation-invitee".into()),
        role: Set(UserRole::User),
        status: Set(InvitationStatus::Pending),
        invited_by: Set(core.admin),
        expires_at: Set(at + Duration::days(7)),
        accepted_at: Set(None),
        created_at: Set(at),
        ..Default::default()
    };
    let conflict = [invitations::Column::Token];
    insert_if_absent(db, summary, invitation, conflict)
        .await
        .context("insert invitation")
}

/// The health advisor is private: user one reaches it through a grant.
async fn seed_grant<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let grant = user_agent_permissions::ActiveModel {
        id: Set(seed_id("user_agent_permissions", "user1/health-advisor")),
        user_id: Set(core.user_one),
        agent_id: Set(core.health_advisor),
        granted_by: Set(Some("admin@cjhirashi.com".into())),
        granted_at: Set(seeded_at()),
        ..Default::default()
    };
    let conflict = [
        user_agent_permissions::Column::UserId,
        user_agent_permissions::Column::AgentId,
    ];
    insert_if_absent(db, summary, grant, conflict)
        .await
        .context("insert agent grant")
}
