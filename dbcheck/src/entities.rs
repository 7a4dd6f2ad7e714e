//! The schema the entities describe: one list of every entity with its phase, and what each
//! says about its table (columns, types, nullability, keys, foreign keys, enum labels).

use anyhow::Context;
use sea_orm::sea_query::{
    self, ForeignKeyAction, PostgresQueryBuilder, TableRef, backend::TableBuilder,
};
use sea_orm::{
    ColumnTrait, ColumnType, DbBackend, EntityTrait, IdenStatic, Iterable, PrimaryKeyToColumn,
    RelationDef, RelationTrait, Schema, sea_query::StringLen,
};

/// One table as its entity describes it.
#[derive(Debug, Clone)]
pub struct ExpectedTable {
    /// The schema phase that creates the table (1 core .. 4 RAG/MCP).
    pub phase: u8,
    pub schema: String,
    pub name: String,
    pub columns: Vec<ExpectedColumn>,
    pub primary_key: Vec<String>,
    /// Unique keys: single `unique` columns and `unique_key` groups.
    pub unique: Vec<Vec<String>>,
    pub foreign_keys: Vec<ExpectedForeignKey>,
    /// SeaORM's `CREATE TABLE` for the entity (columns, primary key, foreign keys), what a
    /// new migration creates the table with.
    pub create_table: String,
    /// SeaORM's `CREATE INDEX` statements for the entity's `indexed` columns and `unique_key`
    /// groups.
    pub create_indexes: Vec<String>,
}

/// A column: `sql_type` is normalised (see [`normalise_db_type`]).
#[derive(Debug, Clone)]
pub struct ExpectedColumn {
    pub name: String,
    pub sql_type: String,
    pub nullable: bool,
    /// For an enum column: the type's labels in declaration order.
    pub enum_labels: Option<Vec<String>>,
    /// The column's definition as `ALTER TABLE .. ADD COLUMN` takes it (`"bio" text NULL`).
    pub definition: String,
    /// The column's type as a statement writes it (`varchar(100)`, `"UserRole"`).
    pub type_sql: String,
}

/// A `belongs_to` relation; actions as `pg_constraint` codes (`a` no action when unset).
#[derive(Debug, Clone)]
pub struct ExpectedForeignKey {
    pub columns: Vec<String>,
    pub ref_schema: String,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_delete: String,
    pub on_update: String,
}

/// Builds the list of every entity with its phase; a unit test checks that each entity file
/// of the `entity` crate appears here.
macro_rules! entities {
    ($($phase:literal => [$($path:path),+ $(,)?]),+ $(,)?) => {
        /// Every entity of the `entity` crate, in phase order.
        pub fn expected() -> Vec<ExpectedTable> {
            vec![$($(table::<$path>($phase)),+),+]
        }

        /// The module paths of the listed entities (`health::medications`), to find the
        /// entity files left out ([`entity_modules`]).
        pub fn listed_modules() -> Vec<String> {
            vec![$($(stringify!($path).replace(' ', "")
                .trim_start_matches("entity::").trim_end_matches("::Entity").to_owned()),+),+]
        }
    };
}

entities! {
    1 => [
        entity::users::Entity,
        entity::accounts::Entity,
        entity::auth_sessions::Entity,
        entity::verification_tokens::Entity,
        entity::invitations::Entity,
        entity::agents::Entity,
        entity::chat_sessions::Entity,
        entity::conversations::Entity,
        entity::messages::Entity,
        entity::user_agent_permissions::Entity,
        entity::artifacts::Entity,
        entity::usage_logs::Entity,
        entity::monthly_usage::Entity,
        entity::usage_alerts::Entity,
        entity::audit_logs::Entity,
    ],
    2 => [
        entity::support_tickets::Entity,
        entity::support_messages::Entity,
        entity::storage_folders::Entity,
        entity::storage_files::Entity,
        entity::storage_quotas::Entity,
        entity::file_access_logs::Entity,
        entity::file_shares::Entity,
        entity::tags::Entity,
        entity::artifact_tags::Entity,
        entity::storage_file_tags::Entity,
        entity::conversation_tags::Entity,
    ],
    3 => [
        entity::health::health_profiles::Entity,
        entity::health::medical_conditions::Entity,
        entity::health::medications::Entity,
        entity::health::medication_logs::Entity,
        entity::health::allergies::Entity,
        entity::health::medical_appointments::Entity,
        entity::health::health_measurements::Entity,
        entity::finance::financial_profiles::Entity,
        entity::finance::financial_accounts::Entity,
        entity::finance::transactions::Entity,
        entity::finance::budgets::Entity,
        entity::finance::debts::Entity,
        entity::finance::debt_payments::Entity,
        entity::finance::investments::Entity,
        entity::finance::recurring_payments::Entity,
    ],
    4 => [
        entity::rag_documents::Entity,
        entity::rag_chunks::Entity,
        entity::rag_settings::Entity,
        entity::mcp_integrations::Entity,
        entity::mcp_sync_logs::Entity,
    ],
}

