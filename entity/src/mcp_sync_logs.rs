//! Entity for `mcp_sync_logs`: one sync run of an MCP integration (append-only, no timestamps
//! besides its own start and finish).

use super::sea_orm_active_enums::SyncStatus;
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mcp_sync_logs", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub integration_id: Uuid,
    pub status: SyncStatus,
    pub items_synced: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub error_message: Option<String>,
    pub started_at: DateTime,
    pub finished_at: Option<DateTime>,
    pub duration_ms: Option<i32>,

    /// The integration that ran (`integrationId`).
    #[sea_orm(
        belongs_to,
        from = "integration_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub integration: BelongsTo<super::mcp_integrations::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
