//! The schema differ behind `cargo xtask migrate dev`: the changes it plans from entities that
//! differ from a migrated database, applied, leave no difference and a second plan empty; a
//! new table of users' rows comes out isolated; `down` undoes them; what destroys or locks
//! is marked.

use dbcheck::catalog::{Catalog, Snapshot};
use dbcheck::diff::{Change, database, plan};
use dbcheck::entities::{ExpectedTable, expected, table};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use smoke_tests::TestDb;

/// Entities as a developer edits them: a new enum label, a new column, a new table.
mod edited {
    /// `"AlertType"` with a label added at its end.
    pub mod alert_type {
        use sea_orm::entity::prelude::*;

        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
        #[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "AlertType")]
        pub enum AlertType {
            #[sea_orm(string_value = "APPROACHING_LIMIT")]
            ApproachingLimit,
            #[sea_orm(string_value = "LIMIT_WARNING")]
            LimitWarning,
            #[sea_orm(string_value = "LIMIT_EXCEEDED")]
            LimitExceeded,
            #[sea_orm(string_value = "UNUSUAL_ACTIVITY")]
            UnusualActivity,
            #[sea_orm(string_value = "BUDGET_REACHED")]
            BudgetReached,
        }
    }

    /// `usage_alerts` with the edited `AlertType`.
    pub mod usage_alerts {
        use super::alert_type::AlertType;
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "usage_alerts", rename_all = "camelCase")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub user_id: Uuid,
            pub r#type: AlertType,
            pub threshold: i32,
            pub triggered: bool,
            pub resolved_at: Option<DateTime>,
            pub created_at: DateTime,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {
            #[sea_orm(
                belongs_to = "entity::users::Entity",
                from = "Column::UserId",
                to = "entity::users::Column::Id",
                on_update = "Cascade",
                on_delete = "Cascade"
            )]
            User,
        }

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// `tags` with a new nullable column.
    pub mod tags {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "tags", rename_all = "camelCase")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            #[sea_orm(unique_key = "user_name")]
            pub user_id: Uuid,
            #[sea_orm(column_type = "String(StringLen::N(100))", unique_key = "user_name")]
            pub name: String,
            #[sea_orm(column_type = "String(StringLen::N(20))", nullable)]
            pub color: Option<String>,
            pub created_at: DateTime,
            #[sea_orm(column_type = "Text", nullable)]
            pub description: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {
            #[sea_orm(
                belongs_to = "entity::users::Entity",
                from = "Column::UserId",
                to = "entity::users::Column::Id",
                on_update = "Cascade",
                on_delete = "Cascade"
            )]
            User,
        }

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// A new table of users' rows, with a new enum type, a unique key and a second reference
    /// to a table of users' rows; named `smoke_` so that no table of the schema can take the
    /// name first.
    pub mod notes {
        use sea_orm::entity::prelude::*;

        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
        #[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "SmokeNoteKind")]
        pub enum NoteKind {
            #[sea_orm(string_value = "TEXT")]
            Text,
            #[sea_orm(string_value = "CHECKLIST")]
            Checklist,
        }

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "smoke_notes", rename_all = "camelCase")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            #[sea_orm(unique_key = "user_title")]
            pub user_id: Uuid,
            pub conversation_id: Option<Uuid>,
            #[sea_orm(column_type = "String(StringLen::N(200))", unique_key = "user_title")]
            pub title: String,
            pub kind: NoteKind,
            pub created_at: DateTime,
            pub updated_at: DateTime,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {
            #[sea_orm(
                belongs_to = "entity::users::Entity",
                from = "Column::UserId",
                to = "entity::users::Column::Id",
                on_update = "Cascade",
                on_delete = "Cascade"
            )]
            User,
            #[sea_orm(
                belongs_to = "entity::conversations::Entity",
                from = "Column::ConversationId",
                to = "entity::conversations::Column::Id",
                on_update = "Cascade",
                on_delete = "SetNull"
            )]
            Conversation,
        }

        impl ActiveModelBehavior for ActiveModel {}
    }
}