/// What entity `E` of phase `phase` says about its table.
pub fn table<E: EntityTrait + Default>(phase: u8) -> ExpectedTable {
    let entity = E::default();
    let schema = Schema::new(DbBackend::Postgres);
    let columns: Vec<ExpectedColumn> = E::Column::iter()
        .map(|c| column(&c, &schema.get_column_def::<E>(c)))
        .collect();
    let mut unique: Vec<Vec<String>> = E::Column::iter()
        .filter(|c| c.def().is_unique())
        .map(|c| vec![c.as_str().to_owned()])
        .collect();
    // `unique_key` groups have no getter on SeaORM's `ColumnDef`; the unique indexes SeaORM
    // would create from the entity carry them.
    let indexes = schema.create_index_from_entity(E::default());
    unique.extend(
        indexes
            .iter()
            .filter(|index| index.is_unique_key())
            .map(|index| index.get_index_spec().get_column_names()),
    );
    ExpectedTable {
        phase,
        schema: entity.schema_name().unwrap_or("public").to_owned(),
        name: entity.table_name().to_owned(),
        columns,
        primary_key: E::PrimaryKey::iter()
            .map(|k| k.into_column().as_str().to_owned())
            .collect(),
        unique,
        foreign_keys: E::Relation::iter()
            .map(|r| r.def())
            .filter(|def| !def.is_owner && !def.skip_fk)
            .map(|def| foreign_key(&def))
            .collect(),
        create_table: quote_enum_types(
            &schema
                .create_table_from_entity(E::default())
                .to_string(PostgresQueryBuilder),
            E::Column::iter().map(|c| c.def()),
        ),
        create_indexes: indexes
            .iter()
            .map(|i| i.to_string(PostgresQueryBuilder))
            .collect(),
    }
}

fn column(column: &impl ColumnTrait, query_def: &sea_query::ColumnDef) -> ExpectedColumn {
    let def = column.def();
    let mut definition = String::new();
    PostgresQueryBuilder.prepare_column_def(query_def, &mut definition);
    let mut type_sql = String::new();
    if let Some(column_type) = query_def.get_column_type() {
        PostgresQueryBuilder.prepare_column_type(column_type, &mut type_sql);
    }
    let definition = quote_enum_types(&definition, [def.clone()]);
    let type_sql = match def.get_column_type() {
        ColumnType::Enum { name, .. } => format!("\"{name}\""),
        _ => type_sql,
    };
    let enum_labels = match def.get_column_type() {
        ColumnType::Enum { variants, .. } => Some(variants.iter().map(|v| v.to_string()).collect()),
        _ => None,
    };
    ExpectedColumn {
        name: column.as_str().to_owned(),
        sql_type: entity_type(def.get_column_type()),
        nullable: def.is_null(),
        enum_labels,
        definition,
        type_sql,
    }
}

fn foreign_key(def: &RelationDef) -> ExpectedForeignKey {
    let (ref_schema, ref_table) = table_ref_name(&def.to_tbl);
    ExpectedForeignKey {
        columns: def.from_col.iter().map(|c| c.to_string()).collect(),
        ref_schema,
        ref_table,
        ref_columns: def.to_col.iter().map(|c| c.to_string()).collect(),
        on_delete: action_code(def.on_delete),
        on_update: action_code(def.on_update),
    }
}

