//! The `prod` profile: the super admin, and nothing else.

use anyhow::{Context, bail};
use entity::sea_orm_active_enums::{SubscriptionTier, UserRole};
use entity::users;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement,
};

use crate::{SUPER_ADMIN_EMAIL_VAR, Summary, insert::insert_if_absent, seed_id};

pub const TABLES: &[&str] = &["users"];

/// Longest address SMTP carries (RFC 5321), and longest part before the `@`.
const MAX_EMAIL: usize = 254;
const MAX_LOCAL: usize = 64;

/// Seeds the super admin `email`, unless a super admin exists already and `add` is false:
/// re-running a deploy script with another address must not create a second one.
pub async fn seed<C: ConnectionTrait>(db: &C, email: &str, add: bool) -> anyhow::Result<Summary> {
    let email = valid_email(email)?;
    // Two deploys seeding at once must not both find no super admin and both add one.
    db.execute_unprepared("SELECT pg_advisory_xact_lock(hashtext('agents-db seed super admin'))")
        .await
        .context("take the super admin lock")?;
    let admins = super_admins(db).await?;
    let mut summary = Summary::default();
    if admins.contains(&email) {
        summary.present += 1;
        return Ok(summary);
    }
    if !admins.is_empty() && !add {
        eprintln!(
            "seed: a super admin exists already, so {email} was not added \
             (pass --add-super-admin to add another)"
        );
        summary.present += 1;
        return Ok(summary);
    }
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

/// The emails of the super admins, if any.
async fn super_admins<C: ConnectionTrait>(db: &C) -> anyhow::Result<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT email FROM users WHERE role = 'SUPER_ADMIN' ORDER BY email",
        ))
        .await
        .context("look up super admins")?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "email").map_err(Into::into))
        .collect()
}

/// The super admin's email, trimmed and lowercased, or one line saying what is wrong with it
/// (without echoing it: it may hold control characters).
pub fn valid_email(raw: &str) -> anyhow::Result<String> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        bail!(
            "{SUPER_ADMIN_EMAIL_VAR} is not set: set it to the super admin's email for the prod \
             profile, e.g. {SUPER_ADMIN_EMAIL_VAR}=admin@example.com"
        );
    }
    if let Some(reason) = email_problem(&email) {
        bail!(
            "{SUPER_ADMIN_EMAIL_VAR} is not a valid email address ({reason}): set it to the \
             super admin's email, e.g. {SUPER_ADMIN_EMAIL_VAR}=admin@example.com"
        );
    }
    Ok(email)
}

/// What makes `email` (trimmed, lowercased) unfit as an address, if anything.
fn email_problem(email: &str) -> Option<&'static str> {
    if email
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '`'))
    {
        return Some("it holds whitespace, a quote or a control character");
    }
    if email.chars().count() > MAX_EMAIL {
        return Some("it is longer than 254 characters");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Some("it must hold exactly one @");
    };
    if domain.contains('@') {
        return Some("it must hold exactly one @");
    }
    if local.is_empty() {
        return Some("nothing comes before the @");
    }
    if local.chars().count() > MAX_LOCAL {
        return Some("the part before the @ is longer than 64 characters");
    }
    let atext = |c: char| c.is_alphanumeric() || ".!#$%&*+/=?^_{|}~-".contains(c);
    if !local.chars().all(atext) || local.split('.').any(str::is_empty) {
        return Some(
            "the part before the @ may hold letters, digits and .!#$%&*+/=?^_{|}~- only, \
             with no leading, trailing or double dot",
        );
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.chars().count() <= 63
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if !domain.contains('.') || !domain.split('.').all(label_ok) {
        return Some("the part after the @ must be a domain with a dot, as in example.com");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_pass_lowercased() {
        assert_eq!(
            valid_email(" Root.Admin+ops@Example.co.uk ").unwrap(),
            "root.admin+ops@example.co.uk"
        );
        assert_eq!(valid_email("émile@exemple.fr").unwrap(), "émile@exemple.fr");
    }

    #[test]
    fn bad_addresses_are_one_line_that_names_the_problem() {
        let reason = |raw: &str| {
            let err = valid_email(raw).unwrap_err().to_string();
            assert!(!err.contains('\n'), "{err}");
            err
        };
        for (raw, why) in [
            ("@", "nothing comes before the @"),
            ("a@", "must be a domain with a dot"),
            ("a@b", "must be a domain with a dot"),
            ("a@b@c", "exactly one @"),
            ("admin", "exactly one @"),
            ("x'; DROP TABLE users;--@x.com", "whitespace, a quote"),
            ("a;b@x.com", "letters, digits"),
            ("<script>@x.com", "letters, digits"),
            ("a..b@x.com", "double dot"),
            ("a@-x.com", "must be a domain"),
            ("a\u{7}b@x.com", "control character"),
        ] {
            let err = reason(raw);
            assert!(err.contains(why), "{raw:?}: {err}");
            assert!(
                err.starts_with("SEED_SUPER_ADMIN_EMAIL is not a valid email address ("),
                "{err}"
            );
        }
        let long = format!("{}@example.com", "a".repeat(65));
        assert!(reason(&long).contains("longer than 64"));
        let longer = format!("a@{}.com", "b.".repeat(130));
        assert!(reason(&longer).contains("longer than 254"));
        assert!(reason("  ").contains("is not set"));
    }
}
