//! Phase 1: users and their sign-in records (accounts, sessions, verification tokens, invitations).

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{
    fk, index, pg_enum, pkey, timestamp3, timestamp3_now, timestamp3_null, unique_index, uuid_id,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(uuid_id(Users::Id))
                    .col(string_len(Users::Email, 255))
                    .col(timestamp3_null(Users::EmailVerified))
                    .col(string_len_null(Users::Name, 255))
                    .col(string_len_null(Users::DisplayName, 255))
                    .col(string_len_null(Users::Avatar, 500))
                    .col(date_null(Users::DateOfBirth))
                    .col(string_len(Users::Timezone, 100).default("America/Mexico_City"))
                    .col(string_len(Users::Language, 10).default("es"))
                    .col(text_null(Users::Bio))
                    .col(pg_enum(Users::Role, &UserRole).default("USER"))
                    .col(json_binary_null(Users::Permissions))
                    .col(boolean(Users::IsActive).default(true))
                    .col(json_binary_null(Users::PersonalityProfile))
                    .col(timestamp3_null(Users::AiProfileLastUpdate))
                    .col(pg_enum(Users::SubscriptionTier, &SubscriptionTier).default("FREE"))
                    .col(string_len_null(Users::SubscriptionId, 255))
                    .col(timestamp3_null(Users::SubscriptionStart))
                    .col(timestamp3_null(Users::SubscriptionEnd))
                    .col(json_binary_null(Users::CustomLimits))
                    .col(integer(Users::TotalMessages).default(0))
                    .col(big_integer(Users::TotalTokensUsed).default(0))
                    .col(integer(Users::MonthlyMessages).default(0))
                    .col(big_integer(Users::MonthlyTokens).default(0))
                    .col(timestamp3_now(Users::LastResetAt))
                    .col(timestamp3_null(Users::LastInteraction))
                    .col(timestamp3_now(Users::CreatedAt))
                    .col(timestamp3_now(Users::UpdatedAt))
                    .primary_key(&mut pkey(&Users::Table, Users::Id))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(uuid_id(Accounts::Id))
                    .col(uuid(Accounts::UserId))
                    .col(string_len(Accounts::Type, 50))
                    .col(string_len(Accounts::Provider, 100))
                    .col(string_len(Accounts::ProviderAccountId, 255))
                    .col(text_null(Accounts::RefreshToken))
                    .col(text_null(Accounts::AccessToken))
                    .col(integer_null(Accounts::ExpiresAt))
                    .col(string_len_null(Accounts::TokenType, 50))
                    .col(text_null(Accounts::Scope))
                    .col(text_null(Accounts::IdToken))
                    .col(string_len_null(Accounts::SessionState, 255))
                    .col(timestamp3_now(Accounts::CreatedAt))
                    .col(timestamp3_now(Accounts::UpdatedAt))
                    .primary_key(&mut pkey(&Accounts::Table, Accounts::Id))
                    .foreign_key(&mut fk(
                        Accounts::Table,
                        Accounts::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuthSessions::Table)
                    .col(uuid_id(AuthSessions::Id))
                    .col(string_len(AuthSessions::SessionToken, 500))
                    .col(uuid(AuthSessions::UserId))
                    .col(timestamp3(AuthSessions::Expires))
                    .primary_key(&mut pkey(&AuthSessions::Table, AuthSessions::Id))
                    .foreign_key(&mut fk(
                        AuthSessions::Table,
                        AuthSessions::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        // The seed gives this table no primary key; its two unique indexes below identify rows.
        manager
            .create_table(
                Table::create()
                    .table(VerificationTokens::Table)
                    .col(string_len(VerificationTokens::Identifier, 255))
                    .col(string_len(VerificationTokens::Token, 500))
                    .col(timestamp3(VerificationTokens::Expires))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .col(uuid_id(Invitations::Id))
                    .col(string_len(Invitations::Email, 255))
                    .col(string_len(Invitations::Token, 500))
                    .col(pg_enum(Invitations::Role, &UserRole))
                    .col(pg_enum(Invitations::Status, &InvitationStatus).default("PENDING"))
                    .col(uuid(Invitations::InvitedBy))
                    .col(timestamp3(Invitations::ExpiresAt))
                    .col(timestamp3_null(Invitations::AcceptedAt))
                    .col(timestamp3_now(Invitations::CreatedAt))
                    .primary_key(&mut pkey(&Invitations::Table, Invitations::Id))
                    .foreign_key(&mut fk(
                        Invitations::Table,
                        Invitations::InvitedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        let indexes = [
            unique_index("users_email_key", Users::Table)
                .col(Users::Email)
                .to_owned(),
            index("users_role_idx", Users::Table)
                .col(Users::Role)
                .to_owned(),
            index("users_subscription_tier_idx", Users::Table)
                .col(Users::SubscriptionTier)
                .to_owned(),
            index("users_last_interaction_idx", Users::Table)
                .col((Users::LastInteraction, IndexOrder::Desc))
                .to_owned(),
            unique_index("accounts_provider_providerAccountId_key", Accounts::Table)
                .col(Accounts::Provider)
                .col(Accounts::ProviderAccountId)
                .to_owned(),
            index("accounts_userId_idx", Accounts::Table)
                .col(Accounts::UserId)
                .to_owned(),
            unique_index("auth_sessions_sessionToken_key", AuthSessions::Table)
                .col(AuthSessions::SessionToken)
                .to_owned(),
            index("auth_sessions_userId_idx", AuthSessions::Table)
                .col(AuthSessions::UserId)
                .to_owned(),
            unique_index("verification_tokens_token_key", VerificationTokens::Table)
                .col(VerificationTokens::Token)
                .to_owned(),
            unique_index(
                "verification_tokens_identifier_token_key",
                VerificationTokens::Table,
            )
            .col(VerificationTokens::Identifier)
            .col(VerificationTokens::Token)
            .to_owned(),
            unique_index("invitations_token_key", Invitations::Table)
                .col(Invitations::Token)
                .to_owned(),
            index("invitations_email_idx", Invitations::Table)
                .col(Invitations::Email)
                .to_owned(),
            index("invitations_invitedBy_idx", Invitations::Table)
                .col(Invitations::InvitedBy)
                .to_owned(),
        ];
        for stmt in indexes {
            manager.create_index(stmt).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping a table drops its indexes and foreign keys; referencing tables go first.
        for table in [
            Invitations::Table.into_iden(),
            VerificationTokens::Table.into_iden(),
            AuthSessions::Table.into_iden(),
            Accounts::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
#[sea_orm(iden = "UserRole")]
struct UserRole;

#[derive(DeriveIden)]
#[sea_orm(iden = "SubscriptionTier")]
struct SubscriptionTier;

#[derive(DeriveIden)]
#[sea_orm(iden = "InvitationStatus")]
struct InvitationStatus;

#[derive(DeriveIden)]
enum Users {
    #[sea_orm(iden = "users")]
    Table,
    Id,
    Email,
    #[sea_orm(iden = "emailVerified")]
    EmailVerified,
    Name,
    #[sea_orm(iden = "displayName")]
    DisplayName,
    Avatar,
    #[sea_orm(iden = "dateOfBirth")]
    DateOfBirth,
    Timezone,
    Language,
    Bio,
    Role,
    Permissions,
    #[sea_orm(iden = "isActive")]
    IsActive,
    #[sea_orm(iden = "personalityProfile")]
    PersonalityProfile,
    #[sea_orm(iden = "aiProfileLastUpdate")]
    AiProfileLastUpdate,
    #[sea_orm(iden = "subscriptionTier")]
    SubscriptionTier,
    #[sea_orm(iden = "subscriptionId")]
    SubscriptionId,
    #[sea_orm(iden = "subscriptionStart")]
    SubscriptionStart,
    #[sea_orm(iden = "subscriptionEnd")]
    SubscriptionEnd,
    #[sea_orm(iden = "customLimits")]
    CustomLimits,
    #[sea_orm(iden = "totalMessages")]
    TotalMessages,
    #[sea_orm(iden = "totalTokensUsed")]
    TotalTokensUsed,
    #[sea_orm(iden = "monthlyMessages")]
    MonthlyMessages,
    #[sea_orm(iden = "monthlyTokens")]
    MonthlyTokens,
    #[sea_orm(iden = "lastResetAt")]
    LastResetAt,
    #[sea_orm(iden = "lastInteraction")]
    LastInteraction,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    #[sea_orm(iden = "accounts")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    Type,
    Provider,
    #[sea_orm(iden = "providerAccountId")]
    ProviderAccountId,
    // The OAuth token fields keep the seed's snake_case names, the provider's spelling.
    RefreshToken,
    AccessToken,
    ExpiresAt,
    TokenType,
    Scope,
    IdToken,
    SessionState,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuthSessions {
    #[sea_orm(iden = "auth_sessions")]
    Table,
    Id,
    #[sea_orm(iden = "sessionToken")]
    SessionToken,
    #[sea_orm(iden = "userId")]
    UserId,
    Expires,
}

#[derive(DeriveIden)]
enum VerificationTokens {
    #[sea_orm(iden = "verification_tokens")]
    Table,
    Identifier,
    Token,
    Expires,
}

#[derive(DeriveIden)]
enum Invitations {
    #[sea_orm(iden = "invitations")]
    Table,
    Id,
    Email,
    Token,
    Role,
    Status,
    #[sea_orm(iden = "invitedBy")]
    InvitedBy,
    #[sea_orm(iden = "expiresAt")]
    ExpiresAt,
    #[sea_orm(iden = "acceptedAt")]
    AcceptedAt,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
}