fn table_ref_name(table: &TableRef) -> (String, String) {
    match table {
        TableRef::Table(name, _) => {
            let schema = name
                .0
                .as_ref()
                .map(|s| s.1.to_string())
                .unwrap_or_else(|| "public".to_owned());
            (schema, name.1.to_string())
        }
        other => ("?".to_owned(), format!("{other:?}")),
    }
}

fn action_code(action: Option<ForeignKeyAction>) -> String {
    match action {
        None | Some(ForeignKeyAction::NoAction) => "a",
        Some(ForeignKeyAction::Restrict) => "r",
        Some(ForeignKeyAction::Cascade) => "c",
        Some(ForeignKeyAction::SetNull) => "n",
        Some(ForeignKeyAction::SetDefault) => "d",
        Some(_) => "?",
    }
    .to_owned()
}

/// `sql` with the enum types of `columns` quoted: SeaORM writes an enum column's type as its
/// bare name, which PostgreSQL folds to lower case (`NoteKind` is `notekind`). Names of
/// `health`/`finance` types are written `health"."Type`, so quotes around them give the
/// qualified name.
fn quote_enum_types(sql: &str, columns: impl IntoIterator<Item = sea_orm::ColumnDef>) -> String {
    let mut sql = sql.to_owned();
    for def in columns {
        if let ColumnType::Enum { name, .. } = def.get_column_type() {
            for end in [" ", ",", ")"] {
                sql = sql.replace(&format!(" {name}{end}"), &format!(" \"{name}\"{end}"));
            }
            if let Some(head) = sql.strip_suffix(&format!(" {name}")) {
                sql = format!("{head} \"{name}\"");
            }
        }
    }
    sql
}

