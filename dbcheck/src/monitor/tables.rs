//! Tables of the owned schemas: sizes, live and dead rows, changes since the last analyze, and
//! the last (auto)vacuum and (auto)analyze; tables never analyzed, stale or full of dead rows.

use sea_orm::{DatabaseTransaction, QueryResult};

use schema_facts::{SCHEMAS, sql_list};

use super::thresholds::{MIN_CHANGED_ROWS, MIN_DEAD_ROWS, NEVER_ANALYZED_ROWS, Thresholds};
use super::{Finding, Level, exact_or_estimated, utc};

/// One table, as its statistics describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct TableStats {
    /// `schema.table`.
    pub name: String,
    /// The table with its TOAST data and indexes, in bytes.
    pub total_bytes: i64,
    pub table_bytes: i64,
    pub index_bytes: i64,
    pub live_rows: i64,
    pub dead_rows: i64,
    /// Rows inserted, updated or deleted since the last analyze.
    pub changed_since_analyze: i64,
    /// The later of the last manual and automatic vacuum (UTC), if any.
    pub last_vacuum: Option<String>,
    /// The later of the last manual and automatic analyze (UTC), if any.
    pub last_analyze: Option<String>,
}

/// Every table, heaviest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tables {
    pub list: Vec<TableStats>,
    /// Sizes come from the catalog's page counts because a table was locked.
    pub estimated: bool,
}

/// The sizes read from the files (exact, takes a lock on each table).
const EXACT: [&str; 3] = [
    "pg_total_relation_size(c.oid)",
    "pg_relation_size(c.oid)",
    "pg_indexes_size(c.oid)",
];

/// The sizes the catalog last recorded (no lock).
const ESTIMATED: [&str; 3] = [
    "(c.relpages + coalesce(t.relpages, 0) + (SELECT coalesce(sum(i.relpages), 0) \
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid)) \
     * current_setting('block_size')::int8",
    "c.relpages * current_setting('block_size')::int8",
    "(SELECT coalesce(sum(i.relpages), 0) FROM pg_index x JOIN pg_class i \
     ON i.oid = x.indexrelid WHERE x.indrelid = c.oid) * current_setting('block_size')::int8",
];

fn query(sizes: [&str; 3]) -> String {
    let [total, table, indexes] = sizes;
    format!(
        "SELECT n.nspname::text || '.' || c.relname::text, ({total})::int8, ({table})::int8, \
         ({indexes})::int8, coalesce(s.n_live_tup, 0)::int8, coalesce(s.n_dead_tup, 0)::int8, \
         coalesce(s.n_mod_since_analyze, 0)::int8, {}, {} \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_class t ON t.oid = c.reltoastrelid \
         LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid \
         WHERE n.nspname IN ({}) AND c.relkind IN ('r', 'p', 'm') \
         ORDER BY 2 DESC, 1",
        utc("greatest(s.last_vacuum, s.last_autovacuum)"),
        utc("greatest(s.last_analyze, s.last_autoanalyze)"),
        sql_list(SCHEMAS)
    )
}

pub(super) async fn read(txn: &DatabaseTransaction) -> anyhow::Result<Tables> {
    let (rows, estimated) = exact_or_estimated(txn, &query(EXACT), &query(ESTIMATED)).await?;
    let list = rows.iter().map(table).collect::<anyhow::Result<_>>()?;
    Ok(Tables { list, estimated })
}

fn table(row: &QueryResult) -> anyhow::Result<TableStats> {
    Ok(TableStats {
        name: row.try_get_by_index(0)?,
        total_bytes: row.try_get_by_index(1)?,
        table_bytes: row.try_get_by_index(2)?,
        index_bytes: row.try_get_by_index(3)?,
        live_rows: row.try_get_by_index(4)?,
        dead_rows: row.try_get_by_index(5)?,
        changed_since_analyze: row.try_get_by_index(6)?,
        last_vacuum: row.try_get_by_index(7)?,
        last_analyze: row.try_get_by_index(8)?,
    })
}

