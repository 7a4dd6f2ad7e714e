//! Entity for `mcp_integrations`: a user's connection to an outside service, with OAuth tokens
//! stored only encrypted.

use super::sea_orm_active_enums::{IntegrationProvider, IntegrationStatus};
use sea_orm::entity::prelude::*;

/// The token columns hold sealed envelopes as bytes (`v1:<key id>:<base64>`, older rows a bare
/// nonce, ciphertext and tag), never plaintext: `crate::sealed::seal_token` and `open_token`
/// make and read them with the environment's keyring.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mcp_integrations", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique_key = "user_provider")]
    pub user_id: Uuid,
    #[sea_orm(unique_key = "user_provider")]
    pub provider: IntegrationProvider,
    pub status: IntegrationStatus,
    #[sea_orm(column_type = "VarBinary(StringLen::None)")]
    pub access_token_encrypted: Vec<u8>,
    #[sea_orm(column_type = "VarBinary(StringLen::None)", nullable)]
    pub refresh_token_encrypted: Option<Vec<u8>>,
    pub token_expires_at: Option<DateTime>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub scopes: Option<Json>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub config: Option<Json>,
    pub last_sync_at: Option<DateTime>,
    pub created_at: DateTime,
    pub updated_at: DateTime,

    /// The user who connected the service (`userId`).
    #[sea_orm(
        belongs_to,
        from = "user_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub user: BelongsTo<super::users::Entity>,
    /// The integration's sync runs.
    #[sea_orm(has_many)]
    pub mcp_sync_logs: HasMany<super::mcp_sync_logs::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
