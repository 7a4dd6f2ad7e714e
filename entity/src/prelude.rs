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
pub use super::artifact_tags::Entity as ArtifactTags;
pub use super::conversation_tags::Entity as ConversationTags;
pub use super::file_access_logs::Entity as FileAccessLogs;
pub use super::file_shares::Entity as FileShares;
pub use super::storage_file_tags::Entity as StorageFileTags;
pub use super::storage_files::Entity as StorageFiles;
pub use super::storage_folders::Entity as StorageFolders;
pub use super::storage_quotas::Entity as StorageQuotas;
pub use super::support_messages::Entity as SupportMessages;
pub use super::support_tickets::Entity as SupportTickets;
pub use super::tags::Entity as Tags;

// Phase 3 entities are reached through `entity::health` and `entity::finance`.

// Phase 4 — RAG and MCP integrations (schema `public`).
pub use super::mcp_integrations::Entity as McpIntegrations;
pub use super::mcp_sync_logs::Entity as McpSyncLogs;
pub use super::rag_chunks::Entity as RagChunks;
pub use super::rag_documents::Entity as RagDocuments;
pub use super::rag_settings::Entity as RagSettings;

pub use super::sea_orm_active_enums::*;
