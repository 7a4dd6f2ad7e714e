//! Entity for `verification_tokens`: one-time e-mail verification / sign-in tokens.

use sea_orm::entity::prelude::*;

/// The table has no primary key in the database (only the unique indexes
/// `verification_tokens_token_key` and `verification_tokens_identifier_token_key`);
/// the entity declares (`identifier`, `token`) as its composite key.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "verification_tokens", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(255))"
    )]
    pub identifier: String,
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(500))",
        unique
    )]
    pub token: String,
    pub expires: DateTime,
}

impl ActiveModelBehavior for ActiveModel {}
