//! The deliberate exceptions to the migration lint: one entry per migration and rule, each
//! with the reason it is safe. An entry that no longer matches a violation fails the lint.

use super::{Rule, Squawk};

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
pub const ALLOWED: &[Allow] = &[
    // Phase 5 drops the row-level counter function only after dropping the one trigger that
    // called it, in the same transaction; no client calls a trigger function directly.
    Allow {
        migration: "m20261130_000401_replace_conversation_counter_triggers",
        rule: Rule::Squawk(Squawk::BanDropFunction),
        reason: "the replaced trigger function is dropped with the only trigger that used it",
    },
    // The same for the storage quota's trigger function.
    Allow {
        migration: "m20261130_000402_replace_storage_quota_triggers",
        rule: Rule::Squawk(Squawk::BanDropFunction),
        reason: "the replaced trigger function is dropped with the only trigger that used it",
    },
    // Phase 7's audit triggers write entries that no admin made; every reader of "adminId"
    // is this workspace's (the entity turned Option in the same change), and the seed's and
    // admins' own entries still set it.
    Allow {
        migration: "m20261201_000604_extend_audit_logs",
        rule: Rule::Squawk(Squawk::BanDropNotNull),
        reason: "automatic audit entries have no admin; the entity reads adminId as optional",
    },
    // The CHECK ("userId" IS NOT NULL) that let SET NOT NULL skip its scan is dropped in the
    // same transaction, after the column's own NOT NULL gives the same guarantee.
    Allow {
        migration: "m20261206_000714_require_messages_owner",
        rule: Rule::Squawk(Squawk::BanDropConstraint),
        reason: "the dropped check is the column's NOT NULL, set just before in the same transaction",
    },
];
