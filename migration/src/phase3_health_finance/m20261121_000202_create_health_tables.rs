//! Phase 3: the five enum types and seven tables of schema `health`, each owned by a user.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{
    EnumTypes, add_updated_at_triggers, create_enum_types, drop_enum_types,
    drop_updated_at_triggers, fk_in, index_in, pg_enum_in, pkey, timestamp3, timestamp3_now,
    unique_index_in, uuid_id,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

const HEALTH: &str = "health";

/// `health.<table>`, the way every statement here names its tables.
fn health<T: IntoIden>(table: T) -> (Alias, T) {
    (Alias::new(HEALTH), table)
}

/// `public.users`, the owner of every row.
fn users() -> (Alias, Users) {
    (Alias::new("public"), Users::Table)
}

/// The enum types of schema `health`, labels in declaration order (the order defines how
/// values compare).
const ENUMS: &EnumTypes = &[
    ("ConditionStatus", &["ACTIVE", "MANAGED", "RESOLVED"]),
    ("MedicationLogStatus", &["TAKEN", "SKIPPED", "MISSED"]),
    (
        "AllergySeverity",
        &["MILD", "MODERATE", "SEVERE", "LIFE_THREATENING"],
    ),
    (
        "AppointmentStatus",
        &["SCHEDULED", "COMPLETED", "CANCELLED", "NO_SHOW"],
    ),
    (
        "MeasurementType",
        &[
            "WEIGHT",
            "BLOOD_PRESSURE",
            "HEART_RATE",
            "GLUCOSE",
            "TEMPERATURE",
            "OXYGEN_SATURATION",
            "SLEEP_HOURS",
            "STEPS",
        ],
    ),
];

