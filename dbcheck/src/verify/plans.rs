//! The plan check of verify: each critical query is `EXPLAIN`ed as the planner really runs it,
//! and its plan must be bounded (no scan over [`BOUNDED_SCAN_ROWS`] estimated rows, no Sort
//! over [`BOUNDED_SORT_ROWS`]) and reach each large table it reads through an accepted index.
//!
//! The rules hold whatever the statistics say: on a small database every plan is bounded and
//! the planner rightly reads small tables whole, and which index it picks among several that
//! serve a query says nothing, so only the catalog's part (an accepted index exists) bites
//! there; on a large one a plan that reads or sorts too much fails, whichever index it used.

use std::collections::BTreeMap;

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::Value;

use super::queries::{Accepted, CriticalQuery, critical_queries};
use super::{Failure, fail};
use crate::catalog::{Catalog, rows};
use schema_facts::SCHEMAS;

/// The most rows one scan may read by the planner's estimate: a table this small may be read
/// whole, and a larger one only through an index that finds the query's rows.
pub const BOUNDED_SCAN_ROWS: f64 = 10_000.0;

/// A Sort over at most this many estimated rows is bounded (a user's few conversations or
/// chunks); over more, the query reads and sorts what an index should have kept in order.
pub const BOUNDED_SORT_ROWS: f64 = 1_000.0;

/// What a plan is judged against: each table's estimated rows and each index's table and
/// first key column, by name.
pub struct Relations {
    /// Estimated rows by `schema.table`: the larger of the last ANALYZE's count and the live
    /// rows counted since, so a table loaded since its last ANALYZE counts as large.
    pub rows: BTreeMap<String, f64>,
    /// `(schema.table, first key column)` of each valid index, by index name.
    pub indexes: BTreeMap<String, (String, String)>,
}

impl Relations {
    /// Reads the estimated rows of every owned table (free: statistics only) and takes the
    /// indexes from `catalog`.
    pub async fn load(db: &impl ConnectionTrait, catalog: &Catalog) -> anyhow::Result<Relations> {
        let sql = format!(
            "SELECT n.nspname::text, c.relname::text,
                    GREATEST(c.reltuples::float8, coalesce(s.n_live_tup, 0)::float8)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
              WHERE c.relkind IN ('r', 'p') AND n.nspname IN ({})",
            schema_facts::sql_list(SCHEMAS)
        );
        let mut rows_by_table = BTreeMap::new();
        for row in rows(db, &sql).await.context("read the tables' sizes")? {
            let schema: String = row.try_get_by_index(0)?;
            let table: String = row.try_get_by_index(1)?;
            rows_by_table.insert(format!("{schema}.{table}"), row.try_get_by_index(2)?);
        }
        let indexes = catalog
            .indexes
            .iter()
            .filter(|i| i.valid)
            .map(|i| {
                let first = i.columns.first().cloned().unwrap_or_default();
                (i.name.clone(), (format!("{}.{}", i.schema, i.table), first))
            })
            .collect();
        Ok(Relations {
            rows: rows_by_table,
            indexes,
        })
    }

    fn table_rows(&self, table: &str) -> f64 {
        self.rows.get(table).copied().unwrap_or(0.0)
    }

    /// Whether `index` is a valid index that `accepted` accepts.
    fn accepts(&self, accepted: &Accepted, index: &str) -> bool {
        self.indexes.get(index).is_some_and(|(table, first)| {
            table == accepted.table && accepted.leading.contains(&first.as_str())
        })
    }

    /// The table of a valid index, `schema.table`.
    fn table_of(&self, index: &str) -> Option<&str> {
        self.indexes.get(index).map(|(table, _)| table.as_str())
    }
}

/// Checks the plan of every critical query on `db`.
pub async fn check(db: &DatabaseConnection, catalog: &Catalog) -> anyhow::Result<Vec<Failure>> {
    let relations = Relations::load(db, catalog).await?;
    let mut failures = Vec::new();
    for query in critical_queries() {
        failures.extend(check_query(db, &query, &relations).await?);
    }
    Ok(failures)
}

