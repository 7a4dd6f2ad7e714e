//! SeaORM 2.0 entities (dense `#[sea_orm::model]` format) for the platform database, one module per table.
//!
//! Column names are the DDL's quoted camelCase names (each model uses
//! `rename_all = "camelCase"`; the few snake_case OAuth columns of `accounts`
//! override it), and every foreign key is declared as a relation on both sides.

pub mod prelude;
pub mod sea_orm_active_enums;
pub mod sealed;

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
// Support.
pub mod support_messages;
pub mod support_tickets;
// Storage.
pub mod file_access_logs;
pub mod file_shares;
pub mod storage_files;
pub mod storage_folders;
pub mod storage_quotas;
// Tags.
pub mod artifact_tags;
pub mod conversation_tags;
pub mod storage_file_tags;
pub mod tags;

// Phase 3 — health and finance: one module per database schema, tables inside
// (`#[sea_orm(schema_name = "health")]`).
pub mod finance;
pub mod health;

// Phase 4 — RAG and MCP integrations (schema `public`).
pub mod mcp_integrations;
pub mod mcp_sync_logs;
pub mod rag_chunks;
pub mod rag_documents;
pub mod rag_settings;
