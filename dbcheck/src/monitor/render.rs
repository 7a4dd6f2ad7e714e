//! A [`Report`] as a readable table for a terminal, or as JSON for alerting.

use serde_json::{Value, json};

use super::{Finding, Level, Report, SlowQueries, Threshold, Thresholds, Unit, duration};

/// Info findings of one kind shown on a terminal before the rest are counted (a new database
/// has an unused index per foreign key; `--json` lists them all).
const INFO_SHOWN: usize = 5;

/// The report as text: findings first, then the sections, each list cut to `top` rows.
pub fn text(report: &Report, top: usize) -> String {
    let mut out = format!(
        "monitor: database {} on PostgreSQL {}, statistics since {}\n",
        report.database,
        report.server_version,
        report.stats_reset.as_deref().unwrap_or("they began")
    );
    out += &format!(
        "{} crit, {} warn, {} info\n",
        report.count(Level::Crit),
        report.count(Level::Warn),
        report.count(Level::Info)
    );
    out += &findings(&report.findings);
    out += &slow_queries(&report.statements, top);
    out += &tables(report, top);
    out += &indexes(report, top);
    out += &sessions(report);
    out
}

fn findings(list: &[Finding]) -> String {
    let mut rows = Vec::new();
    let mut hidden = std::collections::BTreeMap::<&str, usize>::new();
    // The slow-query section says why it is missing; the finding is for JSON consumers.
    for f in list.iter().filter(|f| f.check != "pg_stat_statements") {
        let shown = rows
            .iter()
            .filter(|r: &&Vec<String>| r[1] == f.check)
            .count();
        if f.level == Level::Info && shown >= INFO_SHOWN {
            *hidden.entry(f.check).or_default() += 1;
            continue;
        }
        let level = f.level.name().to_uppercase();
        rows.push(vec![
            level,
            f.check.to_owned(),
            f.subject.clone(),
            f.message.clone(),
        ]);
    }
    for (check, n) in hidden {
        rows.push(vec![
            "INFO".into(),
            check.into(),
            format!("{n} more"),
            "listed by --json".into(),
        ]);
    }
    section(
        "findings",
        &["level", "check", "subject", "what to do"],
        rows,
    )
}

fn slow_queries(report: &SlowQueries, top: usize) -> String {
    let (by_mean, by_total) = match report {
        SlowQueries::Unavailable(note) => return format!("\nslowest queries: {note}\n"),
        SlowQueries::Available { by_mean, by_total } => (by_mean, by_total),
    };
    let rows = |list: &[super::QueryStats]| {
        list.iter()
            .take(top)
            .map(|q| {
                vec![
                    q.calls.to_string(),
                    format!("{:.1}", q.mean_ms),
                    format!("{:.0}", q.total_ms),
                    q.rows.to_string(),
                    q.query.clone(),
                ]
            })
            .collect()
    };
    let headers = ["calls", "mean ms", "total ms", "rows", "query"];
    section("slowest queries by mean time", &headers, rows(by_mean))
        + &section("slowest queries by total time", &headers, rows(by_total))
}

fn tables(report: &Report, top: usize) -> String {
    let rows = report
        .tables
        .list
        .iter()
        .take(top)
        .map(|t| {
            let dead = t.dead_rows as f64 * 100.0 / (t.live_rows + t.dead_rows).max(1) as f64;
            vec![
                t.name.clone(),
                bytes(t.total_bytes),
                bytes(t.table_bytes),
                bytes(t.index_bytes),
                t.live_rows.to_string(),
                format!("{dead:.0}%"),
                t.last_vacuum.clone().unwrap_or_else(|| "never".into()),
                t.last_analyze.clone().unwrap_or_else(|| "never".into()),
            ]
        })
        .collect();
    let title = if report.tables.estimated {
        "tables, heaviest first (sizes estimated: a table is locked)"
    } else {
        "tables, heaviest first"
    };
    let headers = [
        "table",
        "total",
        "data",
        "indexes",
        "rows",
        "dead",
        "last vacuum",
        "last analyze",
    ];
    section(title, &headers, rows)
}

