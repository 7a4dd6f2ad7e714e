//! Every entity under its PascalCase table name, plus the active enums.

// Phase 1 — core MVP (schema `public`).
pub use super::accounts::Entity as Accounts;
pub use super::agents::Entity as Agents;
pub use super::artifacts::Entity as Artifacts;
pub use super::audit_logs::Entity as AuditLogs;
pub use super::auth_sessions::Entity as AuthSessions;
pub use super::chat_sessions::Entity as ChatSessions;
pub use super::conversations::Entity as Conversations;
pub use super::invitations::Entity as Invitations;
pub use super::messages::Entity as Messages;
pub use super::monthly_usage::Entity as MonthlyUsage;
pub use super::usage_alerts::Entity as UsageAlerts;
pub use super::usage_logs::Entity as UsageLogs;
pub use super::user_agent_permissions::Entity as UserAgentPermissions;
pub use super::users::Entity as Users;
pub use super::verification_tokens::Entity as VerificationTokens;

// Phase 2 — support, storage, tags (schema `public`).
// (phase 2 entities)

// Phase 3 entities are reached through `entity::health` and `entity::finance`.

// Phase 4 — RAG and MCP integrations (schema `public`).
// (phase 4 entities)

pub use super::sea_orm_active_enums::*;
