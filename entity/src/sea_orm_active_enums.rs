//! PostgreSQL enum types of the platform schema, mapped with `DeriveActiveEnum`.
//!
//! Each enum maps to the quoted PascalCase type of the DDL (`"UserRole"`, …); the
//! variants follow the DDL's label order and carry its UPPER_CASE labels verbatim.

use sea_orm::entity::prelude::*;

// ---------------------------------------------------------------------------
// Phase 1 — core MVP (schema `public`)
// ---------------------------------------------------------------------------

/// `"UserRole"`: a user's role on the platform (`users.role`, `invitations.role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "UserRole")]
pub enum UserRole {
    #[sea_orm(string_value = "SUPER_ADMIN")]
    SuperAdmin,
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    #[sea_orm(string_value = "INVITED_AGENT")]
    InvitedAgent,
    #[sea_orm(string_value = "INVITED_STORAGE")]
    InvitedStorage,
    #[sea_orm(string_value = "SUBSCRIBER")]
    Subscriber,
    #[sea_orm(string_value = "MANAGER")]
    Manager,
    #[sea_orm(string_value = "DEVELOPER")]
    Developer,
    #[sea_orm(string_value = "USER")]
    User,
    #[sea_orm(string_value = "GUEST")]
    Guest,
}

/// `"SubscriptionTier"`: a user's subscription plan (`users.subscriptionTier`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "SubscriptionTier")]
pub enum SubscriptionTier {
    #[sea_orm(string_value = "FREE")]
    Free,
    #[sea_orm(string_value = "BASIC")]
    Basic,
    #[sea_orm(string_value = "PRO")]
    Pro,
    #[sea_orm(string_value = "ENTERPRISE")]
    Enterprise,
    #[sea_orm(string_value = "CUSTOM")]
    Custom,
    #[sea_orm(string_value = "UNLIMITED")]
    Unlimited,
}

/// `"InvitationStatus"`: lifecycle of an invitation (`invitations.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "InvitationStatus")]
pub enum InvitationStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// `"AlertType"`: kind of usage alert (`usage_alerts.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "AlertType")]
pub enum AlertType {
    #[sea_orm(string_value = "APPROACHING_LIMIT")]
    ApproachingLimit,
    #[sea_orm(string_value = "LIMIT_WARNING")]
    LimitWarning,
    #[sea_orm(string_value = "LIMIT_EXCEEDED")]
    LimitExceeded,
    #[sea_orm(string_value = "UNUSUAL_ACTIVITY")]
    UnusualActivity,
}

// ---------------------------------------------------------------------------
// Phase 2 — support, storage, tags (schema `public`)
// ---------------------------------------------------------------------------

/// `"TicketCategory"`: a support ticket's subject area (`support_tickets.category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "TicketCategory")]
pub enum TicketCategory {
    #[sea_orm(string_value = "BUG")]
    Bug,
    #[sea_orm(string_value = "FEATURE")]
    Feature,
    #[sea_orm(string_value = "QUESTION")]
    Question,
    #[sea_orm(string_value = "ACCOUNT")]
    Account,
    #[sea_orm(string_value = "BILLING")]
    Billing,
    #[sea_orm(string_value = "PERFORMANCE")]
    Performance,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// `"TicketPriority"`: how urgent a support ticket is (`support_tickets.priority`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "TicketPriority")]
pub enum TicketPriority {
    #[sea_orm(string_value = "LOW")]
    Low,
    #[sea_orm(string_value = "MEDIUM")]
    Medium,
    #[sea_orm(string_value = "HIGH")]
    High,
    #[sea_orm(string_value = "URGENT")]
    Urgent,
}

/// `"TicketStatus"`: lifecycle of a support ticket (`support_tickets.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "TicketStatus")]
pub enum TicketStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "IN_PROGRESS")]
    InProgress,
    #[sea_orm(string_value = "WAITING_USER")]
    WaitingUser,
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// `"StorageProvider"`: where a file's bytes live (`storage_files.storageProvider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "StorageProvider")]
pub enum StorageProvider {
    #[sea_orm(string_value = "VERCEL_BLOB")]
    VercelBlob,
    #[sea_orm(string_value = "LOCAL")]
    Local,
    #[sea_orm(string_value = "AWS_S3")]
    AwsS3,
    #[sea_orm(string_value = "CLOUDFLARE_R2")]
    CloudflareR2,
}

