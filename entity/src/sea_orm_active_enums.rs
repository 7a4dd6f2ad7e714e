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

// (phase 2 enums)

// ---------------------------------------------------------------------------
// Phase 4 — RAG and MCP integrations (schema `public`)
// ---------------------------------------------------------------------------

// (phase 4 enums)
