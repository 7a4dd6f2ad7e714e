//! No reference across users: for every foreign key from a user-owned table to another
//! user-owned table, `app_user` cannot make its row point at another user's parent, and the
//! refusal reads the same as for an id that does not exist.

use super::{Owned, Seeded, Setting, attempt, insert_as_app_user, ownership};
use crate::query_strings;

#[tokio::test]
async fn no_row_can_point_at_another_users_parent() {
    let seeded = Seeded::new("security_references").await;
    let found = ownership(&seeded.test.db).await;
    let owned = |name: &str| seeded.tables.iter().find(|t| t.name == name).cloned();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (child, column, parent) in &found.foreign_keys {
        let (Some(child), Some(parent)) = (owned(child), owned(parent)) else {
            continue;
        };
        if parent.name == "public.users" {
            continue;
        }
        checked += 1;
        failures.extend(check_pair(&seeded, &child, column, &parent).await);
    }
    // Every parent/child pair of the schema: conversations to messages, files to shares,
    // medications to their logs, accounts to transactions...
    assert!(checked >= 25, "only {checked} pairs found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Inserting a copy of user one's child row pointing at user two's parent, and updating the
/// child to point there, are refused; the insert's error is the one a random id gets.
async fn check_pair(seeded: &Seeded, child: &Owned, column: &str, parent: &Owned) -> Vec<String> {
    let db = &seeded.test.db;
    let pair = format!("{}.{column} -> {}", child.name, parent.name);
    let Some(ctid) = seeded.rows_of(child, &seeded.one).await.into_iter().next() else {
        return vec![format!("{pair}: no row of user one")];
    };
    let sql = format!(
        "SELECT t.id::text FROM {} t WHERE {} = '{}' LIMIT 1",
        parent.name, parent.owner, seeded.two
    );
    let Some(foreign) = query_strings(db, &sql).await.pop() else {
        return vec![format!("{pair}: no parent of user two")];
    };
    let row = seeded.row_json(child, &ctid).await.replace('\'', "''");
    let new_id = if child.has_id {
        ", 'id', gen_random_uuid()"
    } else {
        ""
    };
    let insert = |target: String| {
        let row = format!("'{row}'::jsonb || jsonb_build_object('{column}', '{target}'{new_id})");
        async move { insert_as_app_user(db, &child.name, &row).await }
    };
    let one = Setting::User(seeded.one.clone());
    let to_foreign = attempt(db, "app_user", &one, &insert(foreign.clone()).await).await;
    let random = sea_orm::prelude::Uuid::new_v4().to_string();
    let to_random = attempt(db, "app_user", &one, &insert(random).await).await;
    let mut failures = Vec::new();
    if !matches!(&to_foreign, Err(e) if e.contains("row-level security")) {
        failures.push(format!(
            "{pair}: insert pointing at user two's parent: {to_foreign:?}"
        ));
    }
    if to_foreign != to_random {
        failures.push(format!(
            "{pair}: errors differ: {to_foreign:?} / {to_random:?}"
        ));
    }
    let update = format!(
        r#"UPDATE {} SET "{column}" = '{foreign}' WHERE ctid = '{ctid}'"#,
        child.name
    );
    let moved = attempt(db, "app_user", &one, &update).await;
    if !matches!(&moved, Err(e) if e.contains("row-level security") || e.contains("permission denied"))
    {
        failures.push(format!(
            "{pair}: update pointing at user two's parent: {moved:?}"
        ));
    }
    failures
}