/// `"FileAccessLevel"`: who may read a file (`storage_files.accessLevel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "FileAccessLevel")]
pub enum FileAccessLevel {
    #[sea_orm(string_value = "PRIVATE")]
    Private,
    #[sea_orm(string_value = "INTERNAL")]
    Internal,
    #[sea_orm(string_value = "PUBLIC")]
    Public,
    #[sea_orm(string_value = "SHARED")]
    Shared,
}

/// `"FileUsageContext"`: what a file is used for (`storage_files.usageContext`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "FileUsageContext")]
pub enum FileUsageContext {
    #[sea_orm(string_value = "THEME")]
    Theme,
    #[sea_orm(string_value = "AVATAR")]
    Avatar,
    #[sea_orm(string_value = "TICKET")]
    Ticket,
    #[sea_orm(string_value = "ARTIFACT")]
    Artifact,
    #[sea_orm(string_value = "HEALTH")]
    Health,
    #[sea_orm(string_value = "FINANCE")]
    Finance,
    #[sea_orm(string_value = "BACKUP")]
    Backup,
    #[sea_orm(string_value = "TEMP")]
    Temp,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// `"FileAction"`: what was done to a file (`file_access_logs.action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "FileAction")]
pub enum FileAction {
    #[sea_orm(string_value = "UPLOAD")]
    Upload,
    #[sea_orm(string_value = "DOWNLOAD")]
    Download,
    #[sea_orm(string_value = "VIEW")]
    View,
    #[sea_orm(string_value = "DELETE")]
    Delete,
    #[sea_orm(string_value = "SHARE")]
    Share,
    #[sea_orm(string_value = "UPDATE")]
    Update,
}

/// `"ShareType"`: how a file is shared (`file_shares.shareType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "ShareType")]
pub enum ShareType {
    #[sea_orm(string_value = "LINK")]
    Link,
    #[sea_orm(string_value = "EMAIL")]
    Email,
    #[sea_orm(string_value = "USER")]
    User,
}

// ---------------------------------------------------------------------------
// Phase 4 — RAG and MCP integrations (schema `public`)
// ---------------------------------------------------------------------------

/// `"DocumentStatus"`: where a RAG document is in indexing (`rag_documents.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "DocumentStatus")]
pub enum DocumentStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "PROCESSING")]
    Processing,
    #[sea_orm(string_value = "INDEXED")]
    Indexed,
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// `"IntegrationProvider"`: the outside service of an MCP integration
/// (`mcp_integrations.provider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "Enum",
    enum_name = "IntegrationProvider"
)]
pub enum IntegrationProvider {
    #[sea_orm(string_value = "GMAIL")]
    Gmail,
    #[sea_orm(string_value = "GOOGLE_CALENDAR")]
    GoogleCalendar,
    #[sea_orm(string_value = "GOOGLE_DRIVE")]
    GoogleDrive,
    #[sea_orm(string_value = "NOTION")]
    Notion,
    #[sea_orm(string_value = "SLACK")]
    Slack,
    #[sea_orm(string_value = "GITHUB")]
    Github,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// `"IntegrationStatus"`: whether an MCP integration may sync (`mcp_integrations.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "IntegrationStatus")]
pub enum IntegrationStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "PAUSED")]
    Paused,
    #[sea_orm(string_value = "ERROR")]
    Error,
    #[sea_orm(string_value = "REVOKED")]
    Revoked,
}

/// `"SyncStatus"`: the outcome of one sync run (`mcp_sync_logs.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "SyncStatus")]
pub enum SyncStatus {
    #[sea_orm(string_value = "STARTED")]
    Started,
    #[sea_orm(string_value = "SUCCESS")]
    Success,
    #[sea_orm(string_value = "PARTIAL")]
    Partial,
    #[sea_orm(string_value = "FAILED")]
    Failed,
}
