//! Indexes of the owned schemas: sizes and scans; unused, duplicate, overlapping and invalid
//! ones.

use sea_orm::{DatabaseTransaction, QueryResult};

use schema_facts::{SCHEMAS, sql_list};

use super::{Finding, Level, exact_or_estimated};

/// One index, with what it takes to compare it with its table's other indexes.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexStats {
    /// `schema.index`.
    pub name: String,
    /// `schema.table`.
    pub table: String,
    pub bytes: i64,
    /// Index scans since the statistics were reset.
    pub scans: i64,
    pub unique: bool,
    pub primary: bool,
    /// Backs a primary key, unique or exclusion constraint, so it cannot simply be dropped.
    pub constraint: bool,
    pub valid: bool,
    /// The access method: `btree`, `hnsw`, `gin` ...
    pub method: String,
    /// Column numbers, key columns first, then INCLUDE columns (0 for an expression).
    pub columns: Vec<i64>,
    /// How many of `columns` are key columns.
    pub key_columns: usize,
    /// Operator classes and collations of the key columns, as the catalog lists them.
    pub opclasses: String,
    pub collations: String,
    pub expressions: Option<String>,
    pub predicate: Option<String>,
    pub definition: String,
}

impl IndexStats {
    fn keys(&self) -> &[i64] {
        &self.columns[..self.key_columns.min(self.columns.len())]
    }

    /// Same method, columns, operator classes, collations, expressions and predicate.
    fn same_shape(&self, other: &IndexStats) -> bool {
        self.method == other.method
            && self.columns == other.columns
            && self.key_columns == other.key_columns
            && self.opclasses == other.opclasses
            && self.collations == other.collations
            && self.expressions == other.expressions
            && self.predicate == other.predicate
    }

    /// Whether every lookup this b-tree serves, `other` serves too: its keys lead `other`'s.
    fn leads(&self, other: &IndexStats) -> bool {
        let prefix = |a: &str, b: &str| {
            let (a, b): (Vec<_>, Vec<_>) = (a.split(' ').collect(), b.split(' ').collect());
            b.starts_with(&a)
        };
        self.method == "btree"
            && other.method == "btree"
            && self.expressions.is_none()
            && other.expressions.is_none()
            && self.predicate == other.predicate
            && self.columns.len() == self.key_columns
            && self.key_columns < other.key_columns
            && other.keys().starts_with(self.keys())
            && prefix(&self.opclasses, &other.opclasses)
            && prefix(&self.collations, &other.collations)
    }

    /// Whether dropping it loses nothing but the index: no constraint, no uniqueness.
    fn droppable(&self) -> bool {
        !self.unique && !self.primary && !self.constraint
    }
}

const QUERY: &str = "SELECT n.nspname::text || '.' || i.relname::text, \
     n.nspname::text || '.' || t.relname::text, ({size})::int8, coalesce(s.idx_scan, 0)::int8, \
     x.indisunique, x.indisprimary, \
     EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.oid AND k.conrelid = t.oid \
       AND k.contype IN ('p', 'u', 'x')), \
     x.indisvalid, am.amname::text, x.indkey::text, x.indnkeyatts::int8, x.indclass::text, \
     x.indcollation::text, pg_get_expr(x.indexprs, x.indrelid), \
     pg_get_expr(x.indpred, x.indrelid), pg_get_indexdef(i.oid) \
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
     JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
     JOIN pg_am am ON am.oid = i.relam \
     LEFT JOIN pg_stat_all_indexes s ON s.indexrelid = i.oid \
     WHERE n.nspname IN ({schemas}) ORDER BY 3 DESC, 1";

pub(super) async fn read(txn: &DatabaseTransaction) -> anyhow::Result<Vec<IndexStats>> {
    let sql = |size: &str| {
        QUERY
            .replace("{size}", size)
            .replace("{schemas}", &sql_list(SCHEMAS))
    };
    let (rows, _) = exact_or_estimated(
        txn,
        &sql("pg_relation_size(i.oid)"),
        &sql("i.relpages * current_setting('block_size')::int8"),
    )
    .await?;
    rows.iter().map(index).collect()
}

fn index(row: &QueryResult) -> anyhow::Result<IndexStats> {
    let columns: String = row.try_get_by_index(9)?;
    Ok(IndexStats {
        name: row.try_get_by_index(0)?,
        table: row.try_get_by_index(1)?,
        bytes: row.try_get_by_index(2)?,
        scans: row.try_get_by_index(3)?,
        unique: row.try_get_by_index(4)?,
        primary: row.try_get_by_index(5)?,
        constraint: row.try_get_by_index(6)?,
        valid: row.try_get_by_index(7)?,
        method: row.try_get_by_index(8)?,
        columns: columns
            .split_whitespace()
            .filter_map(|c| c.parse().ok())
            .collect(),
        key_columns: usize::try_from(row.try_get_by_index::<i64>(10)?).unwrap_or(0),
        opclasses: row.try_get_by_index(11)?,
        collations: row.try_get_by_index(12)?,
        expressions: row.try_get_by_index(13)?,
        predicate: row.try_get_by_index(14)?,
        definition: row.try_get_by_index(15)?,
    })
}

