//! Migration lint.
