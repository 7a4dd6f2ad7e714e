//! The isolation matrix: every user-owned table × {own rows, another user's rows, another
//! user's rows shared with the user, setting unset, empty, garbage} × {SELECT, INSERT, UPDATE,
//! DELETE} as `app_user`; and the rule that a table with a user owner cannot exist without
//! forced row-level security.

use sea_orm::DatabaseConnection;

use super::{Owned, Seeded, Setting, attempt, insert_as_app_user, ownership, read_as};
use crate::{count, query_strings};

/// The tables with no user owner, each on purpose: the agent catalogue, the audit trail, the
/// counters' pending changes (closed to both application roles), invitations and sign-in
/// tokens (see docs/security.md). A new table lands here or among
/// the owned ones, so it is decided, not forgotten.
const SHARED: &[&str] = &[
    "public.agents",
    "public.audit_logs",
    "public.counter_deltas",
    "public.invitations",
    "public.verification_tokens",
];

#[tokio::test]
async fn every_table_with_a_user_owner_has_forced_row_level_security() {
    let test = smoke_tests::TestDb::migrated("security_rls_everywhere").await;
    let found = ownership(&test.db).await;
    assert_eq!(found.shared, SHARED, "tables without a user owner");
    let mut missing = Vec::new();
    for table in &found.owned {
        let name = &table.name;
        let sql = format!(
            "SELECT count(*) FROM pg_class c WHERE c.oid = '{name}'::regclass
               AND c.relrowsecurity AND c.relforcerowsecurity
               AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polpermissive
                             AND 'app_user'::regrole = ANY (p.polroles))
               AND has_table_privilege('app_user', c.oid, 'SELECT')"
        );
        if count(&test.db, &sql).await != 1 {
            missing.push(name.clone());
        }
    }
    assert!(found.owned.len() >= 40, "{:?}", found.owned);
    assert!(
        missing.is_empty(),
        "no forced RLS policy for app_user on {missing:?}"
    );
}

/// What an operation did: rows affected, or refused (by a grant or a policy).
fn refused(result: &Result<u64, String>) -> bool {
    matches!(result, Err(e) if e.contains("row-level security") || e.contains("permission denied"))
}