/// Today's entities with `tags` and `usage_alerts` edited and `notes` added.
fn edited_entities() -> Vec<ExpectedTable> {
    let mut tables: Vec<ExpectedTable> = expected()
        .into_iter()
        .filter(|t| t.name != "tags" && t.name != "usage_alerts")
        .collect();
    tables.push(table::<edited::tags::Entity>(2));
    tables.push(table::<edited::usage_alerts::Entity>(1));
    tables.push(table::<edited::notes::Entity>(8));
    tables
}

async fn plan_for(db: &DatabaseConnection, entities: &[ExpectedTable]) -> Vec<Change> {
    let catalog = Catalog::load(db).await.expect("read the catalog");
    plan(entities, &catalog)
}

/// Runs `statements` in one transaction, as a migration does.
async fn run(db: &DatabaseConnection, statements: &[String]) {
    let tx = db.begin().await.expect("begin");
    for statement in statements {
        tx.execute_unprepared(statement).await.expect(statement);
    }
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn a_migrated_database_needs_no_change() {
    let test = TestDb::migrated("a_migrated_database_needs_no_change").await;
    assert_eq!(plan_for(&test.db, &expected()).await, Vec::<Change>::new());
}

#[tokio::test]
async fn the_planned_changes_applied_leave_no_drift_and_down_undoes_them() {
    let test = TestDb::migrated("planned_changes_leave_no_drift").await;
    let entities = edited_entities();
    let before: Snapshot = Catalog::load(&test.db).await.unwrap().snapshot();
    let changes = plan_for(&test.db, &entities).await;
    let objects: Vec<(&str, bool)> = changes
        .iter()
        .map(|c| (c.object.as_str(), c.risk.is_some()))
        .collect();
    assert_eq!(
        objects,
        [
            ("enum AlertType", false),
            ("enum SmokeNoteKind", false),
            ("smoke_notes", false),
            ("tags.description", false),
        ],
        "{changes:#?}"
    );
    run(
        &test.db,
        &changes
            .iter()
            .flat_map(|c| c.up.clone())
            .collect::<Vec<_>>(),
    )
    .await;
    let catalog = Catalog::load(&test.db).await.unwrap();
    assert_eq!(dbcheck::drift::compare(&entities, &catalog), []);
    assert_eq!(
        plan(&entities, &catalog),
        Vec::<Change>::new(),
        "a second plan"
    );

    let down: Vec<String> = changes.iter().rev().flat_map(|c| c.down.clone()).collect();
    run(&test.db, &down).await;
    let after = Catalog::load(&test.db).await.unwrap().snapshot();
    // PostgreSQL cannot drop an enum label: the one added stays, and nothing else does.
    let diff = before.diff(&after, "before", "after down");
    let changed: Vec<&str> = diff.lines().collect();
    assert!(
        changed.len() == 2 && changed.iter().all(|l| l.contains("enum public.AlertType")),
        "{diff}"
    );
}

/// Runs `sql` as `app_user` acting for `user`, in a transaction rolled back afterwards.
async fn as_user(db: &DatabaseConnection, user: &str, sql: &str) -> Result<Vec<String>, String> {
    let tx = db.begin().await.expect("begin");
    tx.execute_unprepared("SET LOCAL ROLE app_user")
        .await
        .expect("set role");
    let setting = format!("SELECT set_config('app.current_user_id', '{user}', true)");
    tx.execute_unprepared(&setting).await.expect("act as user");
    let rows = tx
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            sql,
        ))
        .await
        .map_err(|e| e.to_string())?;
    tx.rollback().await.expect("rollback");
    Ok(rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap_or_default())
        .collect())
}

