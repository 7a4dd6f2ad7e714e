//! The dev seed's last part: a row in every owned table its fillers left empty, from the catalog.
//!
//! A table added by a migration has no filler until someone writes one; this gives it rows
//! so that the dev data still covers every table. It reads the catalog in the seed's
//! transaction and fills only tables that are empty, so a second run writes nothing and the
//! tables the fillers wrote are never touched. Tables are filled parents first. A table of
//! users' rows (a NOT NULL "userId" referencing `users`) gets one row per ordinary user, any
//! other table one row. Columns with a default or NULL allowed are left to the database,
//! except foreign keys, which take the first row of their parent (of the same user where the
//! parent belongs to one, so the rows pass row-level security's same-owner rules; NULL
//! when that user has none and NULL is allowed). Other NOT NULL columns take a value of their
//! type ([`values::value`]); a table with a column of a type the fill cannot write fails the
//! seed, naming it and the fix: a filler in `seed/src/dev/`.

mod catalog;
mod values;

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

use self::catalog::{Catalog, ForeignKey, Table, quoted};
use crate::Summary;

/// A row to insert: (column, SQL expression) pairs, or why the row cannot be written.
type Row = Result<Vec<(String, String)>, String>;

/// Fills every empty table of the owned schemas (the bookkeeping and transient tables aside),
/// with a row for each of `users` in tables of users' rows, and counts the rows in
/// `summary.generic`.
pub async fn fill<C: ConnectionTrait>(
    db: &C,
    users: &[Uuid],
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let catalog = Catalog::read(db).await?;
    let mut empty = Vec::new();
    for table in catalog.parents_first() {
        if is_empty(db, table).await? {
            empty.push(table);
        }
    }
    let unfillable: Vec<String> = empty.iter().filter_map(|t| unfillable(t)).collect();
    if !unfillable.is_empty() {
        bail!(
            "the dev seed cannot fill {}: write a filler for it in seed/src/dev/ (the part of \
             the table's phase)",
            unfillable.join("; ")
        );
    }
    for table in empty {
        summary.generic += fill_table(db, &catalog, table, users).await?;
    }
    super::act_as_nobody(db).await
}

async fn is_empty<C: ConnectionTrait>(db: &C, table: &Table) -> anyhow::Result<bool> {
    let sql = format!("SELECT NOT EXISTS (SELECT 1 FROM {}) AS empty", table.name);
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .with_context(|| format!("check whether {} is empty", table.name))?
        .context("one row")?;
    Ok(row.try_get("", "empty")?)
}

/// Why the fill cannot write a row of `table` whatever its parents hold: a NOT NULL column
/// without a default that is not a foreign key to another table and has a type the fill does
/// not write, or that references the table itself.
fn unfillable(table: &Table) -> Option<String> {
    table
        .columns
        .iter()
        .filter(|c| c.not_null && !c.defaulted)
        .find_map(|column| {
            let key = table.keys.iter().find(|k| k.columns.contains(&column.name));
            match key {
                Some(k) if k.parent == table.oid => Some(format!(
                    "{} (its NOT NULL column \"{}\" references the table itself)",
                    table.name, column.name
                )),
                Some(_) => None,
                None => values::value(table, column, 1).is_none().then(|| {
                    format!(
                        "{} (its column \"{}\" is {}, NOT NULL without a default)",
                        table.name, column.name, column.sql_type
                    )
                }),
            }
        })
}

/// Writes `table`'s rows: one per user of `users` for a table of users' rows (as that user,
/// skipping a user that a NOT NULL foreign key finds no parent of), else one. Returns how
/// many; fails when none could be written.
async fn fill_table<C: ConnectionTrait>(
    db: &C,
    catalog: &Catalog,
    table: &Table,
    users: &[Uuid],
) -> anyhow::Result<u64> {
    let owners: Vec<Option<Uuid>> = if table.per_user() {
        users.iter().copied().map(Some).collect()
    } else {
        vec![None]
    };
    let mut written = 0;
    let mut missing = String::new();
    for (n, owner) in (1..).zip(owners) {
        if let Some(user) = owner {
            super::act_as(db, user).await?;
        }
        match row(db, catalog, table, owner, n).await? {
            Ok(values) => {
                insert(db, table, &values).await?;
                written += 1;
            }
            Err(why) => missing = why,
        }
    }
    if written == 0 {
        bail!(
            "the dev seed cannot fill {}: {missing}; write a filler for it in seed/src/dev/ (the \
             part of the table's phase)",
            table.name
        );
    }
    Ok(written)
}

