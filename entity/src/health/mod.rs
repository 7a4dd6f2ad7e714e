//! Phase 3: tables of the `health` schema (row-level security by "userId").

pub mod enums;

pub mod allergies;
pub mod health_measurements;
pub mod health_profiles;
pub mod medical_appointments;
pub mod medical_conditions;
pub mod medication_logs;
pub mod medications;
