//! Admin elevation is a role, `app_admin`, held by membership: it sees every user's rows,
//! and a hijacked `app_user` connection can neither switch to it nor fake it with a setting.

use sea_orm::{ConnectionTrait, Statement, TransactionTrait};

use super::{Seeded, Setting, acting, read_as, user_id};
use crate::count;

#[tokio::test]
async fn the_admin_role_sees_every_row_of_every_user_table() {
    let seeded = Seeded::new("security_admin_all").await;
    let db = &seeded.test.db;
    for table in &seeded.tables {
        let sql = format!("SELECT count(*)::text FROM {}", table.name);
        let all = count(db, &format!("SELECT count(*) FROM {}", table.name)).await;
        let seen = read_as(db, "app_admin", &Setting::Unset, &sql).await;
        assert_eq!(seen, Ok(vec![all.to_string()]), "{}", table.name);
        assert!(all > 0, "{}: no rows to see", table.name);
    }
}

/// The application's login: a member of `app_user` only, as the platform's service account
/// would be. Roles are cluster-wide, so it is created once per server, race-safe.
const APP_LOGIN: &str = r#"
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'security_smoke_app') THEN
    CREATE ROLE security_smoke_app NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;
GRANT app_user TO security_smoke_app;
"#;

#[tokio::test]
async fn app_user_cannot_switch_to_the_admin_role() {
    let seeded = Seeded::new("security_admin_set_role").await;
    let db = &seeded.test.db;
    db.execute_unprepared(APP_LOGIN)
        .await
        .expect("app login role");
    let member = count(db, "SELECT count(*) FROM pg_roles WHERE rolname = 'app_user' AND pg_has_role('app_user', 'app_admin', 'MEMBER')").await;
    assert_eq!(member, 0, "app_user is a member of app_admin");
    // A hijacked connection of the application: logged in as its service account (SET
    // SESSION AUTHORIZATION stands for the login), acting as app_user.
    let txn = db.begin().await.expect("begin");
    txn.execute_unprepared(
        "SET LOCAL SESSION AUTHORIZATION security_smoke_app; SET LOCAL ROLE app_user",
    )
    .await
    .expect("act as the application");
    let err = txn
        .execute_unprepared("SET ROLE app_admin")
        .await
        .expect_err("the application switched to app_admin");
    assert!(err.to_string().contains("permission denied"), "{err}");
    txn.rollback().await.expect("rollback");
}

#[tokio::test]
async fn admin_settings_on_an_app_user_connection_give_nothing() {
    let seeded = Seeded::new("security_admin_fake").await;
    let db = &seeded.test.db;
    // An admin of the platform's own `users.role`, acting through app_user, is an ordinary
    // user there: the role column grants nothing in the database.
    let admin = user_id(db, "cjhirashi@gmail.com").await;
    let fakes = [
        "SELECT set_config('app.is_admin', 'true', true)",
        "SELECT set_config('app.role', 'app_admin', true)",
        "SELECT set_config('app.bypass_rls', 'on', true)",
    ];
    for setting in [Setting::Unset, Setting::User(admin.clone())] {
        let txn = acting(db, "app_user", &setting).await;
        for fake in fakes {
            txn.execute_unprepared(fake).await.expect("set a variable");
        }
        for table in &seeded.tables {
            let sql = format!(
                "SELECT count(*) FROM {} t WHERE {} IS DISTINCT FROM '{admin}'",
                table.name, table.owner
            );
            let row = txn
                .query_one_raw(Statement::from_string(txn.get_database_backend(), sql))
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", table.name))
                .expect("row");
            let others: i64 = row.try_get_by_index(0).expect("count");
            assert_eq!(others, 0, "{} with {setting:?}", table.name);
        }
        txn.rollback().await.expect("rollback");
    }
}
