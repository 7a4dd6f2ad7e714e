//! The deliberate exceptions to the migration lint: one entry per migration and rule, each
//! with the reason it is safe. An entry that no longer matches a violation fails the lint.

use super::Rule;

/// A rule a migration may break, and why that is safe.
#[derive(Debug, Clone, Copy)]
pub struct Allow {
    /// The migration's name (its file stem).
    pub migration: &'static str,
    /// The rule, `Rule::Squawk(Squawk::BanDropColumn)` or one of ours.
    pub rule: Rule,
    /// Why it is safe, in one sentence; say it in a comment above the entry too.
    pub reason: &'static str,
}

/// The exceptions of this repository's migrations.
pub const ALLOWED: &[Allow] = &[];
