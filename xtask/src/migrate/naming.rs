//! The names new migrations and phases take: snake_case stems, dated today.

use anyhow::bail;

/// Today's date as migration file names carry it, `YYYYMMDD`.
pub(super) fn today() -> String {
    chrono::Utc::now().format("%Y%m%d").to_string()
}

/// A migration's name is a snake_case verb and noun: it becomes the file's stem, which
/// SeaORM records as the migration's name, so it can never change once applied.
pub(super) fn check_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty()
        || !name.starts_with(|c: char| c.is_ascii_lowercase())
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        bail!("--name {name:?}: use a snake_case verb and noun, e.g. --name add_user_bio");
    }
    Ok(())
}