/// Invalid, duplicate, overlapping and unused indexes. `since` is when the statistics were
/// last reset, which is where "unused" starts counting.
pub(super) fn findings(indexes: &[IndexStats], since: Option<&str>) -> Vec<Finding> {
    let mut out = Vec::new();
    for index in indexes {
        if !index.valid {
            out.push(finding(
                Level::Warn,
                "invalid index",
                index,
                "INVALID (a CREATE INDEX CONCURRENTLY that failed, or is running now): it slows \
                 every write and serves no query: drop it and build it again"
                    .into(),
            ));
        } else if index.scans == 0 && index.droppable() {
            let since = since.map_or("the statistics began".to_owned(), str::to_owned);
            out.push(finding(
                Level::Info,
                "unused index",
                index,
                format!(
                    "no scans since {since} ({}): drop it if no query needs it",
                    super::render::bytes(index.bytes)
                ),
            ));
        }
    }
    out.extend(redundant(indexes));
    out
}

/// Pairs of indexes on one table where one makes the other unnecessary.
fn redundant(indexes: &[IndexStats]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, a) in indexes.iter().enumerate() {
        for b in indexes.iter().skip(i + 1).filter(|b| b.table == a.table) {
            if a.same_shape(b) {
                // Report the one that can go: not one a constraint or uniqueness needs.
                let (extra, kept) = match (a.droppable(), b.droppable()) {
                    (true, false) => (a, b),
                    (false, true) => (b, a),
                    _ if a.name > b.name => (a, b),
                    _ => (b, a),
                };
                out.push(finding(
                    Level::Warn,
                    "duplicate index",
                    extra,
                    format!("duplicates {} (same columns and kind): drop one", kept.name),
                ));
            }
            for (short, long) in [(a, b), (b, a)] {
                if short.droppable() && short.leads(long) {
                    out.push(finding(
                        Level::Info,
                        "overlapping index",
                        short,
                        format!(
                            "its columns lead {}, which serves the same lookups: drop it \
                             unless its smaller size matters",
                            long.name
                        ),
                    ));
                }
            }
        }
    }
    out
}

fn finding(level: Level, check: &'static str, index: &IndexStats, message: String) -> Finding {
    Finding {
        level,
        check,
        subject: index.name.clone(),
        message: format!("on {}: {message}", index.table),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(name: &str, columns: &[i64], unique: bool) -> IndexStats {
        IndexStats {
            name: name.into(),
            table: "public.t".into(),
            bytes: 8192,
            scans: 1,
            unique,
            primary: false,
            constraint: unique,
            valid: true,
            method: "btree".into(),
            columns: columns.to_vec(),
            key_columns: columns.len(),
            opclasses: columns.iter().map(|_| "3124").collect::<Vec<_>>().join(" "),
            collations: columns.iter().map(|_| "0").collect::<Vec<_>>().join(" "),
            expressions: None,
            predicate: None,
            definition: String::new(),
        }
    }

    #[test]
    fn a_duplicate_of_a_constraint_index_is_the_one_reported() {
        let found = findings(
            &[
                index("public.t_key", &[2], true),
                index("public.t_dup", &[2], false),
            ],
            None,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].check, "duplicate index");
        assert_eq!(found[0].subject, "public.t_dup");
        assert!(found[0].message.contains("duplicates public.t_key"));
    }

    #[test]
    fn a_leading_prefix_overlaps_and_unscanned_or_invalid_indexes_are_named() {
        let mut unused = index("public.t_a", &[2], false);
        unused.scans = 0;
        let mut invalid = index("public.t_c", &[4], false);
        invalid.valid = false;
        let found = findings(
            &[unused, index("public.t_ab", &[2, 3], false), invalid],
            None,
        );
        let checks: Vec<(&str, &str)> = found.iter().map(|f| (f.check, &*f.subject)).collect();
        assert!(
            checks.contains(&("unused index", "public.t_a")),
            "{checks:?}"
        );
        assert!(
            checks.contains(&("overlapping index", "public.t_a")),
            "{checks:?}"
        );
        assert!(
            checks.contains(&("invalid index", "public.t_c")),
            "{checks:?}"
        );
        assert_eq!(found.len(), 3, "{checks:?}");
    }
}