/// The findings on one query: a missing accepted index, then what its plan reads and sorts.
pub async fn check_query(
    db: &DatabaseConnection,
    query: &CriticalQuery,
    relations: &Relations,
) -> anyhow::Result<Vec<Failure>> {
    let check = format!("query {}", query.name);
    let mut failures: Vec<Failure> = query
        .accepted
        .iter()
        .filter(|a| !relations.indexes.keys().any(|i| relations.accepts(a, i)))
        .map(|a| fail(&check, no_accepted_index(a)))
        .collect();
    let plan = match explain(db, &query.sample_sql()).await {
        Ok(plan) => plan,
        Err(err) => {
            failures.push(fail(
                &check,
                format!("EXPLAIN failed: {}", err.root_cause()),
            ));
            return Ok(failures);
        }
    };
    let nodes = nodes(&plan);
    let messages = unbounded(&nodes, relations)
        .into_iter()
        .chain(unaccepted(query, &nodes, relations));
    failures.extend(messages.map(|message| fail(&check, message)));
    Ok(failures)
}

fn no_accepted_index(accepted: &Accepted) -> String {
    format!(
        "no valid index on {} leads with {}, so the query reads the whole table: recreate {} \
         as its migration defines it",
        accepted.table,
        quoted_list(accepted.leading),
        accepted.built.join(" or ")
    )
}

fn quoted_list(columns: &[&str]) -> String {
    let quoted: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    quoted.join(" or ")
}

/// `EXPLAIN (FORMAT JSON, VERBOSE)` of `sql` inside a read-only transaction that is rolled
/// back, with the planner's normal settings: the plan the database really runs. VERBOSE
/// gives each scan's schema.
pub async fn explain(db: &DatabaseConnection, sql: &str) -> anyhow::Result<Value> {
    let txn = db.begin().await.context("begin a read-only transaction")?;
    txn.execute_unprepared("SET TRANSACTION READ ONLY").await?;
    let plan = rows(&txn, &format!("EXPLAIN (FORMAT JSON, VERBOSE) {sql}"))
        .await
        .and_then(|rows| {
            let row = rows.first().context("EXPLAIN returned no row")?;
            Ok(row.try_get_by_index::<Value>(0)?)
        });
    txn.rollback().await.context("roll back")?;
    plan
}

/// One node of a plan, with what the checks need to know of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// `Seq Scan`, `Index Scan`, `Sort`, ...
    pub kind: String,
    /// The table a scan reads, `schema.table` (a Bitmap Index Scan names only its index).
    pub table: Option<String>,
    pub index: Option<String>,
    /// Whether an index scan has an index condition; without one it walks the whole index.
    pub condition: bool,
    /// The planner's estimate of the rows the node returns.
    pub rows: f64,
    /// Whether a Limit above stops the node early: only nodes that pass rows on as they come
    /// lie between them, so an index scan in the query's order reads about a page.
    pub limited: bool,
    /// The sort keys, for a Sort.
    pub keys: String,
}

/// Every node of a `EXPLAIN (FORMAT JSON)` result, depth first.
pub fn nodes(plan: &Value) -> Vec<Node> {
    let mut found = Vec::new();
    if let Some(root) = plan.get(0).and_then(|p| p.get("Plan")) {
        walk(root, false, &mut found);
    }
    found
}

/// Nodes that read all their input before returning a row: a Limit above them does not stop
/// what lies below.
const BLOCKING: &[&str] = &[
    "Sort",
    "Hash",
    "Aggregate",
    "Materialize",
    "SetOp",
    "WindowAgg",
];

fn walk(node: &Value, limited: bool, found: &mut Vec<Node>) {
    let text = |key: &str| node.get(key).and_then(Value::as_str).map(str::to_owned);
    let kind = text("Node Type").unwrap_or_default();
    let table =
        text("Relation Name").map(|t| format!("{}.{t}", text("Schema").unwrap_or_default()));
    let keys = node
        .get("Sort Key")
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    found.push(Node {
        table,
        index: text("Index Name"),
        condition: node.get("Index Cond").is_some(),
        rows: node.get("Plan Rows").and_then(Value::as_f64).unwrap_or(0.0),
        limited,
        keys,
        kind: kind.clone(),
    });
    let below = match kind.as_str() {
        "Limit" => true,
        k if BLOCKING.contains(&k) => false,
        _ => limited,
    };
    for child in node
        .get("Plans")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        // An InitPlan or SubPlan runs whole, whatever stops its parent.
        let relation = child.get("Parent Relationship").and_then(Value::as_str);
        let stops = below && !matches!(relation, Some("InitPlan" | "SubPlan"));
        walk(child, stops, found);
    }
}

