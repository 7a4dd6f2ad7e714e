//! Entity for `users`: platform accounts, their role, subscription and usage counters.

use super::sea_orm_active_enums::{SubscriptionTier, UserRole};
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(255))", unique)]
    pub email: String,
    pub email_verified: Option<DateTime>,
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub name: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub display_name: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(500))", nullable)]
    pub avatar: Option<String>,
    pub date_of_birth: Option<Date>,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub timezone: String,
    #[sea_orm(column_type = "String(StringLen::N(10))")]
    pub language: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub bio: Option<String>,
    pub role: UserRole,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub permissions: Option<Json>,
    pub is_active: bool,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub personality_profile: Option<Json>,
    pub ai_profile_last_update: Option<DateTime>,
    pub subscription_tier: SubscriptionTier,
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub subscription_id: Option<String>,
    pub subscription_start: Option<DateTime>,
    pub subscription_end: Option<DateTime>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub custom_limits: Option<Json>,
    pub total_messages: i32,
    pub total_tokens_used: i64,
    pub monthly_messages: i32,
    pub monthly_tokens: i64,
    pub last_reset_at: DateTime,
    pub last_interaction: Option<DateTime>,
    pub created_at: DateTime,
    pub updated_at: DateTime,

    /// OAuth accounts linked to the user (`accounts.userId`).
    #[sea_orm(has_many)]
    pub accounts: HasMany<super::accounts::Entity>,
    /// Login sessions (`auth_sessions.userId`).
    #[sea_orm(has_many)]
    pub auth_sessions: HasMany<super::auth_sessions::Entity>,
    /// Invitations this user sent (`invitations.invitedBy`).
    #[sea_orm(has_many)]
    pub invitations: HasMany<super::invitations::Entity>,
    /// Agents this user created (`agents.createdBy`).
    #[sea_orm(has_many)]
    pub agents: HasMany<super::agents::Entity>,
    /// Chat sessions (`chat_sessions.userId`).
    #[sea_orm(has_many)]
    pub chat_sessions: HasMany<super::chat_sessions::Entity>,
    /// Agent access grants (`user_agent_permissions.userId`).
    #[sea_orm(has_many)]
    pub user_agent_permissions: HasMany<super::user_agent_permissions::Entity>,
    /// Per-request usage records (`usage_logs.userId`).
    #[sea_orm(has_many)]
    pub usage_logs: HasMany<super::usage_logs::Entity>,
    /// Monthly usage rollups (`monthly_usage.userId`).
    #[sea_orm(has_many)]
    pub monthly_usage: HasMany<super::monthly_usage::Entity>,
    /// Usage alerts (`usage_alerts.userId`).
    #[sea_orm(has_many)]
    pub usage_alerts: HasMany<super::usage_alerts::Entity>,
    /// Audit entries where this user acted as admin (`audit_logs.adminId`).
    #[sea_orm(has_many)]
    pub audit_logs: HasMany<super::audit_logs::Entity>,
    // (phase 2 relations)
    // (phase 3 relations)
    // (phase 4 relations)
}

impl ActiveModelBehavior for ActiveModel {}
