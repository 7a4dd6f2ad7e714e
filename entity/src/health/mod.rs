//! Phase 3: tables of the `health` schema (row-level security by "userId").