/// The rows a scan node reads by the estimate, with the table it reads, if it is a scan: a
/// sequential scan or an index scan without a condition reads its whole table; an index scan
/// a Limit stops in the query's order reads about a page; a Bitmap Index Scan reads every
/// entry its condition matches.
fn rows_read(node: &Node, relations: &Relations) -> Option<(f64, String)> {
    let table = node.table.clone().or_else(|| {
        node.index
            .as_deref()
            .and_then(|i| relations.table_of(i))
            .map(str::to_owned)
    })?;
    let rows = match node.kind.as_str() {
        "Seq Scan" | "Sample Scan" | "Tid Range Scan" => relations.table_rows(&table),
        "Index Scan" | "Index Only Scan" if !node.condition => relations.table_rows(&table),
        "Index Scan" | "Index Only Scan" if node.limited => return None,
        "Index Scan" | "Index Only Scan" | "Bitmap Index Scan" => node.rows,
        _ => return None,
    };
    Some((rows, table))
}

/// Scans that read, and Sorts that sort, more than their bound.
fn unbounded(nodes: &[Node], relations: &Relations) -> Vec<String> {
    let mut found = Vec::new();
    for node in nodes {
        if node.kind == "Sort" && node.rows > BOUNDED_SORT_ROWS {
            found.push(format!(
                "sorts ~{:.0} estimated rows by {} (bound {BOUNDED_SORT_ROWS}): an index that \
                 keeps them in order is missing or unused",
                node.rows, node.keys
            ));
        }
        if let Some((rows, table)) = rows_read(node, relations)
            && rows > BOUNDED_SCAN_ROWS
        {
            let by = node
                .index
                .as_deref()
                .map(|i| format!(" using {i}"))
                .unwrap_or_default();
            found.push(format!(
                "{}{by} reads ~{rows:.0} estimated rows of {table} (bound {BOUNDED_SCAN_ROWS}): \
                 an index that finds the query's rows is missing or unused",
                node.kind
            ));
        }
    }
    found
}

/// Each accepted table over [`BOUNDED_SCAN_ROWS`] rows that the plan does not reach through
/// an index it accepts.
fn unaccepted(query: &CriticalQuery, nodes: &[Node], relations: &Relations) -> Vec<String> {
    let mut found = Vec::new();
    for accepted in query.accepted {
        if relations.table_rows(accepted.table) <= BOUNDED_SCAN_ROWS {
            continue;
        }
        let used: Vec<&str> = nodes
            .iter()
            .filter_map(|n| n.index.as_deref())
            .filter(|i| relations.table_of(i) == Some(accepted.table))
            .collect();
        if used.iter().any(|i| relations.accepts(accepted, i)) {
            continue;
        }
        let how = if used.is_empty() {
            "no index".to_owned()
        } else {
            used.join(", ")
        };
        found.push(format!(
            "reads {} (over {BOUNDED_SCAN_ROWS} rows) through {how}, not an index leading with \
             {} such as {}",
            accepted.table,
            quoted_list(accepted.leading),
            accepted.built.join(" or ")
        ));
    }
    found
}

