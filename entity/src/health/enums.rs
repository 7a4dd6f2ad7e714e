//! PostgreSQL enum types of schema `health`, mapped with `DeriveActiveEnum`.
//!
//! SeaORM 2.0 has no schema option for an active enum: it writes `enum_name` between double
//! quotes as the cast of every bound value (`$1::"<enum_name>"`). The types live in
//! `health`, which is not on the default `search_path`, so each `enum_name` is
//! `health"."<Type>`: quoted by SeaORM, that is the qualified `"health"."<Type>"`, and
//! writes work whatever the connection's `search_path`. Reads cast the column to text, so
//! they never name the type.

use sea_orm::entity::prelude::*;

/// `health."ConditionStatus"`: state of a medical condition (`medical_conditions.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "Enum",
    enum_name = r#"health"."ConditionStatus"#
)]
pub enum ConditionStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "MANAGED")]
    Managed,
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
}

/// `health."MedicationLogStatus"`: what happened to a scheduled dose (`medication_logs.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "Enum",
    enum_name = r#"health"."MedicationLogStatus"#
)]
pub enum MedicationLogStatus {
    #[sea_orm(string_value = "TAKEN")]
    Taken,
    #[sea_orm(string_value = "SKIPPED")]
    Skipped,
    #[sea_orm(string_value = "MISSED")]
    Missed,
}

/// `health."AllergySeverity"`: how severe an allergy is (`allergies.severity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "Enum",
    enum_name = r#"health"."AllergySeverity"#
)]
pub enum AllergySeverity {
    #[sea_orm(string_value = "MILD")]
    Mild,
    #[sea_orm(string_value = "MODERATE")]
    Moderate,
    #[sea_orm(string_value = "SEVERE")]
    Severe,
    #[sea_orm(string_value = "LIFE_THREATENING")]
    LifeThreatening,
}

/// `health."AppointmentStatus"`: lifecycle of an appointment (`medical_appointments.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "Enum",
    enum_name = r#"health"."AppointmentStatus"#
)]
pub enum AppointmentStatus {
    #[sea_orm(string_value = "SCHEDULED")]
    Scheduled,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    #[sea_orm(string_value = "NO_SHOW")]
    NoShow,
}

/// `health."MeasurementType"`: what a measurement measures (`health_measurements.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "Enum",
    enum_name = r#"health"."MeasurementType"#
)]
pub enum MeasurementType {
    #[sea_orm(string_value = "WEIGHT")]
    Weight,
    #[sea_orm(string_value = "BLOOD_PRESSURE")]
    BloodPressure,
    #[sea_orm(string_value = "HEART_RATE")]
    HeartRate,
    #[sea_orm(string_value = "GLUCOSE")]
    Glucose,
    #[sea_orm(string_value = "TEMPERATURE")]
    Temperature,
    #[sea_orm(string_value = "OXYGEN_SATURATION")]
    OxygenSaturation,
    #[sea_orm(string_value = "SLEEP_HOURS")]
    SleepHours,
    #[sea_orm(string_value = "STEPS")]
    Steps,
}
