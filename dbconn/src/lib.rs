//! Connecting to PostgreSQL, the one way every binary and xtask command does it.
//!
//! URLs are parsed and redacted here ([`url`]), connections opened with a bounded wait and
//! errors that name the fix ([`connect`], [`connect_waiting`]), sessions bounded against a
//! lost peer ([`liveness`]), destructive commands guarded ([`guard`]), TLS required on the way
//! to a non-local host ([`tls`]), tools that need every row kept from a role that row-level
//! security binds ([`visibility`]), command-line errors turned into one line ([`cli`]) and
//! logging set up ([`logging`]). So a wrong password or an unreachable host reads the same
//! everywhere, and no password is ever printed.

pub mod cli;
mod connect;
pub mod direct;
pub mod guard;
pub mod liveness;
pub mod logging;
pub mod tls;
pub mod url;
pub mod visibility;

pub use crate::connect::{connect, connect_live, connect_waiting, require_pgvector};
pub use crate::liveness::Liveness;
