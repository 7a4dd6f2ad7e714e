//! Phase 7: row-level security on every user's table, the admin role, no reference across
//! users, internal support notes kept from the ticket's owner, files shared with a user, the
//! audit trail, and the critical queries' plans under row-level security. The user-owned
//! tables come from the catalog, so a new table cannot be left out.

mod admin;
mod audit;
mod columns;
mod matrix;
mod notes;
mod plans;
mod references;
mod shares;
mod tokens;

use std::collections::BTreeMap;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, Statement, TransactionTrait,
};
use smoke_tests::TestDb;

use crate::query_strings;

/// What `app.current_user_id` holds in a transaction.
#[derive(Debug, Clone)]
pub enum Setting {
    User(String),
    Unset,
    Empty,
    Garbage,
}

impl Setting {
    fn value(&self) -> Option<&str> {
        match self {
            Setting::User(id) => Some(id),
            Setting::Unset => None,
            Setting::Empty => Some(""),
            Setting::Garbage => Some("'; admin"),
        }
    }
}

/// A fully migrated database with the dev seed, its two ordinary users and its owned tables.
pub struct Seeded {
    pub test: TestDb,
    pub one: String,
    pub two: String,
    pub tables: Vec<Owned>,
}

impl Seeded {
    pub async fn new(name: &str) -> Seeded {
        let test = TestDb::migrated(name).await;
        seed::run(&test.db, &seed::Profile::Dev)
            .await
            .expect("seed");
        let one = user_id(&test.db, "user1@example.com").await;
        let two = user_id(&test.db, "user2@example.com").await;
        let found = ownership(&test.db).await;
        mirror(&test.db, &found, &one, &two).await;
        let tables = found.owned;
        Seeded {
            test,
            one,
            two,
            tables,
        }
    }

    /// The ctids of `table`'s rows that belong to `user`, read as the owner.
    pub async fn rows_of(&self, table: &Owned, user: &str) -> Vec<String> {
        let sql = format!(
            "SELECT t.ctid::text FROM {} t WHERE {} = '{user}' ORDER BY t.ctid",
            table.name, table.owner
        );
        query_strings(&self.test.db, &sql).await
    }

    /// A row as JSON, read as the owner.
    pub async fn row_json(&self, table: &Owned, ctid: &str) -> String {
        let sql = format!(
            "SELECT to_jsonb(t)::text FROM {} t WHERE t.ctid = '{ctid}'",
            table.name
        );
        query_strings(&self.test.db, &sql).await.remove(0)
    }
}

/// Gives user two a copy of each of user one's rows, so that every owned table has rows of
/// both (the dev seed gives user two only some): parents first, with new ids derived from the
/// old ones, so that a copied child points at the copy of its parent; unique text values are
/// replaced by others of the same length; rows that would still clash (one profile per user) are left out.
async fn mirror(db: &DatabaseConnection, found: &Ownership, one: &str, two: &str) {
    let mut done: Vec<&str> = vec!["public.users"];
    while done.len() < found.owned.len() {
        let before = done.len();
        for table in &found.owned {
            let parents: Vec<&ForeignKey> = owned_parents(found, &table.name).collect();
            if done.contains(&table.name.as_str())
                || parents
                    .iter()
                    .any(|(_, _, p)| p != &table.name && !done.contains(&p.as_str()))
            {
                continue;
            }
            let sql = mirror_sql(db, table, &parents, one, two).await;
            db.execute_unprepared(&sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            done.push(&table.name);
        }
        assert!(done.len() > before, "a cycle among {:?}", found.owned);
    }
}

/// The foreign keys of `table` onto owned tables other than `users`.
fn owned_parents<'a>(found: &'a Ownership, table: &'a str) -> impl Iterator<Item = &'a ForeignKey> {
    found.foreign_keys.iter().filter(move |(child, _, parent)| {
        child == table && parent != "public.users" && found.owned.iter().any(|t| &t.name == parent)
    })
}

async fn mirror_sql(
    db: &DatabaseConnection,
    table: &Owned,
    parents: &[&ForeignKey],
    one: &str,
    two: &str,
) -> String {
    let name = &table.name;
    let new_id = |column: &str| format!(r#"'{column}', md5(t."{column}"::text || '{two}')::uuid"#);
    let mut changes: Vec<String> = parents
        .iter()
        .map(|(_, column, _)| new_id(column))
        .collect();
    if table.has_id {
        changes.push(new_id("id"));
    }
    if table.owner == r#"t."userId"::text"# {
        changes.push(format!("'userId', '{two}'"));
    }
    let unique_text = format!(
        "SELECT DISTINCT a.attname::text FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
          WHERE i.indrelid = '{name}'::regclass AND i.indisunique
            AND a.atttypid IN ('text'::regtype, 'varchar'::regtype) AND a.attname <> 'userId'"
    );
    for column in query_strings(db, &unique_text).await {
        changes.push(format!(
            r#"'{column}', left(md5(t."{column}" || '{two}') || t."{column}", length(t."{column}"))"#
        ));
    }
    format!(
        "INSERT INTO {name} SELECT (jsonb_populate_record(NULL::{name},
           to_jsonb(t) || jsonb_build_object({}))).* FROM {name} t WHERE {} = '{one}'
         ON CONFLICT DO NOTHING",
        changes.join(", "),
        table.owner
    )
}