#[tokio::test]
async fn app_user_reaches_only_its_own_rows_and_those_shared_with_it_in_every_user_table() {
    let seeded = Seeded::new("security_matrix").await;
    let shared = share_with_user_one(&seeded).await;
    let mut failures = Vec::new();
    for table in &seeded.tables {
        let reachable = shared
            .iter()
            .find(|(name, _)| name == &table.name)
            .map(|(_, ctid)| ctid.as_str());
        failures.extend(check_table(&seeded, table, reachable).await);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Shares one of user two's live files with user one (a live `USER` share, made as the
/// database owner), so that user one is also a recipient: the only rows of another user it
/// may read are that file and that share (docs/security.md, "Shares"). Returns (table, ctid)
/// of both.
async fn share_with_user_one(seeded: &Seeded) -> Vec<(String, String)> {
    let db = &seeded.test.db;
    let (one, two) = (&seeded.one, &seeded.two);
    let sql = format!(
        r#"INSERT INTO public.file_shares ("fileId", "sharedBy", "sharedWith", "shareType")
           SELECT id, "userId", '{one}', 'USER' FROM public.storage_files
            WHERE "userId" = '{two}' AND "deletedAt" IS NULL ORDER BY id LIMIT 1
           RETURNING ctid::text || '|' || "fileId"::text"#
    );
    let line = query_strings(db, &sql).await.remove(0);
    let (share, file) = line.split_once('|').expect("ctid|fileId");
    let sql = format!("SELECT ctid::text FROM public.storage_files WHERE id = '{file}'");
    let file = query_strings(db, &sql).await.remove(0);
    vec![
        ("public.storage_files".to_owned(), file),
        ("public.file_shares".to_owned(), share.to_owned()),
    ]
}

/// The matrix for one table, as a list of failures. `shared` is the row of user two that a
/// live share lets user one read, if the table has one: read, never written.
async fn check_table(seeded: &Seeded, table: &Owned, shared: Option<&str>) -> Vec<String> {
    let db = &seeded.test.db;
    let own = seeded.rows_of(table, &seeded.one).await;
    let other = seeded.rows_of(table, &seeded.two).await;
    if own.is_empty() || other.is_empty() {
        return vec![format!(
            "{}: the seed has no row of user one or two",
            table.name
        )];
    }
    let one = Setting::User(seeded.one.clone());
    let mut failures = Vec::new();
    let select = format!("SELECT t.ctid::text FROM {} t ORDER BY t.ctid", table.name);
    let mut visible = own.clone();
    visible.extend(shared.map(str::to_owned));
    visible.sort_by_key(|ctid| ctid_order(ctid));
    for setting in [&one, &Setting::Unset, &Setting::Empty, &Setting::Garbage] {
        let expected = if matches!(setting, Setting::User(_)) {
            visible.clone()
        } else {
            vec![]
        };
        let seen = read_as(db, "app_user", setting, &select).await;
        if seen != Ok(expected) {
            failures.push(format!("{} SELECT with {setting:?}: {seen:?}", table.name));
        }
    }
    let mut cases = vec![
        ("own", &one, own[0].as_str(), true),
        ("another user's", &one, other[0].as_str(), false),
        ("unset", &Setting::Unset, own[0].as_str(), false),
        ("empty", &Setting::Empty, own[0].as_str(), false),
        ("garbage", &Setting::Garbage, own[0].as_str(), false),
    ];
    if let Some(ctid) = shared {
        cases.push(("another user's shared", &one, ctid, false));
    }
    for (case, setting, ctid, allowed) in cases {
        for (op, sql, granted) in writes(seeded, table, ctid).await {
            let result = attempt(db, "app_user", setting, &sql).await;
            let ok = match (allowed && granted, op) {
                (true, "INSERT") => {
                    result == Ok(1) || matches!(&result, Err(e) if e.contains("duplicate key"))
                }
                (true, _) => result == Ok(1),
                (false, "INSERT") => refused(&result),
                (false, _) => result == Ok(0) || refused(&result),
            };
            if !ok {
                failures.push(format!("{} {op} on {case} row: {result:?}", table.name));
            }
        }
    }
    failures
}

/// A ctid's (block, line), the order `ORDER BY ctid` gives.
fn ctid_order(ctid: &str) -> (u64, u64) {
    let (block, line) = ctid
        .trim_matches(|c| c == '(' || c == ')')
        .split_once(',')
        .expect("(block,line)");
    (block.parse().expect("block"), line.parse().expect("line"))
}

/// The INSERT (a copy of the row with a new id), UPDATE and DELETE of the row at `ctid`,
/// each with whether `app_user` holds the privilege.
async fn writes(seeded: &Seeded, table: &Owned, ctid: &str) -> Vec<(&'static str, String, bool)> {
    let db = &seeded.test.db;
    let name = &table.name;
    let mut row = seeded.row_json(table, ctid).await.replace('\'', "''");
    if table.has_id {
        row = format!("'{row}'::jsonb || jsonb_build_object('id', gen_random_uuid())");
    } else {
        row = format!("'{row}'::jsonb");
    }
    let column = updatable_column(db, name).await;
    let privilege = |p: &str| {
        format!(
            "SELECT count(*) FROM (SELECT 1 WHERE has_table_privilege('app_user', '{name}', '{p}')) x"
        )
    };
    let update_granted = column.1;
    let insert = format!(
        "SELECT count(*) FROM (SELECT 1 WHERE has_any_column_privilege('app_user', '{name}', 'INSERT')) x"
    );
    vec![
        (
            "INSERT",
            insert_as_app_user(db, name, &row).await,
            count(db, &insert).await == 1,
        ),
        (
            "UPDATE",
            format!(
                r#"UPDATE {name} SET "{0}" = "{0}" WHERE ctid = '{ctid}'"#,
                column.0
            ),
            update_granted,
        ),
        (
            "DELETE",
            format!("DELETE FROM {name} WHERE ctid = '{ctid}'"),
            count(db, &privilege("DELETE")).await == 1,
        ),
    ]
}

/// A column `app_user` may update (not a key or the owner), or the first column if none.
async fn updatable_column(db: &DatabaseConnection, table: &str) -> (String, bool) {
    let sql = format!(
        "SELECT attname::text || '|' || has_column_privilege('app_user', attrelid, attnum, 'UPDATE')::text
           FROM pg_attribute WHERE attrelid = '{table}'::regclass AND attnum > 0 AND NOT attisdropped
            AND attname NOT IN ('id', 'userId')
          ORDER BY has_column_privilege('app_user', attrelid, attnum, 'UPDATE') DESC, attnum LIMIT 1"
    );
    let line = query_strings(db, &sql).await.remove(0);
    let (column, granted) = line.split_once('|').expect("column|granted");
    (column.to_owned(), granted == "true")
}
