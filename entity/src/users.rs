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
    /// Support tickets this user opened (`support_tickets.userId`).
    #[sea_orm(
        has_many,
        relation_enum = "SupportTicketsOpened",
        via_rel = "Requester"
    )]
    pub support_tickets_opened: HasMany<super::support_tickets::Entity>,
    /// Support tickets assigned to this user (`support_tickets.assignedTo`).
    #[sea_orm(
        has_many,
        relation_enum = "SupportTicketsAssigned",
        via_rel = "Assignee"
    )]
    pub support_tickets_assigned: HasMany<super::support_tickets::Entity>,
    /// Support messages this user wrote (`support_messages.authorId`).
    #[sea_orm(has_many)]
    pub support_messages: HasMany<super::support_messages::Entity>,
    /// Storage folders (`storage_folders.userId`).
    #[sea_orm(has_many)]
    pub storage_folders: HasMany<super::storage_folders::Entity>,
    /// Stored files (`storage_files.userId`).
    #[sea_orm(has_many)]
    pub storage_files: HasMany<super::storage_files::Entity>,
    /// The storage quota, at most one (`storage_quotas.userId` is unique).
    #[sea_orm(has_one)]
    pub storage_quota: HasOne<super::storage_quotas::Entity>,
    /// File accesses by this user (`file_access_logs.userId`).
    #[sea_orm(has_many)]
    pub file_access_logs: HasMany<super::file_access_logs::Entity>,
    /// Shares this user created (`file_shares.sharedBy`).
    #[sea_orm(has_many, relation_enum = "FileSharesSent", via_rel = "Sharer")]
    pub file_shares_sent: HasMany<super::file_shares::Entity>,
    /// Files shared with this user (`file_shares.sharedWith`).
    #[sea_orm(has_many, relation_enum = "FileSharesReceived", via_rel = "Recipient")]
    pub file_shares_received: HasMany<super::file_shares::Entity>,
    /// Tags (`tags.userId`).
    #[sea_orm(has_many)]
    pub tags: HasMany<super::tags::Entity>,
    /// Health profile, at most one (`health.health_profiles.userId`).
    #[sea_orm(has_many)]
    pub health_profiles: HasMany<super::health::health_profiles::Entity>,
    /// Medical conditions (`health.medical_conditions.userId`).
    #[sea_orm(has_many)]
    pub medical_conditions: HasMany<super::health::medical_conditions::Entity>,
    /// Medications (`health.medications.userId`).
    #[sea_orm(has_many)]
    pub medications: HasMany<super::health::medications::Entity>,
    /// Medication doses (`health.medication_logs.userId`).
    #[sea_orm(has_many)]
    pub medication_logs: HasMany<super::health::medication_logs::Entity>,
    /// Allergies (`health.allergies.userId`).
    #[sea_orm(has_many)]
    pub allergies: HasMany<super::health::allergies::Entity>,
    /// Medical appointments (`health.medical_appointments.userId`).
    #[sea_orm(has_many)]
    pub medical_appointments: HasMany<super::health::medical_appointments::Entity>,
    /// Health measurements (`health.health_measurements.userId`).
    #[sea_orm(has_many)]
    pub health_measurements: HasMany<super::health::health_measurements::Entity>,
    /// Financial profile, at most one (`finance.financial_profiles.userId`).
    #[sea_orm(has_many)]
    pub financial_profiles: HasMany<super::finance::financial_profiles::Entity>,
    /// Financial accounts (`finance.financial_accounts.userId`).
    #[sea_orm(has_many)]
    pub financial_accounts: HasMany<super::finance::financial_accounts::Entity>,
    /// Recurring payments (`finance.recurring_payments.userId`).
    #[sea_orm(has_many)]
    pub recurring_payments: HasMany<super::finance::recurring_payments::Entity>,
    /// Transactions (`finance.transactions.userId`).
    #[sea_orm(has_many)]
    pub transactions: HasMany<super::finance::transactions::Entity>,
    /// Budgets (`finance.budgets.userId`).
    #[sea_orm(has_many)]
    pub budgets: HasMany<super::finance::budgets::Entity>,
    /// Debts (`finance.debts.userId`).
    #[sea_orm(has_many)]
    pub debts: HasMany<super::finance::debts::Entity>,
    /// Debt payments (`finance.debt_payments.userId`).
    #[sea_orm(has_many)]
    pub debt_payments: HasMany<super::finance::debt_payments::Entity>,
    /// Investments (`finance.investments.userId`).
    #[sea_orm(has_many)]
    pub investments: HasMany<super::finance::investments::Entity>,
    /// RAG documents the user owns (`rag_documents.userId`).
    #[sea_orm(has_many)]
    pub rag_documents: HasMany<super::rag_documents::Entity>,
    /// RAG settings (`rag_settings.userId`, one row per user).
    #[sea_orm(has_one)]
    pub rag_settings: HasOne<super::rag_settings::Entity>,
    /// Connected outside services (`mcp_integrations.userId`).
    #[sea_orm(has_many)]
    pub mcp_integrations: HasMany<super::mcp_integrations::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