fn indexes(report: &Report, top: usize) -> String {
    let rows = report
        .indexes
        .iter()
        .take(top)
        .map(|i| {
            let mut flags = Vec::new();
            for (set, flag) in [
                (i.primary, "primary"),
                (i.unique && !i.primary, "unique"),
                (!i.valid, "INVALID"),
                (i.scans == 0, "unused"),
            ] {
                if set {
                    flags.push(flag);
                }
            }
            vec![
                i.name.clone(),
                i.table.clone(),
                i.method.clone(),
                bytes(i.bytes),
                i.scans.to_string(),
                flags.join(" "),
            ]
        })
        .collect();
    let headers = ["index", "table", "method", "size", "scans", "flags"];
    section("indexes, heaviest first", &headers, rows)
}

fn sessions(report: &Report) -> String {
    let a = &report.activity;
    let c = &a.connections;
    let mut out = format!(
        "\nconnections: {} of {} ({:.0}%; {} reserved for superusers), {} active, {} idle in \
         a transaction\n",
        c.used,
        c.max,
        c.percent(),
        c.reserved,
        c.active,
        c.idle_in_transaction
    );
    out += &match (
        &a.replication.standby_lag_seconds,
        a.replication.replicas.len(),
    ) {
        (Some(lag), _) => format!("replication: a standby, replay {} behind\n", duration(*lag)),
        (None, 0) => "replication: no replicas\n".to_owned(),
        (None, n) => format!("replication: {n} replica(s)\n"),
    };
    let transactions = a
        .transactions
        .iter()
        .map(|t| {
            vec![
                t.pid.to_string(),
                duration(t.seconds),
                t.state.clone(),
                t.application.clone(),
                t.query.clone(),
            ]
        })
        .collect();
    out += &section(
        "open transactions, oldest first",
        &["pid", "open for", "state", "application", "statement"],
        transactions,
    );
    let waits = a
        .lock_waits
        .iter()
        .map(|w| {
            let by: Vec<String> = w.blocked_by.iter().map(i32::to_string).collect();
            vec![
                w.pid.to_string(),
                duration(w.seconds),
                w.wait_event.clone(),
                by.join(" "),
                w.query.clone(),
            ]
        })
        .collect();
    out + &section(
        "sessions waiting on a lock",
        &["pid", "waiting", "on", "blocked by", "statement"],
        waits,
    )
}

/// A heading and an aligned table, or the heading and `none`.
fn section(title: &str, headers: &[&str], rows: Vec<Vec<String>>) -> String {
    if rows.is_empty() {
        return format!("\n{title}: none\n");
    }
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len() - 1;
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| match i == last {
                true => (*c).to_owned(),
                false => format!("{c:<w$}", w = widths[i]),
            })
            .collect();
        format!("  {}\n", padded.join("  "))
    };
    let mut out = format!("\n{title}\n");
    out += &line(headers.to_vec());
    for row in &rows {
        out += &line(row.iter().map(String::as_str).collect());
    }
    out
}

/// Bytes as PostgreSQL's `pg_size_pretty` writes them.
pub(super) fn bytes(n: i64) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 10.0 * 1024.0 && unit < units.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{:.0} {}", value, units[unit])
}

