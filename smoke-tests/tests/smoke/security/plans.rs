//! The critical queries keep their index paths under row-level security: run as `app_user`
//! for a user, each plan still uses the indexes it is meant for, with no sequential scan; and
//! the staff's support queue, run as `app_admin`, reads its index in order and stops at a page.

use dbcheck::verify::{CriticalQuery, Param, critical_queries};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::{Seeded, Setting, acting, read_as};
use crate::query_strings;

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

/// The support queue's index, which holds the tickets by status, newest first.
const QUEUE_INDEX: &str = "support_tickets_status_createdAt_idx";

/// As `app_admin` the support queue reads the open tickets from their index in its order and
/// stops at the page: no Sort of every open ticket (enum equality is not LEAKPROOF, so under
/// row-level security only the query's own `ORDER BY "status", ..` makes the index's order
/// the query's). The page is the one the owner reads, and as `app_user` the same query still
/// returns only the user's own tickets.
#[tokio::test]
async fn the_support_queue_reads_its_index_in_order_as_app_admin() {
    let seeded = Seeded::new("security_support_queue_in_order").await;
    let db = &seeded.test.db;
    fill_the_queue(db, &seeded.one, &seeded.two).await;
    let query = critical_queries()
        .into_iter()
        .find(|q| q.name == "tickets_by_status")
        .expect("the support queue is a critical query");
    let plan = read_as(
        db,
        "app_admin",
        &Setting::Unset,
        &format!("EXPLAIN {}", query.sample_sql()),
    )
    .await
    .expect("explain as app_admin")
    .join("\n");
    assert!(
        plan.contains(QUEUE_INDEX) && !plan.contains("Sort") && !plan.contains("Bitmap"),
        "as app_admin the queue is not read from {QUEUE_INDEX} in order:\n{plan}"
    );
    let staff = ids_as(db, &query, "app_admin", &Setting::Unset).await;
    assert_eq!(staff, open_tickets(db, None).await);
    let one = Setting::User(seeded.one.clone());
    let own = ids_as(db, &query, "app_user", &one).await;
    assert_eq!(own, open_tickets(db, Some(&seeded.one)).await);
    let bypass = query_strings(
        db,
        "SELECT rolbypassrls::text FROM pg_roles WHERE rolname = 'app_admin'",
    )
    .await;
    assert_eq!(
        bypass,
        ["false"],
        "app_admin must stay under row-level security"
    );
}

/// 12,000 tickets of users one and two, a third of them open, newer than the seed's, and
/// analyzed: the queue of a platform with 20,000 users, where sorting every open ticket is
/// what the planner picks when the index's order is not the query's.
async fn fill_the_queue(db: &DatabaseConnection, one: &str, two: &str) {
    db.execute_unprepared(&format!(
        r#"INSERT INTO support_tickets ("userId", category, status, subject, description, "createdAt")
           SELECT (CASE WHEN g % 2 = 0 THEN '{one}' ELSE '{two}' END)::uuid, 'QUESTION',
                  (ARRAY['OPEN', 'IN_PROGRESS', 'RESOLVED'])[1 + g % 3]::"TicketStatus",
                  'ticket ' || g, 'in the queue', TIMESTAMP '2030-01-01' - g * INTERVAL '1 minute'
             FROM generate_series(1, 12000) g;
           ANALYZE support_tickets"#
    ))
    .await
    .expect("fill the support queue");
}

/// The ids the support queue returns, in order, acting as `role` with `setting`.
async fn ids_as(
    db: &DatabaseConnection,
    query: &CriticalQuery,
    role: &str,
    setting: &Setting,
) -> Vec<String> {
    let sql = format!("SELECT q.id::text FROM ({}) q", query.sample_sql());
    let ids = read_as(db, role, setting, &sql).await;
    ids.unwrap_or_else(|e| panic!("the queue as {role}: {e}"))
}

/// The newest 50 open tickets (of `user`, or of everyone), read as the owner.
async fn open_tickets(db: &DatabaseConnection, user: Option<&str>) -> Vec<String> {
    let of_user = user.map_or(String::new(), |u| format!(r#"AND "userId" = '{u}'"#));
    let sql = format!(
        r#"SELECT id::text FROM support_tickets WHERE status = 'OPEN' {of_user}
           ORDER BY "createdAt" DESC LIMIT 50"#
    );
    query_strings(db, &sql).await
}
