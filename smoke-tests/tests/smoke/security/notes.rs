//! A support ticket's internal notes are the staff's: the ticket's owner, as `app_user`,
//! neither reads them nor writes one, while `app_admin` reads them all.

use sea_orm::ConnectionTrait;

use super::{Seeded, Setting, attempt, read_as};
use crate::query_strings;

#[tokio::test]
async fn a_ticket_owner_neither_reads_nor_writes_internal_notes() {
    let seeded = Seeded::new("security_internal_notes").await;
    let db = &seeded.test.db;
    let sql = format!(
        r#"SELECT id::text FROM support_tickets WHERE "userId" = '{}' LIMIT 1"#,
        seeded.one
    );
    let ticket = query_strings(db, &sql)
        .await
        .pop()
        .expect("a ticket of user one");
    db.execute_unprepared(&format!(
        r#"INSERT INTO support_messages ("ticketId", content, "isInternal")
           VALUES ('{ticket}', 'staff only', true)"#
    ))
    .await
    .expect("an internal note");
    let contents = format!(r#"SELECT content FROM support_messages WHERE "ticketId" = '{ticket}'"#);
    let owner = Setting::User(seeded.one.clone());
    let seen = read_as(db, "app_user", &owner, &contents)
        .await
        .expect("read as the owner");
    assert!(
        !seen.is_empty(),
        "the owner sees none of the ticket's messages"
    );
    assert!(!seen.iter().any(|c| c == "staff only"), "{seen:?}");
    let staff = read_as(db, "app_admin", &Setting::Unset, &contents)
        .await
        .expect("read as staff");
    assert_eq!(staff.len(), seen.len() + 1, "{staff:?}");
    let write = |internal: bool| {
        format!(
            r#"INSERT INTO support_messages ("ticketId", content, "isInternal")
               VALUES ('{ticket}', 'from the owner', {internal})"#
        )
    };
    let refused = attempt(db, "app_user", &owner, &write(true)).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("row-level security")),
        "{refused:?}"
    );
    assert_eq!(attempt(db, "app_user", &owner, &write(false)).await, Ok(1));
}
