//! The critical queries keep their index paths under row-level security: run as `app_user`
//! for a user, each plan still uses the indexes it is meant for, with no sequential scan.

use dbcheck::verify::{Param, critical_queries};
use sea_orm::{ConnectionTrait, Statement};

use super::{Setting, acting};

/// The queries of the support staff's screens, which run as `app_admin`: a user's own view of
/// their tickets is narrower and rightly uses the "userId" index instead.
const STAFF_QUERIES: &[&str] = &["tickets_by_status"];

#[tokio::test]
async fn critical_queries_use_their_indexes_as_app_user() {
    let test = smoke_tests::TestDb::migrated("security_plans").await;
    // The user the sample queries ask for, so the policies and the queries agree.
    let user = Param::User.sample().trim_matches('\'').to_owned();
    let mut failures = Vec::new();
    for query in critical_queries() {
        let role = if STAFF_QUERIES.contains(&query.name) {
            "app_admin"
        } else {
            "app_user"
        };
        let txn = acting(&test.db, role, &Setting::User(user.clone())).await;
        txn.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .expect("enable_seqscan");
        let sql = format!("EXPLAIN {}", query.sample_sql());
        let plan: Vec<String> = txn
            .query_all_raw(Statement::from_string(txn.get_database_backend(), sql))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", query.name))
            .iter()
            .map(|r| r.try_get_by_index::<String>(0).expect("plan line"))
            .collect();
        txn.rollback().await.expect("rollback");
        let plan = plan.join("\n");
        if plan.contains("Seq Scan") {
            failures.push(format!("{}: sequential scan\n{plan}", query.name));
        }
        for accepted in query.accepted {
            // An entry may build several indexes: whichever the planner picks is a fast path.
            if !accepted.built.iter().any(|name| plan.contains(name)) {
                let built = accepted.built.join(" | ");
                failures.push(format!("{}: does not use {built}\n{plan}", query.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