/// The report as JSON: the verdict and every finding first, then the sections (lists cut to
/// `top`), then the thresholds that judged it.
pub fn json(report: &Report, top: usize) -> Value {
    let a = &report.activity;
    json!({
        "database": report.database,
        "server_version": report.server_version,
        "stats_reset": report.stats_reset,
        "worst": report.worst().name(),
        "counts": {
            "crit": report.count(Level::Crit),
            "warn": report.count(Level::Warn),
            "info": report.count(Level::Info),
        },
        "findings": report.findings.iter().map(|f| json!({
            "level": f.level.name(), "check": f.check, "subject": f.subject, "message": f.message,
        })).collect::<Vec<_>>(),
        "slow_queries": slow_queries_json(&report.statements, top),
        "tables": tables_json(report, top),
        "indexes": indexes_json(report, top),
        "transactions": a.transactions.iter().map(|t| json!({
            "pid": t.pid, "seconds": t.seconds, "state": t.state, "user": t.user,
            "application": t.application, "client": t.client, "query": t.query,
        })).collect::<Vec<_>>(),
        "lock_waits": a.lock_waits.iter().map(|w| json!({
            "pid": w.pid, "seconds": w.seconds, "wait_event": w.wait_event, "user": w.user,
            "application": w.application, "query": w.query, "blocked_by": w.blocked_by,
            "blockers": w.blockers.iter().map(|b| json!({
                "pid": b.pid, "state": b.state, "application": b.application,
                "transaction_seconds": b.transaction_seconds, "query": b.query,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "connections": {
            "used": a.connections.used, "max": a.connections.max,
            "reserved": a.connections.reserved, "active": a.connections.active,
            "idle_in_transaction": a.connections.idle_in_transaction,
            "percent": a.connections.percent(),
        },
        "replication": {
            "standby": a.replication.standby,
            "standby_lag_seconds": a.replication.standby_lag_seconds,
            "replicas": a.replication.replicas.iter().map(|r| json!({
                "name": r.name, "client": r.client, "state": r.state,
                "lag_seconds": r.lag_seconds, "behind_bytes": r.behind_bytes,
            })).collect::<Vec<_>>(),
        },
        "thresholds": thresholds_json(&report.thresholds),
    })
}

/// [`json`], pretty-printed.
pub fn json_text(report: &Report, top: usize) -> String {
    // A `Value` always serializes.
    serde_json::to_string_pretty(&json(report, top)).unwrap_or_default()
}

fn slow_queries_json(report: &SlowQueries, top: usize) -> Value {
    let list = |l: &[super::QueryStats]| {
        l.iter()
            .take(top)
            .map(|q| {
                json!({
                    "calls": q.calls, "mean_ms": q.mean_ms, "total_ms": q.total_ms,
                    "rows": q.rows, "query": q.query,
                })
            })
            .collect::<Vec<_>>()
    };
    match report {
        SlowQueries::Unavailable(note) => json!({ "available": false, "note": note }),
        SlowQueries::Available { by_mean, by_total } => json!({
            "available": true, "by_mean": list(by_mean), "by_total": list(by_total),
        }),
    }
}

fn tables_json(report: &Report, top: usize) -> Value {
    json!({
        "estimated_sizes": report.tables.estimated,
        "heaviest": report.tables.list.iter().take(top).map(|t| json!({
            "table": t.name, "total_bytes": t.total_bytes, "table_bytes": t.table_bytes,
            "index_bytes": t.index_bytes, "live_rows": t.live_rows, "dead_rows": t.dead_rows,
            "changed_since_analyze": t.changed_since_analyze,
            "last_vacuum": t.last_vacuum, "last_analyze": t.last_analyze,
        })).collect::<Vec<_>>(),
    })
}

fn indexes_json(report: &Report, top: usize) -> Value {
    json!(
        report
            .indexes
            .iter()
            .take(top)
            .map(|i| json!({
                "index": i.name, "table": i.table, "method": i.method, "bytes": i.bytes,
                "scans": i.scans, "unique": i.unique, "primary": i.primary, "valid": i.valid,
                "definition": i.definition,
            }))
            .collect::<Vec<_>>()
    )
}

/// The thresholds by name, as `--threshold` takes them.
pub fn thresholds_json(t: &Thresholds) -> Value {
    let one = |t: &Threshold| {
        let unit = match t.unit {
            Unit::Seconds => "seconds",
            Unit::Percent => "percent",
        };
        json!({ "warn": t.warn, "crit": t.crit, "unit": unit })
    };
    let map: serde_json::Map<String, Value> = t
        .named()
        .into_iter()
        .map(|(name, threshold)| (name.to_owned(), one(threshold)))
        .collect();
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_pg_size_pretty() {
        assert_eq!(bytes(8192), "8192 bytes");
        assert_eq!(bytes(16 * 1024), "16 kB");
        assert_eq!(bytes(48 * 1024 * 1024), "48 MB");
    }

    #[test]
    fn a_section_aligns_its_columns() {
        let text = section(
            "t",
            &["a", "bb"],
            vec![
                vec!["xyz".into(), "1".into()],
                vec!["q".into(), "22".into()],
            ],
        );
        assert_eq!(text, "\nt\n  a    bb\n  xyz  1\n  q    22\n");
        assert_eq!(section("t", &["a"], Vec::new()), "\nt: none\n");
    }
}