/// Row `n` of `table`, for `owner` when the table holds users' rows.
async fn row<C: ConnectionTrait>(
    db: &C,
    catalog: &Catalog,
    table: &Table,
    owner: Option<Uuid>,
    n: usize,
) -> anyhow::Result<Row> {
    let mut values: Vec<(String, String)> = Vec::new();
    // A reference to the table itself stays NULL: the table is empty.
    for key in table.keys.iter().filter(|k| k.parent != table.oid) {
        let Some(parent) = parent_row(db, catalog, key, owner).await? else {
            let optional = |c: &String| table.column(c).is_none_or(|c| !c.not_null || c.defaulted);
            if key.columns.iter().all(optional) {
                continue;
            }
            let whose = owner.map(|u| format!(" of user {u}")).unwrap_or_default();
            return Ok(Err(format!(
                "{} has no row{whose} for its foreign key {}",
                key.parent_name, key.constraint
            )));
        };
        for (name, text) in key.columns.iter().zip(parent) {
            let (Some(column), Some(text)) = (table.column(name), text) else {
                continue;
            };
            if !values.iter().any(|(c, _)| c == name) {
                values.push((name.clone(), values::literal(&text, &column.sql_type)));
            }
        }
    }
    let in_a_key = |name: &String| table.keys.iter().any(|k| k.columns.contains(name));
    for column in table.columns.iter().filter(|c| c.not_null && !c.defaulted) {
        if in_a_key(&column.name) {
            continue;
        }
        let value = values::value(table, column, n)
            .with_context(|| format!("no value for {}.{}", table.name, column.name))?;
        values.push((column.name.clone(), value));
    }
    Ok(Ok(values))
}

/// The referenced columns, as text, of the first row of `key`'s parent (ordered by them),
/// among the rows of `owner` when given and the parent belongs to users; None when there is
/// no such row.
async fn parent_row<C: ConnectionTrait>(
    db: &C,
    catalog: &Catalog,
    key: &ForeignKey,
    owner: Option<Uuid>,
) -> anyhow::Result<Option<Vec<Option<String>>>> {
    let columns: Vec<String> = key
        .referenced
        .iter()
        .map(|c| format!("t0.{}::text", quoted(c)))
        .collect();
    let order: Vec<String> = (1..=columns.len()).map(|i| i.to_string()).collect();
    let mut sql = format!("SELECT {} FROM {} t0", columns.join(", "), key.parent_name);
    let mut params = Vec::new();
    if let (Some(user), Some((joins, owner_id))) = (owner, catalog.owner_path(key.parent)) {
        sql += &format!("{joins} WHERE {owner_id} = $1");
        params.push(user.to_string().into());
    }
    sql += &format!(" ORDER BY {} LIMIT 1", order.join(", "));
    let backend = db.get_database_backend();
    let found = db
        .query_one_raw(Statement::from_sql_and_values(backend, &sql, params))
        .await
        .with_context(|| format!("find a parent row in {}", key.parent_name))?;
    let Some(found) = found else {
        return Ok(None);
    };
    let values = (0..columns.len())
        .map(|i| found.try_get_by_index::<Option<String>>(i))
        .collect::<Result<_, _>>()?;
    Ok(Some(values))
}

async fn insert<C: ConnectionTrait>(
    db: &C,
    table: &Table,
    values: &[(String, String)],
) -> anyhow::Result<()> {
    let sql = if values.is_empty() {
        format!("INSERT INTO {} DEFAULT VALUES", table.name)
    } else {
        let columns: Vec<String> = values.iter().map(|(c, _)| quoted(c)).collect();
        let exprs: Vec<&str> = values.iter().map(|(_, v)| v.as_str()).collect();
        format!(
            "INSERT INTO {} ({}) VALUES ({})",
            table.name,
            columns.join(", "),
            exprs.join(", ")
        )
    };
    db.execute_unprepared(&sql).await.with_context(|| {
        format!(
            "the dev seed's generic fill could not write a row into {} (a constraint it cannot \
             guess?): write a filler for it in seed/src/dev/ (the part of the table's phase)",
            table.name
        )
    })?;
    Ok(())
}
