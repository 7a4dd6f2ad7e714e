//! SeaORM 2.0 entities (dense `#[sea_orm::model]` format) for the platform database, one module per table.
//!
//! Column names are the DDL's quoted camelCase names (each model uses
//! `rename_all = "camelCase"`; the few snake_case OAuth columns of `accounts`
//! override it), and every foreign key is declared as a relation on both sides.

pub mod prelude;
pub mod sea_orm_active_enums;

// Phase 1 — core MVP (schema `public`).
// Identity and access.
pub mod accounts;
pub mod auth_sessions;
pub mod invitations;
pub mod users;
pub mod verification_tokens;
// Agents and conversations.
pub mod agents;
pub mod artifacts;
pub mod chat_sessions;
pub mod conversations;
pub mod messages;
pub mod user_agent_permissions;
// Usage metering and auditing.
pub mod audit_logs;
pub mod monthly_usage;
pub mod usage_alerts;
pub mod usage_logs;

// Phase 2 — support, storage, tags (schema `public`).
// (phase 2 modules)

// Phase 3 — health and finance: one module per database schema, tables inside
// (`#[sea_orm(schema_name = "health")]`).
pub mod finance;
pub mod health;

// Phase 4 — RAG and MCP integrations (schema `public`).
// (phase 4 modules)