#[tokio::test]
async fn a_new_table_of_users_rows_comes_out_isolated() {
    let test = TestDb::migrated("a_new_table_comes_out_isolated").await;
    let changes = plan_for(&test.db, &edited_entities()).await;
    run(
        &test.db,
        &changes
            .iter()
            .flat_map(|c| c.up.clone())
            .collect::<Vec<_>>(),
    )
    .await;
    let ids = crate::query_strings(
        &test.db,
        "INSERT INTO users (email) VALUES ('one@example.com'), ('two@example.com') RETURNING id::text",
    )
    .await;
    let (one, two) = (&ids[0], &ids[1]);
    test.db
        .execute_unprepared(&format!(
            r#"INSERT INTO smoke_notes ("userId", title, kind) VALUES ('{one}', 'mine', 'TEXT')"#
        ))
        .await
        .expect("a note of user one, written as the owner");
    let count = r#"SELECT count(*)::text FROM smoke_notes"#;
    assert_eq!(as_user(&test.db, one, count).await.unwrap(), ["1"]);
    assert_eq!(as_user(&test.db, two, count).await.unwrap(), ["0"]);
    let forged = format!(
        r#"INSERT INTO smoke_notes ("userId", title, kind) VALUES ('{one}', 'forged', 'TEXT') RETURNING id::text"#
    );
    let refused = as_user(&test.db, two, &forged).await.unwrap_err();
    assert!(refused.contains("row-level security"), "{refused}");
    let catalog = Catalog::load(&test.db).await.unwrap();
    let notes = catalog
        .tables
        .iter()
        .find(|t| t.name == "smoke_notes")
        .unwrap();
    assert!(notes.row_security && notes.force_row_security);
    let mut policies: Vec<&str> = catalog
        .policies
        .iter()
        .filter(|p| p.table == "smoke_notes")
        .map(|p| p.name.as_str())
        .collect();
    policies.sort();
    assert_eq!(
        policies,
        [
            "smoke_notes_admin",
            "smoke_notes_owner",
            "smoke_notes_same_owner_refs"
        ]
    );
}

#[tokio::test]
async fn changes_made_by_hand_come_back_marked_as_destructive_or_locking() {
    let test = TestDb::migrated("changes_made_by_hand_come_back_marked").await;
    test.db
        .execute_unprepared(
            r#"ALTER TABLE health.medications ADD COLUMN "sideEffects" text;
               ALTER TABLE health.medications ALTER COLUMN "dosage" TYPE text;
               ALTER TABLE health.medications ALTER COLUMN "frequency" DROP NOT NULL"#,
        )
        .await
        .expect("change the table by hand");
    let changes = plan_for(&test.db, &expected()).await;
    let found: Vec<(&str, &str, bool)> = changes
        .iter()
        .map(|c| (c.object.as_str(), c.what.as_str(), c.risk.is_some()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "health.medications.dosage",
                "entity varchar(100), database text",
                true
            ),
            (
                "health.medications.frequency",
                "entity NOT NULL, database nullable",
                true
            ),
            (
                "health.medications.sideEffects",
                "column in database (text), not in entity",
                true
            ),
        ]
    );
    assert!(!changes[2].reversible, "a dropped column's values are gone");
}

#[tokio::test]
async fn a_database_read_back_as_the_target_differs_only_where_it_was_changed() {
    let head = TestDb::migrated("read_back_head").await;
    let changed = TestDb::migrated("read_back_changed").await;
    changed
        .db
        .execute_unprepared(
            r#"ALTER TABLE public.tags ADD COLUMN "description" text;
               CREATE POLICY "tags_extra" ON public.tags FOR SELECT TO app_admin USING (true)"#,
        )
        .await
        .expect("change the table by hand");
    let from = Catalog::load(&head.db).await.unwrap();
    let to = Catalog::load(&changed.db).await.unwrap();
    assert_eq!(plan(&database::tables(&from), &from), Vec::<Change>::new());
    let changes = plan(&database::tables(&to), &from);
    let up: Vec<&str> = changes
        .iter()
        .flat_map(|c| c.up.iter().map(String::as_str))
        .collect();
    assert_eq!(
        up,
        [r#"ALTER TABLE "public"."tags" ADD COLUMN "description" text NULL"#]
    );
    let behaviour = database::behaviour(&from, &to);
    assert!(
        behaviour.len() == 1 && behaviour[0].contains("tags_extra"),
        "{behaviour:?}"
    );
}
