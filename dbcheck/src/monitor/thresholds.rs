//! The levels of the monitor's findings and the thresholds that set them, with their defaults.
//!
//! Each threshold has a warn and a crit value; an operator overrides them with
//! `--threshold NAME=WARN,CRIT` (durations such as `90s` or `5m`, percentages as numbers).
//! The defaults are documented in docs/operating.md; a tidy test of xtask keeps the two in
//! step.

use std::fmt;

use anyhow::{Context, bail};

/// How bad a finding is. `Info` is listed but never fails a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warn,
    Crit,
}

impl Level {
    /// The name used on the terminal, in JSON and by `--fail-on`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Crit => "crit",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Level {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "warn" => Ok(Level::Warn),
            "crit" => Ok(Level::Crit),
            _ => Err(format!("expected warn or crit, not `{text}`")),
        }
    }
}

/// What a threshold measures: a duration in seconds or a percentage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    Seconds,
    Percent,
}

/// A warn and a crit value of one measure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    pub warn: f64,
    pub crit: f64,
    pub unit: Unit,
}

impl Threshold {
    const fn seconds(warn: f64, crit: f64) -> Self {
        Threshold {
            warn,
            crit,
            unit: Unit::Seconds,
        }
    }

    const fn percent(warn: f64, crit: f64) -> Self {
        Threshold {
            warn,
            crit,
            unit: Unit::Percent,
        }
    }

    /// The level of `value`: crit at or above crit, warn at or above warn, else info.
    pub fn level(&self, value: f64) -> Level {
        if value >= self.crit {
            Level::Crit
        } else if value >= self.warn {
            Level::Warn
        } else {
            Level::Info
        }
    }

    /// `WARN,CRIT` as `--threshold` takes them (`5m,30m`, `70,90`): the form the documentation
    /// gives the defaults in.
    pub fn spec(&self) -> String {
        let one = |value: f64| match self.unit {
            Unit::Percent => format!("{value}"),
            Unit::Seconds if value < 1.0 => format!("{}ms", (value * 1000.0).round()),
            Unit::Seconds => {
                let s = value.round() as u64;
                match (s % 3600, s % 60) {
                    (0, _) => format!("{}h", s / 3600),
                    (_, 0) => format!("{}m", s / 60),
                    _ => format!("{s}s"),
                }
            }
        };
        format!("{},{}", one(self.warn), one(self.crit))
    }

    /// `value` as a person reads it: `12m 5s`, `87%`.
    pub fn show(&self, value: f64) -> String {
        match self.unit {
            Unit::Seconds => duration(value),
            Unit::Percent => format!("{value:.0}%"),
        }
    }
}

/// Every threshold the monitor applies. The defaults suit a production OLTP database.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// How long a transaction of the database has been open (running or idle in it).
    pub transaction_age: Threshold,
    /// How long a session has waited on a lock (since its statement started).
    pub lock_wait: Threshold,
    /// Connections in use, as a percentage of `max_connections`.
    pub connections: Threshold,
    /// How far a replica's replay is behind (or this standby's).
    pub replication_lag: Threshold,
    /// Dead rows as a percentage of a table's rows, for tables with at least
    /// [`MIN_DEAD_ROWS`] dead rows.
    pub dead_tuples: Threshold,
    /// Rows changed since the last analyze, as a percentage of the table's rows, for tables
    /// with at least [`MIN_CHANGED_ROWS`] changes.
    pub stale_analyze: Threshold,
    /// Mean execution time of a statement that ran at least [`MIN_CALLS`] times.
    pub slow_query: Threshold,
}

/// Tables with fewer dead rows are not judged by their ratio: vacuuming them is cheap anyway.
pub const MIN_DEAD_ROWS: i64 = 1000;
/// Tables with fewer changes since their last analyze are not judged stale.
pub const MIN_CHANGED_ROWS: i64 = 1000;
/// A table never analyzed is flagged from this many rows (live or changed) on: it is
/// autovacuum's default `autovacuum_analyze_threshold`, below which autovacuum would not have
/// analyzed it yet either (a small lookup table may never reach it, and needs no statistics).
pub const NEVER_ANALYZED_ROWS: i64 = 50;
/// Statements that ran fewer times are listed but not judged slow (a one-off migration).
pub const MIN_CALLS: i64 = 10;

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            transaction_age: Threshold::seconds(5.0 * 60.0, 30.0 * 60.0),
            lock_wait: Threshold::seconds(30.0, 5.0 * 60.0),
            connections: Threshold::percent(70.0, 90.0),
            replication_lag: Threshold::seconds(30.0, 5.0 * 60.0),
            dead_tuples: Threshold::percent(20.0, 50.0),
            stale_analyze: Threshold::percent(20.0, 100.0),
            slow_query: Threshold::seconds(0.5, 5.0),
        }
    }
}

impl Thresholds {
    /// The names `--threshold` takes, in the order of the documentation.
    pub const NAMES: [&'static str; 7] = [
        "transaction_age",
        "lock_wait",
        "connections",
        "replication_lag",
        "dead_tuples",
        "stale_analyze",
        "slow_query",
    ];

