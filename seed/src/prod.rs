//! The `prod` profile: the super admin, and nothing else.

use anyhow::{Context, bail};
use entity::sea_orm_active_enums::{SubscriptionTier, UserRole};
use entity::users;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::{SUPER_ADMIN_EMAIL_VAR, Summary, insert::insert_if_absent, seed_id};

pub const TABLES: &[&str] = &["users"];

pub async fn seed<C: ConnectionTrait>(db: &C, email: &str) -> anyhow::Result<Summary> {
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        bail!(
            "{SUPER_ADMIN_EMAIL_VAR} is not set: set it to the super admin's email for the prod profile"
        );
    }
    if !email.contains('@') || email.contains(char::is_whitespace) {
        bail!("{SUPER_ADMIN_EMAIL_VAR}={email} is not an email address");
    }
    let mut summary = Summary::default();
    let admin = users::ActiveModel {
        id: Set(seed_id("users", &email)),
        email: Set(email.clone()),
        role: Set(UserRole::SuperAdmin),
        subscription_tier: Set(SubscriptionTier::Unlimited),
        is_active: Set(true),
        ..Default::default()
    };
    insert_if_absent(db, &mut summary, admin, [users::Column::Email])
        .await
        .context("insert super admin")?;
    // An existing account keeps its data; say so when it is not the super admin we meant.
    let existing = users::Entity::find()
        .filter(users::Column::Email.eq(&email))
        .one(db)
        .await?;
    if let Some(user) = existing.filter(|u| u.role != UserRole::SuperAdmin) {
        eprintln!(
            "seed: {email} already exists with role {:?}; left unchanged",
            user.role
        );
    }
    Ok(summary)
}
