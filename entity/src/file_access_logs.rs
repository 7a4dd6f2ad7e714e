//! Entity for `file_access_logs`: who did what to a file, and when.

use super::sea_orm_active_enums::FileAction;
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "file_access_logs", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub file_id: Uuid,
    pub user_id: Option<Uuid>,
    pub action: FileAction,
    /// PostgreSQL `INET`.
    pub ip_address: Option<IpNetwork>,
    #[sea_orm(column_type = "String(StringLen::N(500))", nullable)]
    pub user_agent: Option<String>,
    pub timestamp: DateTime,

    #[sea_orm(
        belongs_to,
        from = "file_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub file: BelongsTo<super::storage_files::Entity>,
    /// Who accessed the file (`userId`); none for anonymous or deleted users.
    #[sea_orm(
        belongs_to,
        from = "user_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    pub user: BelongsTo<Option<super::users::Entity>>,
}

impl ActiveModelBehavior for ActiveModel {}