    /// Each threshold with its name, in the order of [`Thresholds::NAMES`].
    pub fn named(&self) -> [(&'static str, &Threshold); 7] {
        [
            ("transaction_age", &self.transaction_age),
            ("lock_wait", &self.lock_wait),
            ("connections", &self.connections),
            ("replication_lag", &self.replication_lag),
            ("dead_tuples", &self.dead_tuples),
            ("stale_analyze", &self.stale_analyze),
            ("slow_query", &self.slow_query),
        ]
    }

    fn slot(&mut self, name: &str) -> Option<&mut Threshold> {
        Some(match name {
            "transaction_age" => &mut self.transaction_age,
            "lock_wait" => &mut self.lock_wait,
            "connections" => &mut self.connections,
            "replication_lag" => &mut self.replication_lag,
            "dead_tuples" => &mut self.dead_tuples,
            "stale_analyze" => &mut self.stale_analyze,
            "slow_query" => &mut self.slow_query,
            _ => return None,
        })
    }

    /// Applies one `NAME=WARN,CRIT` override, for example `transaction_age=2m,10m` or
    /// `connections=60,80`.
    pub fn set(&mut self, spec: &str) -> anyhow::Result<()> {
        let (name, values) = spec
            .split_once('=')
            .with_context(|| format!("threshold `{spec}`: expected NAME=WARN,CRIT"))?;
        let names = Self::NAMES.join(", ");
        let slot = self
            .slot(name.trim())
            .with_context(|| format!("unknown threshold `{name}`: one of {names}"))?;
        let (warn, crit) = values
            .split_once(',')
            .with_context(|| format!("threshold `{spec}`: expected NAME=WARN,CRIT"))?;
        let parse = |text: &str| match slot.unit {
            Unit::Seconds => parse_seconds(text.trim()),
            Unit::Percent => text.trim().trim_end_matches('%').parse::<f64>().ok(),
        };
        let (Some(warn), Some(crit)) = (parse(warn), parse(crit)) else {
            bail!("threshold `{spec}`: expected durations such as 30s or 5m, or percentages");
        };
        if warn > crit {
            bail!("threshold `{spec}`: warn must not exceed crit");
        }
        slot.warn = warn;
        slot.crit = crit;
        Ok(())
    }
}

/// `500ms`, `30s`, `5m`, `2h`, `1d`, or a bare number of seconds.
fn parse_seconds(text: &str) -> Option<f64> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        _ => return None,
    };
    Some(number * scale)
}

/// Seconds as `850ms`, `42s`, `12m 5s`, `3h 20m` or `2d 4h`.
pub fn duration(seconds: f64) -> String {
    if seconds < 1.0 {
        return format!("{:.0}ms", seconds * 1000.0);
    }
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        3600..86400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86400, s % 86400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_thresholds() {
        let t = Thresholds::default().transaction_age;
        assert_eq!(t.level(10.0), Level::Info);
        assert_eq!(t.level(300.0), Level::Warn);
        assert_eq!(t.level(1800.0), Level::Crit);
        assert!(Level::Crit > Level::Warn && Level::Warn > Level::Info);
    }

    #[test]
    fn overrides_parse_durations_and_percentages() {
        let mut t = Thresholds::default();
        t.set("transaction_age=2s,1m").unwrap();
        assert_eq!(
            (t.transaction_age.warn, t.transaction_age.crit),
            (2.0, 60.0)
        );
        t.set("connections=60,80%").unwrap();
        assert_eq!((t.connections.warn, t.connections.crit), (60.0, 80.0));
        t.set("slow_query=100ms,1s").unwrap();
        assert!((t.slow_query.warn - 0.1).abs() < 1e-9);
        assert!(
            t.set("nope=1,2")
                .unwrap_err()
                .to_string()
                .contains("one of")
        );
        assert!(t.set("lock_wait=5m,1m").is_err());
        assert!(t.set("lock_wait=soon,later").is_err());
    }

    #[test]
    fn every_default_reads_back_through_its_spec() {
        let defaults = Thresholds::default();
        let mut parsed = Thresholds::default();
        for (name, threshold) in defaults.named() {
            parsed.set(&format!("{name}={}", threshold.spec())).unwrap();
        }
        assert_eq!(parsed, defaults);
        assert_eq!(defaults.transaction_age.spec(), "5m,30m");
        assert_eq!(defaults.slow_query.spec(), "500ms,5s");
        assert_eq!(defaults.connections.spec(), "70,90");
        let names: Vec<&str> = defaults.named().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, Thresholds::NAMES);
    }

    #[test]
    fn durations_read_like_a_person_writes_them() {
        assert_eq!(duration(0.25), "250ms");
        assert_eq!(duration(42.0), "42s");
        assert_eq!(duration(725.0), "12m 5s");
        assert_eq!(duration(12_000.0), "3h 20m");
        assert_eq!(duration(187_200.0), "2d 4h");
    }
}