/// `INSERT INTO table` of the record `row` (SQL of a `jsonb`), naming only the columns
/// `app_user` may insert, as the application does; all of them when it may insert none, so
/// that the grant refuses it.
pub async fn insert_as_app_user(db: &DatabaseConnection, table: &str, row: &str) -> String {
    let sql = format!(
        "SELECT coalesce(string_agg(quote_ident(attname), ', ' ORDER BY attnum), '*')
           FROM pg_attribute WHERE attrelid = '{table}'::regclass AND attnum > 0
            AND NOT attisdropped AND has_column_privilege('app_user', attrelid, attnum, 'INSERT')"
    );
    let columns = query_strings(db, &sql).await.remove(0);
    let target = if columns == "*" {
        String::new()
    } else {
        format!(" ({columns})")
    };
    format!(
        "INSERT INTO {table}{target} SELECT {columns} FROM jsonb_populate_record(NULL::{table}, {row})"
    )
}

pub async fn user_id(db: &DatabaseConnection, email: &str) -> String {
    let sql = format!("SELECT id::text FROM users WHERE email = '{email}'");
    query_strings(db, &sql).await.pop().expect("seeded user")
}

/// A transaction acting as `role` with `setting`.
pub async fn acting(db: &DatabaseConnection, role: &str, setting: &Setting) -> DatabaseTransaction {
    let txn = db.begin().await.expect("begin");
    txn.execute_unprepared(&format!("SET LOCAL ROLE {role}"))
        .await
        .expect("set role");
    if let Some(value) = setting.value() {
        txn.execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "SELECT set_config('app.current_user_id', $1, true)",
            [value.into()],
        ))
        .await
        .expect("set_config");
    }
    txn
}

/// Runs one statement in its own transaction as `role`, rolled back: the rows it affected,
/// or the error's text.
pub async fn attempt(
    db: &DatabaseConnection,
    role: &str,
    setting: &Setting,
    sql: &str,
) -> Result<u64, String> {
    let txn = acting(db, role, setting).await;
    let result = txn
        .execute_unprepared(sql)
        .await
        .map(|r| r.rows_affected())
        .map_err(|e| e.to_string());
    txn.rollback().await.expect("rollback");
    result
}

/// The first column of every row of `sql`, read in a transaction acting as `role`.
pub async fn read_as(
    db: &DatabaseConnection,
    role: &str,
    setting: &Setting,
    sql: &str,
) -> Result<Vec<String>, String> {
    let txn = acting(db, role, setting).await;
    let rows = txn
        .query_all_raw(Statement::from_string(txn.get_database_backend(), sql))
        .await
        .map_err(|e| e.to_string())
        .map(|rows| {
            rows.iter()
                .map(|r| r.try_get_by_index::<String>(0).expect("text"))
                .collect()
        });
    txn.rollback().await.expect("rollback");
    rows
}

