//! The slowest statements by mean and by total time, from `pg_stat_statements` when the
//! server loads it; otherwise one line that says how to turn it on.

use sea_orm::{DatabaseTransaction, DbErr, QueryResult};

use super::thresholds::{MIN_CALLS, Thresholds};
use super::{Finding, Level, attempt, one_line, rows};

/// What to do when the server does not load the library (it must be loaded at start).
pub const NOT_LOADED: &str = "pg_stat_statements is not loaded, so there is no slow-query \
     report: add pg_stat_statements to shared_preload_libraries in postgresql.conf \
     (shared_preload_libraries = 'pg_stat_statements'), restart PostgreSQL, then run \
     CREATE EXTENSION pg_stat_statements; in this database";

/// What to do when the library is loaded but the extension's view is not in this database.
pub const NOT_CREATED: &str = "pg_stat_statements is loaded but not created in this \
     database, so there is no slow-query report: run CREATE EXTENSION pg_stat_statements;";

/// One normalised statement (constants replaced by `$1` ...) of this database.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryStats {
    pub calls: i64,
    pub total_ms: f64,
    pub mean_ms: f64,
    pub rows: i64,
    /// One line, cut.
    pub query: String,
}

/// The slow-query report, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum SlowQueries {
    Unavailable(String),
    Available {
        by_mean: Vec<QueryStats>,
        by_total: Vec<QueryStats>,
    },
}

pub(super) async fn read(txn: &DatabaseTransaction, top: usize) -> anyhow::Result<SlowQueries> {
    let schema = rows(
        txn,
        "SELECT n.nspname::text FROM pg_extension e \
         JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'",
    )
    .await?
    .first()
    .map(|r| r.try_get_by_index::<String>(0))
    .transpose()?;
    let Some(schema) = schema else {
        let note = if preloaded(txn).await? {
            NOT_CREATED
        } else {
            NOT_LOADED
        };
        return Ok(SlowQueries::Unavailable(note.to_owned()));
    };
    let view = format!("\"{}\".pg_stat_statements", schema.replace('"', "\"\""));
    let by_mean = match top_by(txn, &view, "mean_exec_time", top).await? {
        Ok(list) => list,
        Err(err) if err.to_string().contains("shared_preload_libraries") => {
            return Ok(SlowQueries::Unavailable(NOT_LOADED.to_owned()));
        }
        Err(err) => {
            return Ok(SlowQueries::Unavailable(format!(
                "pg_stat_statements could not be read ({err}): grant the monitoring user \
                 pg_read_all_stats, or check the extension's version"
            )));
        }
    };
    let by_total = top_by(txn, &view, "total_exec_time", top).await??;
    Ok(SlowQueries::Available { by_mean, by_total })
}

/// Whether `shared_preload_libraries` names the library. A user who may not read the setting
/// sees no row, which counts as not loaded: the advice then covers both steps.
async fn preloaded(txn: &DatabaseTransaction) -> anyhow::Result<bool> {
    let setting: Option<String> = rows(
        txn,
        "SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'",
    )
    .await?
    .first()
    .map(|r| r.try_get_by_index(0))
    .transpose()?;
    Ok(setting.is_some_and(|s| {
        s.split(',')
            .any(|lib| lib.trim().trim_matches('"') == "pg_stat_statements")
    }))
}

/// The `top` statements of this database by `order`, under a savepoint: the view errors when
/// the library is not loaded, and the monitor goes on without it.
async fn top_by(
    txn: &DatabaseTransaction,
    view: &str,
    order: &str,
    top: usize,
) -> anyhow::Result<Result<Vec<QueryStats>, DbErr>> {
    let sql = format!(
        "SELECT calls::int8, total_exec_time::float8, mean_exec_time::float8, rows::int8, {} \
         FROM {view} WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         ORDER BY {order} DESC, queryid LIMIT {top}",
        one_line("query")
    );
    Ok(match attempt(txn, &sql).await? {
        Ok(rows) => rows
            .iter()
            .map(stats)
            .collect::<Result<_, _>>()
            .map_err(|e: anyhow::Error| DbErr::Custom(e.to_string())),
        Err(err) => Err(err),
    })
}

fn stats(row: &QueryResult) -> anyhow::Result<QueryStats> {
    Ok(QueryStats {
        calls: row.try_get_by_index(0)?,
        total_ms: row.try_get_by_index(1)?,
        mean_ms: row.try_get_by_index(2)?,
        rows: row.try_get_by_index(3)?,
        query: row.try_get_by_index(4)?,
    })
}

pub(super) fn findings(report: &SlowQueries, t: &Thresholds) -> Vec<Finding> {
    match report {
        SlowQueries::Unavailable(note) => vec![Finding {
            level: Level::Info,
            check: "pg_stat_statements",
            subject: "server".into(),
            message: note.clone(),
        }],
        SlowQueries::Available { by_mean, .. } => by_mean
            .iter()
            .filter(|q| q.calls >= MIN_CALLS)
            .filter_map(|q| {
                let seconds = q.mean_ms / 1000.0;
                let level = t.slow_query.level(seconds);
                (level >= Level::Warn).then(|| Finding {
                    level,
                    check: "slow query",
                    subject: q.query.clone(),
                    message: format!(
                        "takes {} on average over {} calls ({} in all): EXPLAIN (ANALYZE, \
                         BUFFERS) it and look for a missing index",
                        t.slow_query.show(seconds),
                        q.calls,
                        t.slow_query.show(q.total_ms / 1000.0)
                    ),
                })
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_slow_statements_that_run_often_are_findings() {
        let query = |calls, mean_ms| QueryStats {
            calls,
            total_ms: mean_ms * calls as f64,
            mean_ms,
            rows: 1,
            query: format!("SELECT {calls}"),
        };
        let report = SlowQueries::Available {
            by_mean: vec![query(1, 9000.0), query(50, 800.0), query(50, 20.0)],
            by_total: Vec::new(),
        };
        let found = findings(&report, &Thresholds::default());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].level, &*found[0].subject),
            (Level::Warn, "SELECT 50")
        );
    }
}
