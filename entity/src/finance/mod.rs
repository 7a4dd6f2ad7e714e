//! Phase 3: tables of the `finance` schema (row-level security by "userId").