/// How many critical queries read a table over [`BOUNDED_SCAN_ROWS`] rows, which must reach
/// it through an accepted index: for the summary line.
pub async fn on_large_tables(db: &DatabaseConnection, catalog: &Catalog) -> anyhow::Result<usize> {
    let relations = Relations::load(db, catalog).await?;
    Ok(critical_queries()
        .iter()
        .filter(|q| {
            q.accepted
                .iter()
                .any(|a| relations.table_rows(a.table) > BOUNDED_SCAN_ROWS)
        })
        .count())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `messages` with 50,000 rows and `chat_sessions` with 40, each with the indexes named.
    fn relations() -> Relations {
        let table = |t: &str, c: &str| (format!("public.{t}"), c.to_owned());
        Relations {
            rows: BTreeMap::from([
                ("public.messages".to_owned(), 50_000.0),
                ("public.chat_sessions".to_owned(), 40.0),
            ]),
            indexes: BTreeMap::from([
                ("messages_pkey".to_owned(), table("messages", "id")),
                (
                    "messages_conversationId_timestamp_id_idx".to_owned(),
                    table("messages", "conversationId"),
                ),
                (
                    "chat_sessions_pkey".to_owned(),
                    table("chat_sessions", "id"),
                ),
            ]),
        }
    }

    fn plan(text: &str) -> Vec<Node> {
        nodes(&serde_json::from_str(text).expect("plan JSON"))
    }

    fn query(accepted: &'static [Accepted]) -> CriticalQuery {
        CriticalQuery {
            name: "test",
            purpose: "test",
            accepted,
            template: "SELECT 1",
            params: &[],
        }
    }

    const MESSAGES: &[Accepted] = &[Accepted {
        table: "public.messages",
        leading: &["conversationId"],
        built: &["messages_conversationId_timestamp_id_idx"],
    }];

    #[test]
    fn a_whole_read_of_a_large_table_is_unbounded_and_of_a_small_one_is_not() {
        let nodes = plan(
            r#"[{"Plan": {"Node Type": "Nested Loop", "Plan Rows": 5, "Plans": [
                {"Node Type": "Seq Scan", "Relation Name": "chat_sessions", "Schema": "public", "Plan Rows": 1},
                {"Node Type": "Index Scan", "Relation Name": "messages", "Schema": "public",
                 "Index Name": "messages_pkey", "Plan Rows": 5}]}}]"#,
        );
        let found = unbounded(&nodes, &relations());
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "Index Scan using messages_pkey reads ~50000 estimated rows of public.messages"
            ),
            "{found:?}"
        );
        let unaccepted = unaccepted(&query(MESSAGES), &nodes, &relations());
        assert_eq!(
            unaccepted,
            vec![
                "reads public.messages (over 10000 rows) through messages_pkey, not an index \
                 leading with \"conversationId\" such as messages_conversationId_timestamp_id_idx"
            ]
        );
    }

    #[test]
    fn an_index_scan_a_limit_stops_is_bounded_and_one_below_a_sort_is_not() {
        let scan = r#"{"Node Type": "Index Scan", "Relation Name": "messages", "Schema": "public",
            "Index Name": "messages_conversationId_timestamp_id_idx", "Index Cond": "x",
            "Plan Rows": 20000}"#;
        let limited = plan(&format!(
            r#"[{{"Plan": {{"Node Type": "Limit", "Plan Rows": 50, "Plans": [{scan}]}}}}]"#
        ));
        assert_eq!(unbounded(&limited, &relations()), Vec::<String>::new());
        assert_eq!(
            unaccepted(&query(MESSAGES), &limited, &relations()),
            Vec::<String>::new()
        );
        let sorted = plan(&format!(
            r#"[{{"Plan": {{"Node Type": "Limit", "Plan Rows": 50, "Plans": [
                {{"Node Type": "Sort", "Sort Key": ["m.id"], "Plan Rows": 20000, "Plans": [{scan}]}}]}}}}]"#
        ));
        let found = unbounded(&sorted, &relations());
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("sorts ~20000 estimated rows by m.id"));
        assert!(found[1].starts_with("Index Scan using messages_conversationId"));
    }

    #[test]
    fn a_small_sort_an_incremental_sort_and_a_small_table_pass() {
        let nodes = plan(
            r#"[{"Plan": {"Node Type": "Incremental Sort", "Plan Rows": 90000, "Plans": [
                {"Node Type": "Sort", "Plan Rows": 40, "Plans": [
                {"Node Type": "Seq Scan", "Relation Name": "chat_sessions", "Schema": "public",
                 "Plan Rows": 40}]}]}}]"#,
        );
        assert_eq!(unbounded(&nodes, &relations()), Vec::<String>::new());
        const SESSIONS: &[Accepted] = &[Accepted {
            table: "public.chat_sessions",
            leading: &["userId"],
            built: &["chat_sessions_userId_idx"],
        }];
        assert_eq!(
            unaccepted(&query(SESSIONS), &nodes, &relations()),
            Vec::<String>::new()
        );
    }
}