/// The entity's column type in the normal form [`normalise_db_type`] gives the database's.
/// Timestamps carry no precision: SeaORM's `DateTime` has none to compare.
fn entity_type(column_type: &ColumnType) -> String {
    match column_type {
        ColumnType::Char(Some(n)) => format!("char({n})"),
        ColumnType::Char(None) => "char".to_owned(),
        ColumnType::String(StringLen::N(n)) => format!("varchar({n})"),
        ColumnType::String(_) => "varchar".to_owned(),
        ColumnType::Text => "text".to_owned(),
        ColumnType::SmallInteger | ColumnType::TinyInteger => "smallint".to_owned(),
        ColumnType::Integer => "integer".to_owned(),
        ColumnType::BigInteger => "bigint".to_owned(),
        ColumnType::Float => "real".to_owned(),
        ColumnType::Double => "double precision".to_owned(),
        ColumnType::Decimal(Some((p, s))) => format!("numeric({p},{s})"),
        ColumnType::Decimal(None) => "numeric".to_owned(),
        ColumnType::DateTime | ColumnType::Timestamp => "timestamp".to_owned(),
        ColumnType::TimestampWithTimeZone => "timestamptz".to_owned(),
        ColumnType::Date => "date".to_owned(),
        ColumnType::Time => "time".to_owned(),
        ColumnType::Boolean => "boolean".to_owned(),
        ColumnType::Json => "json".to_owned(),
        ColumnType::JsonBinary => "jsonb".to_owned(),
        ColumnType::Uuid => "uuid".to_owned(),
        ColumnType::Binary(_) | ColumnType::VarBinary(_) | ColumnType::Blob => "bytea".to_owned(),
        ColumnType::Inet => "inet".to_owned(),
        ColumnType::Cidr => "cidr".to_owned(),
        ColumnType::Vector(Some(n)) => format!("vector({n})"),
        ColumnType::Vector(None) => "vector".to_owned(),
        // Enum names of `health`/`finance` are written `health"."Type` so SeaORM's quoting
        // yields the qualified name; without quotes both sides read `health.Type`.
        ColumnType::Enum { name, .. } => {
            let name = name.to_string().replace('"', "");
            name.strip_prefix("public.").unwrap_or(&name).to_owned()
        }
        ColumnType::Custom(name) => name.to_string().replace('"', "").to_lowercase(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// The module paths (`tags`, `health::medications`) of the entity files below `src` (an
/// entity crate's `src/`), sorted: the files that derive an entity model.
pub fn entity_modules(src: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let mut found = Vec::new();
    for dir in ["", "health", "finance"] {
        let folder = src.join(dir);
        let entries =
            std::fs::read_dir(&folder).with_context(|| format!("read {}", folder.display()))?;
        for file in entries {
            let path = file?.path();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if path.extension().is_some_and(|e| e == "rs") && text.contains("DeriveEntityModel") {
                let stem = path
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                found.push(if dir.is_empty() {
                    stem
                } else {
                    format!("{dir}::{stem}")
                });
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The database's type (`format_type`) in a short normal form: `character varying(100)` is
/// `varchar(100)`, `timestamp(3) without time zone` is `timestamp(3)`, `"UserRole"` is
/// `UserRole`, `health."ConditionStatus"` is `health.ConditionStatus`.
pub fn normalise_db_type(sql_type: &str) -> String {
    let t = sql_type.replace('"', "");
    let t = t.strip_prefix("public.").unwrap_or(&t);
    let replaced = [
        ("character varying", "varchar"),
        ("character", "char"),
        ("timestamp with time zone", "timestamptz"),
        ("without time zone", ""),
        ("with time zone", "tz"),
    ]
    .iter()
    .fold(t.to_owned(), |acc, (from, to)| acc.replacen(from, to, 1));
    let replaced = replaced.trim().replace(" tz", "tz");
    // `timestamp(3) with time zone` became `timestamp(3)tz`; spell it `timestamptz(3)`.
    match replaced.strip_suffix("tz") {
        Some(base) if base.starts_with("timestamp(") => {
            format!("timestamptz{}", &base["timestamp".len()..])
        }
        _ => replaced,
    }
}

/// The database type with its precision dropped where entities cannot state one
/// (`timestamp(3)` compares as `timestamp`).
pub fn comparable_db_type(sql_type: &str) -> String {
    let t = normalise_db_type(sql_type);
    for base in ["timestamptz", "timestamp", "time"] {
        if t.starts_with(&format!("{base}(")) {
            return base.to_owned();
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_types_normalise_to_the_entity_spelling() {
        let cases = [
            ("character varying(100)", "varchar(100)"),
            ("character(3)", "char(3)"),
            ("timestamp(3) without time zone", "timestamp(3)"),
            ("timestamp(3) with time zone", "timestamptz(3)"),
            ("timestamp with time zone", "timestamptz"),
            ("numeric(14,2)", "numeric(14,2)"),
            ("\"UserRole\"", "UserRole"),
            ("health.\"ConditionStatus\"", "health.ConditionStatus"),
            ("vector(1536)", "vector(1536)"),
        ];
        for (db, normal) in cases {
            assert_eq!(normalise_db_type(db), normal, "{db}");
        }
        assert_eq!(
            comparable_db_type("timestamp(3) without time zone"),
            "timestamp"
        );
    }

    #[test]
    fn every_entity_file_is_listed() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../entity/src");
        let found = entity_modules(&src).expect("read entity/src");
        let mut listed = listed_modules();
        listed.sort();
        assert_eq!(
            found, listed,
            "every entity file must be listed in dbcheck/src/entities.rs \
             (`cargo xtask migrate dev` lists new ones)"
        );
    }

    #[test]
    fn the_list_reads_keys_and_relations_from_the_entities() {
        let tables = expected();
        let medications = tables
            .iter()
            .find(|t| t.schema == "health" && t.name == "medications")
            .expect("health.medications");
        let dosage = medications
            .columns
            .iter()
            .find(|c| c.name == "dosage")
            .expect("dosage");
        assert_eq!(dosage.sql_type, "varchar(100)");
        assert!(!dosage.nullable);
        let condition = medications
            .foreign_keys
            .iter()
            .find(|f| f.columns == ["conditionId"])
            .expect("conditionId relation");
        assert_eq!(
            (condition.ref_schema.as_str(), condition.ref_table.as_str()),
            ("health", "medical_conditions")
        );
        assert_eq!(condition.on_delete, "n");
        let tags = tables.iter().find(|t| t.name == "tags").expect("tags");
        assert!(
            tags.unique
                .contains(&vec!["userId".to_owned(), "name".to_owned()])
        );
    }
}
