//! Phase 3: tables of the `health` schema (row-level security by "userId").

pub mod enums;

pub mod allergies;
pub mod health_measurements;
pub mod health_profiles;
pub mod medical_appointments;
pub mod medical_conditions;
pub mod medication_logs;
pub mod medications;

use crate::sealed::SealedColumn;

/// Declares the marker type of one sealed column: its `schema.table.column`.
macro_rules! sealed_marker {
    ($(#[$doc:meta])* $name:ident = $column:literal) => {
        $(#[$doc])*
        pub struct $name;
        impl SealedColumn for $name {
            const COLUMN: &'static str = $column;
        }
    };
}

sealed_marker!(
    /// `health.allergies.reaction`.
    AllergyReaction = "health.allergies.reaction"
);
sealed_marker!(
    /// `health.health_profiles.notes`.
    ProfileNotes = "health.health_profiles.notes"
);
sealed_marker!(
    /// `health.medical_appointments.notes`.
    AppointmentNotes = "health.medical_appointments.notes"
);
sealed_marker!(
    /// `health.medical_conditions.notes`.
    ConditionNotes = "health.medical_conditions.notes"
);
sealed_marker!(
    /// `health.medication_logs.notes`.
    MedicationLogNotes = "health.medication_logs.notes"
);
sealed_marker!(
    /// `health.medications.instructions`.
    MedicationInstructions = "health.medications.instructions"
);

/// The columns the markers above name, for the test that keeps them equal to
/// `sealed::MEDICAL_COLUMNS`.
pub const SEALED_MARKERS: &[&str] = &[
    AllergyReaction::COLUMN,
    ProfileNotes::COLUMN,
    AppointmentNotes::COLUMN,
    ConditionNotes::COLUMN,
    MedicationLogNotes::COLUMN,
    MedicationInstructions::COLUMN,
];