/// A table whose rows belong to users, found from the catalog.
#[derive(Debug, Clone)]
pub struct Owned {
    /// Quoted `schema.table`.
    pub name: String,
    /// SQL over the alias `t` giving the owning user's id as text.
    pub owner: String,
    /// Whether the table has an "id" column (the join tables have a composite key).
    pub has_id: bool,
}

/// A single-column foreign key: (child, column, parent), quoted names.
pub type ForeignKey = (String, String, String);

/// Every table of the owned schemas, split into those whose rows belong to a user and the
/// rest; and the single-column foreign keys onto "id".
pub struct Ownership {
    pub owned: Vec<Owned>,
    pub shared: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
}

/// Reads which tables hold users' rows: `users` itself, a table with a NOT NULL "userId"
/// (a nullable one names an actor, such as who opened a file, not the owner), and a table
/// with a foreign key to such a table other than `users` (a plain reference to a user names
/// a role, creator, assignee or author, not the owner).
pub async fn ownership(db: &DatabaseConnection) -> Ownership {
    let tables = crate::owned_tables(db).await;
    let user_id_not_null: BTreeMap<String, bool> = query_pairs(
        db,
        r#"SELECT (a.attrelid::regclass)::text, a.attnotnull::text FROM pg_attribute a
           WHERE a.attname = 'userId' AND NOT a.attisdropped"#,
    )
    .await
    .into_iter()
    .map(|(t, n)| (qualified(&t), n == "true"))
    .collect();
    let with_id: Vec<String> = query_strings(
        db,
        "SELECT (attrelid::regclass)::text FROM pg_attribute WHERE attname = 'id' AND NOT attisdropped",
    )
    .await
    .iter()
    .map(|t| qualified(t))
    .collect();
    let foreign_keys = foreign_keys(db).await;
    let mut owned = Vec::new();
    let mut shared = Vec::new();
    for table in &tables {
        match owner_of(table, "t", 0, &user_id_not_null, &foreign_keys) {
            Some(owner) => owned.push(Owned {
                name: table.clone(),
                owner,
                has_id: with_id.contains(table),
            }),
            None => shared.push(table.clone()),
        }
    }
    Ownership {
        owned,
        shared,
        foreign_keys,
    }
}

/// `regclass` text omits `public.`; the harness's names always carry the schema.
fn qualified(name: &str) -> String {
    if name.contains('.') {
        name.to_owned()
    } else {
        format!("public.{name}")
    }
}

/// The owner expression of `table` over `alias`, following foreign keys to owned parents.
fn owner_of(
    table: &str,
    alias: &str,
    depth: usize,
    user_id: &BTreeMap<String, bool>,
    fks: &[ForeignKey],
) -> Option<String> {
    if table == "public.users" {
        return Some(format!("{alias}.id::text"));
    }
    if user_id.get(table) == Some(&true) {
        return Some(format!(r#"{alias}."userId"::text"#));
    }
    if depth > 4 {
        return None;
    }
    let next = format!("p{depth}");
    fks.iter()
        .filter(|(child, _, parent)| child == table && parent != "public.users" && parent != table)
        .find_map(|(_, column, parent)| {
            owner_of(parent, &next, depth + 1, user_id, fks).map(|owner| {
                format!(
                    r#"(SELECT {owner} FROM {parent} {next} WHERE {next}.id = {alias}."{column}")"#
                )
            })
        })
}

async fn foreign_keys(db: &DatabaseConnection) -> Vec<ForeignKey> {
    let sql = r#"SELECT (c.conrelid::regclass)::text || '|' || a.attname || '|' || (c.confrelid::regclass)::text
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1]
        WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND r.attname = 'id'
        ORDER BY c.conname"#;
    query_strings(db, sql)
        .await
        .iter()
        .map(|line| {
            let mut parts = line.split('|');
            let mut next = || parts.next().expect("part").to_owned();
            let (child, column, parent) = (next(), next(), next());
            (qualified(&child), column, qualified(&parent))
        })
        .collect()
}

async fn query_pairs(db: &DatabaseConnection, sql: &str) -> Vec<(String, String)> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| {
            (
                r.try_get_by_index::<String>(0).expect("text"),
                r.try_get_by_index::<String>(1).expect("text"),
            )
        })
        .collect()
}
