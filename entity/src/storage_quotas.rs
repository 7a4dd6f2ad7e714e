//! Entity for `storage_quotas`: a user's storage limits and current usage.

use super::sea_orm_active_enums::SubscriptionTier;
use sea_orm::entity::prelude::*;

/// `usedStorage` and `fileCount` are kept exact by a trigger on `storage_files`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "storage_quotas", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub user_id: Uuid,
    pub max_storage: i64,
    pub used_storage: i64,
    pub max_file_size: i64,
    pub max_files: i32,
    pub file_count: i32,
    pub subscription_tier: SubscriptionTier,
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
