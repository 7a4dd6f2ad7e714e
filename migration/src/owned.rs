//! What the deployer must know of this project: its name on the server, its lock, the schemas
//! it owns, how its migrations group into phases, and the checks around `up`.

use deployer::{Group, Project};

/// This project, as [`crate::deployer`] gives it to the deployer.
pub fn project() -> Project {
    Project {
        application: "agents-db migrator",
        // "agnt" and 1: the key every earlier build of this migrator took, so old and new
        // binaries exclude each other.
        lock_key: (0x6167_6e74, 1),
        // `fresh` drops them whole, beside every table, type and function of `public`.
        owned_schemas: schema_facts::CREATED_SCHEMAS,
        group_of: |name| {
            crate::phase_of(name).map(|phase| Group {
                number: phase.number,
                name: phase.name,
            })
        },
        before_up: Some(|db, url| Box::pin(dbconn::require_pgvector(db, url))),
        verify: None,
        drop_extra: None,
    }
}

/// Drops everything the project owns, outside the deployer (its tests, and tools that reset a
/// scratch database they created).
pub async fn drop_all<C: sea_orm::ConnectionTrait>(db: &C) -> Result<(), sea_orm::DbErr> {
    deployer::owned::drop_all(db, schema_facts::CREATED_SCHEMAS).await
}