pub(super) fn findings(tables: &[TableStats], t: &Thresholds) -> Vec<Finding> {
    let mut out = Vec::new();
    for table in tables {
        out.extend(analyze(table, t));
        out.extend(dead_rows(table, t));
    }
    out
}

/// A table with rows that was never analyzed, or that changed much since: the planner
/// guesses.
fn analyze(table: &TableStats, t: &Thresholds) -> Option<Finding> {
    let changed = table.changed_since_analyze;
    let (level, message) = match &table.last_analyze {
        None if table.live_rows.max(changed) >= NEVER_ANALYZED_ROWS => (
            Level::Warn,
            format!(
                "never analyzed, {changed} row(s) changed: the planner guesses its \
                 statistics: run ANALYZE {}",
                table.name
            ),
        ),
        Some(at) if changed >= MIN_CHANGED_ROWS => {
            let percent = changed as f64 * 100.0 / table.live_rows.max(1) as f64;
            let level = t.stale_analyze.level(percent);
            let message = format!(
                "{changed} row(s) changed since its last analyze at {at} ({}): autovacuum \
                 is behind: run ANALYZE {}",
                t.stale_analyze.show(percent),
                table.name
            );
            (level, message)
        }
        _ => return None,
    };
    (level >= Level::Warn).then(|| Finding {
        level,
        check: "analyze",
        subject: table.name.clone(),
        message,
    })
}

/// A table whose dead rows are a large share of it: bloat, and usually a vacuum held back.
fn dead_rows(table: &TableStats, t: &Thresholds) -> Option<Finding> {
    if table.dead_rows < MIN_DEAD_ROWS {
        return None;
    }
    let percent = table.dead_rows as f64 * 100.0 / (table.live_rows + table.dead_rows) as f64;
    let level = t.dead_tuples.level(percent);
    let vacuumed = table.last_vacuum.as_deref().unwrap_or("never");
    (level >= Level::Warn).then(|| Finding {
        level,
        check: "dead rows",
        subject: table.name.clone(),
        message: format!(
            "{} of its rows are dead ({}), last vacuum {vacuumed}: run VACUUM (ANALYZE) {}, \
             and look for long transactions holding vacuum back",
            t.dead_tuples.show(percent),
            table.dead_rows,
            table.name
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(live: i64, dead: i64, changed: i64, analyzed: Option<&str>) -> TableStats {
        TableStats {
            name: "public.t".into(),
            total_bytes: 0,
            table_bytes: 0,
            index_bytes: 0,
            live_rows: live,
            dead_rows: dead,
            changed_since_analyze: changed,
            last_vacuum: None,
            last_analyze: analyzed.map(str::to_owned),
        }
    }

    #[test]
    fn a_table_with_rows_never_analyzed_is_a_warning_and_a_small_one_is_not() {
        let t = Thresholds::default();
        let found = findings(&[table(100, 0, 100, None)], &t);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].level, found[0].check), (Level::Warn, "analyze"));
        assert!(found[0].message.contains("run ANALYZE public.t"));
        assert!(findings(&[table(0, 0, 0, None)], &t).is_empty());
        assert!(findings(&[table(4, 0, 4, None)], &t).is_empty());
    }

    #[test]
    fn stale_statistics_and_dead_rows_follow_their_thresholds() {
        let t = Thresholds::default();
        let at = Some("2026-01-01T00:00:00Z");
        assert!(findings(&[table(100_000, 0, 5_000, at)], &t).is_empty());
        let stale = findings(&[table(10_000, 0, 5_000, at)], &t);
        assert_eq!(stale[0].level, Level::Warn);
        let dead = findings(&[table(1_000, 3_000, 0, at)], &t);
        assert_eq!((dead[0].level, dead[0].check), (Level::Crit, "dead rows"));
    }
}
