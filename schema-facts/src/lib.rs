//! Facts about the platform's schema that migration, dbcheck, seed and the smoke tests share.
//!
//! The schema itself is what the migrations say; this crate only names its parts, so that a
//! new schema or phase is added in one place. It has no dependencies, so every crate,
//! including the shipped `migration` binary and the read-only `dbcheck`, can read it.

/// The database schemas the project owns, `public` first.
pub const SCHEMAS: &[&str] = &["public", "health", "finance"];

/// The owned schemas that migrations create (everything in [`SCHEMAS`] but `public`); a reset
/// drops them whole.
pub const CREATED_SCHEMAS: &[&str] = &["health", "finance"];

/// The migrator's bookkeeping tables in `public`: SeaORM's `seaql_migrations`, the safe
/// deployer's checksums beside it, and the progress of batched backfills. They record
/// migration state, not the data model, so no check, snapshot or diagram includes them.
pub const BOOKKEEPING_TABLES: &[&str] = &[
    "seaql_migrations",
    "seaql_migrations_checksums",
    "seaql_backfills",
];

/// Tables in `public` whose rows never outlive the transaction that writes them: the counters'
/// pending changes, which the counter triggers fold into the counters before it commits
/// (phase 7). Every other session finds them empty, so no seed fills them.
pub const TRANSIENT_TABLES: &[&str] = &["counter_deltas"];

/// One feature area of the schema; its migrations live in `migration/src/phase<N>_<name>/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phase {
    /// The phase's position; phases are applied in ascending order.
    pub number: u8,
    /// The module name's suffix: `phase<number>_<name>`.
    pub name: &'static str,
    /// What the phase holds, for people (the ER diagram's headings).
    pub title: &'static str,
}

/// Every phase, in the order they are applied.
pub const PHASES: &[Phase] = &[
    Phase {
        number: 1,
        name: "core",
        title: "core (users, agents, conversations, usage)",
    },
    Phase {
        number: 2,
        name: "support_storage",
        title: "support, storage and tags",
    },
    Phase {
        number: 3,
        name: "health_finance",
        title: "health and finance",
    },
    Phase {
        number: 4,
        name: "rag_mcp",
        title: "RAG and MCP integrations",
    },
    Phase {
        number: 5,
        name: "counters",
        title: "exact derived counters",
    },
    Phase {
        number: 6,
        name: "hot_paths",
        title: "hot-path indexes and full-text search",
    },
    Phase {
        number: 7,
        name: "security",
        title: "security (row-level security everywhere, admin role, audit, encryption at rest)",
    },
    Phase {
        number: 8,
        name: "big_tenants",
        title: "big tenants",
    },
];

/// The names as a SQL list of string literals, `'a', 'b'`, for `IN (...)` conditions. The
/// names are this crate's constants, never user input.
pub fn sql_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_schemas_are_the_owned_ones_but_public() {
        assert_eq!(SCHEMAS[0], "public");
        assert_eq!(&SCHEMAS[1..], CREATED_SCHEMAS);
    }

    #[test]
    fn phases_are_numbered_in_ascending_order_from_one() {
        // Ascending, not contiguous: phase numbers are handed out to work in progress, so a
        // branch may carry phase 7 before phase 6 is merged beside it.
        assert_eq!(PHASES[0].number, 1);
        for pair in PHASES.windows(2) {
            assert!(pair[0].number < pair[1].number, "phase {}", pair[1].name);
        }
    }

    #[test]
    fn lists_render_as_sql_literals() {
        assert_eq!(sql_list(&["a", "b"]), "'a', 'b'");
    }
}