/// The tables with `"updatedAt"`, which get the trigger that keeps it current.
const UPDATED_AT_TABLES: &[(&str, &str)] = &[
    (HEALTH, "health_profiles"),
    (HEALTH, "medical_conditions"),
    (HEALTH, "medications"),
    (HEALTH, "allergies"),
    (HEALTH, "medical_appointments"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_enum_types(manager, Some(HEALTH), ENUMS).await?;

        manager
            .create_table(
                Table::create()
                    .table(health(HealthProfiles::Table))
                    .col(uuid_id(HealthProfiles::Id))
                    .col(uuid(HealthProfiles::UserId))
                    .col(string_len_null(HealthProfiles::BloodType, 5))
                    .col(decimal_len_null(HealthProfiles::HeightCm, 5, 2))
                    .col(decimal_len_null(HealthProfiles::WeightKg, 5, 2))
                    .col(json_binary_null(HealthProfiles::EmergencyContact))
                    .col(text_null(HealthProfiles::Notes))
                    .col(timestamp3_now(HealthProfiles::CreatedAt))
                    .col(timestamp3_now(HealthProfiles::UpdatedAt))
                    .primary_key(&mut pkey(&HealthProfiles::Table, HealthProfiles::Id))
                    .foreign_key(&mut fk_in(
                        HEALTH,
                        HealthProfiles::Table,
                        HealthProfiles::UserId,
                        users(),
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(health(MedicalConditions::Table))
                    .col(uuid_id(MedicalConditions::Id))
                    .col(uuid(MedicalConditions::UserId))
                    .col(string_len(MedicalConditions::Name, 255))
                    .col(string_len_null(MedicalConditions::Icd10Code, 10))
                    .col(
                        pg_enum_in(
                            MedicalConditions::Status,
                            HEALTH,
                            &Alias::new("ConditionStatus"),
                        )
                        .default("ACTIVE"),
                    )
                    .col(date_null(MedicalConditions::DiagnosedAt))
                    .col(text_null(MedicalConditions::Notes))
                    .col(timestamp3_now(MedicalConditions::CreatedAt))
                    .col(timestamp3_now(MedicalConditions::UpdatedAt))
                    .primary_key(&mut pkey(&MedicalConditions::Table, MedicalConditions::Id))
                    .foreign_key(&mut fk_in(
                        HEALTH,
                        MedicalConditions::Table,
                        MedicalConditions::UserId,
                        users(),
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(health(Medications::Table))
                    .col(uuid_id(Medications::Id))
                    .col(uuid(Medications::UserId))
                    .col(uuid_null(Medications::ConditionId))
                    .col(string_len(Medications::Name, 255))
                    .col(string_len(Medications::Dosage, 100))
                    .col(string_len(Medications::Frequency, 100))
                    .col(date(Medications::StartDate))
                    .col(date_null(Medications::EndDate))
                    .col(boolean(Medications::IsActive).default(true))
                    .col(text_null(Medications::Instructions))
                    .col(timestamp3_now(Medications::CreatedAt))
                    .col(timestamp3_now(Medications::UpdatedAt))
                    .primary_key(&mut pkey(&Medications::Table, Medications::Id))
                    .foreign_key(&mut fk_in(
                        HEALTH,
                        Medications::Table,
                        Medications::UserId,
                        users(),
                        Users::Id,
                    ))
                    .foreign_key(
                        fk_in(
                            HEALTH,
                            Medications::Table,
                            Medications::ConditionId,
                            health(MedicalConditions::Table),
                            MedicalConditions::Id,
                        )
                        .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(health(MedicationLogs::Table))
                    .col(uuid_id(MedicationLogs::Id))
                    .col(uuid(MedicationLogs::UserId))
                    .col(uuid(MedicationLogs::MedicationId))
                    .col(pg_enum_in(
                        MedicationLogs::Status,
                        HEALTH,
                        &Alias::new("MedicationLogStatus"),
                    ))
                    .col(timestamp3(MedicationLogs::TakenAt))
                    .col(text_null(MedicationLogs::Notes))
                    .col(timestamp3_now(MedicationLogs::CreatedAt))
                    .primary_key(&mut pkey(&MedicationLogs::Table, MedicationLogs::Id))
                    .foreign_key(&mut fk_in(
                        HEALTH,
                        MedicationLogs::Table,
                        MedicationLogs::UserId,
                        users(),
                        Users::Id,
                    ))
                    .foreign_key(&mut fk_in(
                        HEALTH,
                        MedicationLogs::Table,
                        MedicationLogs::MedicationId,
                        health(Medications::Table),
                        Medications::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(health(Allergies::Table))
                    .col(uuid_id(Allergies::Id))
                    .col(uuid(Allergies::UserId))
                    .col(string_len(Allergies::Allergen, 255))
                    .col(pg_enum_in(
                        Allergies::Severity,
                        HEALTH,
                        &Alias::new("AllergySeverity"),
                    ))
                    .col(text_null(Allergies::Reaction))
                    .col(timestamp3_now(Allergies::CreatedAt))
                    .col(timestamp3_now(Allergies::UpdatedAt))
                    .primary_key(&mut pkey(&Allergies::Table, Allergies::Id))
                    .foreign_key(&mut fk_in(
                        HEALTH,
                        Allergies::Table,
                        Allergies::UserId,
                        users(),
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(health(MedicalAppointments::Table))
                    .col(uuid_id(MedicalAppointments::Id))
                    .col(uuid(MedicalAppointments::UserId))
                    .col(string_len(MedicalAppointments::Title, 255))
                    .col(string_len_null(MedicalAppointments::Provider, 255))
                    .col(string_len_null(MedicalAppointments::Location, 500))
                    .col(timestamp3(MedicalAppointments::ScheduledAt))
                    .col(integer(MedicalAppointments::DurationMinutes).default(30))
                    .col(
                        pg_enum_in(
                            MedicalAppointments::Status,
                            HEALTH,
                            &Alias::new("AppointmentStatus"),
                        )
                        .default("SCHEDULED"),
                    )
                    .col(boolean(MedicalAppointments::ReminderSent).default(false))
                    .col(text_null(MedicalAppointments::Notes))
                    .col(timestamp3_now(MedicalAppointments::CreatedAt))
                    .col(timestamp3_now(MedicalAppointments::UpdatedAt))
                    .primary_key(&mut pkey(
                        &MedicalAppointments::Table,
                        MedicalAppointments::Id,
                    ))
                    .foreign_key(&mut fk_in(
                        HEALTH,
                        MedicalAppointments::Table,
                        MedicalAppointments::UserId,
                        users(),
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(health(HealthMeasurements::Table))
                    .col(uuid_id(HealthMeasurements::Id))
                    .col(uuid(HealthMeasurements::UserId))
                    .col(pg_enum_in(
                        HealthMeasurements::Type,
                        HEALTH,
                        &Alias::new("MeasurementType"),
                    ))
                    .col(decimal_len(HealthMeasurements::Value, 10, 2))
                    .col(decimal_len_null(HealthMeasurements::SecondaryValue, 10, 2))
                    .col(string_len(HealthMeasurements::Unit, 20))
                    .col(timestamp3(HealthMeasurements::MeasuredAt))
                    .col(string_len_null(HealthMeasurements::Source, 100))
                    .col(timestamp3_now(HealthMeasurements::CreatedAt))
                    .primary_key(&mut pkey(
                        &HealthMeasurements::Table,
                        HealthMeasurements::Id,
                    ))
                    .foreign_key(&mut fk_in(
                        HEALTH,
                        HealthMeasurements::Table,
                        HealthMeasurements::UserId,
                        users(),
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        let indexes = [
            unique_index_in("health_profiles_userId_key", HEALTH, HealthProfiles::Table)
                .col(HealthProfiles::UserId)
                .to_owned(),
            index_in(
                "medical_conditions_userId_idx",
                HEALTH,
                MedicalConditions::Table,
            )
            .col(MedicalConditions::UserId)
            .to_owned(),
            index_in(
                "medications_userId_isActive_idx",
                HEALTH,
                Medications::Table,
            )
            .col(Medications::UserId)
            .col(Medications::IsActive)
            .to_owned(),
            index_in("medications_conditionId_idx", HEALTH, Medications::Table)
                .col(Medications::ConditionId)
                .to_owned(),
            index_in(
                "medication_logs_medicationId_takenAt_idx",
                HEALTH,
                MedicationLogs::Table,
            )
            .col(MedicationLogs::MedicationId)
            .col((MedicationLogs::TakenAt, IndexOrder::Desc))
            .to_owned(),
            index_in(
                "medication_logs_userId_takenAt_idx",
                HEALTH,
                MedicationLogs::Table,
            )
            .col(MedicationLogs::UserId)
            .col((MedicationLogs::TakenAt, IndexOrder::Desc))
            .to_owned(),
            unique_index_in("allergies_userId_allergen_key", HEALTH, Allergies::Table)
                .col(Allergies::UserId)
                .col(Allergies::Allergen)
                .to_owned(),
            index_in(
                "medical_appointments_userId_scheduledAt_idx",
                HEALTH,
                MedicalAppointments::Table,
            )
            .col(MedicalAppointments::UserId)
            .col(MedicalAppointments::ScheduledAt)
            .to_owned(),
            index_in(
                "health_measurements_userId_type_measuredAt_idx",
                HEALTH,
                HealthMeasurements::Table,
            )
            .col(HealthMeasurements::UserId)
            .col(HealthMeasurements::Type)
            .col((HealthMeasurements::MeasuredAt, IndexOrder::Desc))
            .to_owned(),
        ];
        for stmt in indexes {
            manager.create_index(stmt).await?;
        }

        add_updated_at_triggers(manager, UPDATED_AT_TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_updated_at_triggers(manager, UPDATED_AT_TABLES).await?;
        // Dropping a table drops its indexes and foreign keys; referencing tables go first.
        for table in [
            HealthMeasurements::Table.into_iden(),
            MedicalAppointments::Table.into_iden(),
            Allergies::Table.into_iden(),
            MedicationLogs::Table.into_iden(),
            Medications::Table.into_iden(),
            MedicalConditions::Table.into_iden(),
            HealthProfiles::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(health(table)).if_exists().to_owned())
                .await?;
        }
        drop_enum_types(manager, Some(HEALTH), ENUMS).await?;
        Ok(())
    }
}

/// The referenced table, `public.users`, as created by phase 1.
#[derive(DeriveIden)]
enum Users {
    #[sea_orm(iden = "users")]
    Table,
    Id,
}

#[derive(DeriveIden)]
enum HealthProfiles {
    #[sea_orm(iden = "health_profiles")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "bloodType")]
    BloodType,
    #[sea_orm(iden = "heightCm")]
    HeightCm,
    #[sea_orm(iden = "weightKg")]
    WeightKg,
    #[sea_orm(iden = "emergencyContact")]
    EmergencyContact,
    Notes,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MedicalConditions {
    #[sea_orm(iden = "medical_conditions")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    Name,
    #[sea_orm(iden = "icd10Code")]
    Icd10Code,
    Status,
    #[sea_orm(iden = "diagnosedAt")]
    DiagnosedAt,
    Notes,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Medications {
    #[sea_orm(iden = "medications")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "conditionId")]
    ConditionId,
    Name,
    Dosage,
    Frequency,
    #[sea_orm(iden = "startDate")]
    StartDate,
    #[sea_orm(iden = "endDate")]
    EndDate,
    #[sea_orm(iden = "isActive")]
    IsActive,
    Instructions,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MedicationLogs {
    #[sea_orm(iden = "medication_logs")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "medicationId")]
    MedicationId,
    Status,
    #[sea_orm(iden = "takenAt")]
    TakenAt,
    Notes,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
}

#[derive(DeriveIden)]
enum Allergies {
    #[sea_orm(iden = "allergies")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    Allergen,
    Severity,
    Reaction,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MedicalAppointments {
    #[sea_orm(iden = "medical_appointments")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    Title,
    Provider,
    Location,
    #[sea_orm(iden = "scheduledAt")]
    ScheduledAt,
    #[sea_orm(iden = "durationMinutes")]
    DurationMinutes,
    Status,
    #[sea_orm(iden = "reminderSent")]
    ReminderSent,
    Notes,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum HealthMeasurements {
    #[sea_orm(iden = "health_measurements")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    Type,
    Value,
    #[sea_orm(iden = "secondaryValue")]
    SecondaryValue,
    Unit,
    #[sea_orm(iden = "measuredAt")]
    MeasuredAt,
    Source,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
}
