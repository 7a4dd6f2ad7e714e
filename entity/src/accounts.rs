//! Entity for `accounts`: OAuth provider accounts linked to a user (Auth.js layout).

use sea_orm::entity::prelude::*;

/// The token columns keep the OAuth snake_case names, so they override `rename_all`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub r#type: String,
    #[sea_orm(
        column_type = "String(StringLen::N(100))",
        unique_key = "provider_account"
    )]
    pub provider: String,
    #[sea_orm(
        column_type = "String(StringLen::N(255))",
        unique_key = "provider_account"
    )]
    pub provider_account_id: String,
    #[sea_orm(column_name = "refresh_token", column_type = "Text", nullable)]
    pub refresh_token: Option<String>,
    #[sea_orm(column_name = "access_token", column_type = "Text", nullable)]
    pub access_token: Option<String>,
    #[sea_orm(column_name = "expires_at")]
    pub expires_at: Option<i32>,
    #[sea_orm(
        column_name = "token_type",
        column_type = "String(StringLen::N(50))",
        nullable
    )]
    pub token_type: Option<String>,
    #[sea_orm(column_name = "scope", column_type = "Text", nullable)]
    pub scope: Option<String>,
    #[sea_orm(column_name = "id_token", column_type = "Text", nullable)]
    pub id_token: Option<String>,
    #[sea_orm(
        column_name = "session_state",
        column_type = "String(StringLen::N(255))",
        nullable
    )]
    pub session_state: Option<String>,
    pub created_at: DateTime,
    pub updated_at: DateTime,

    #[sea_orm(
        belongs_to,
        from = "user_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub user: BelongsTo<super::users::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
