//! Phase 1 metering: usage logs, and monthly usage that is exactly their sum per month.
//!
//! Costs are drawn in integer micro-dollars, so a month's `totalCost` (two decimals) is the
//! sum of its logs' costs (six decimals) rounded half up, as `round(sum(...), 2)` gives.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use rand::Rng;

use super::copy::{Rows, Table};
use super::data::{self, Kind, id, rng};
use super::ids::{AGENTS, agent_id, agent_model, agent_slug, user_id};

/// One usage log, before it is written.
pub struct Log {
    pub agent: u64,
    pub tokens_input: u32,
    pub tokens_output: u32,
    pub cost_input: u64,
    pub cost_output: u64,
    pub duration: u32,
    pub success: bool,
    pub at: NaiveDateTime,
}

impl Log {
    pub fn total_tokens(&self) -> u32 {
        self.tokens_input + self.tokens_output
    }
}

/// The usage logs of `user`: 100 to 300 over the loaded period.
pub fn logs(user: u64) -> Vec<Log> {
    let mut r = rng(Kind::UsageLog, user, 0);
    let n = r.random_range(100..=300);
    (0..n)
        .map(|_| {
            let tokens_input = r.random_range(10..2_000);
            let tokens_output = r.random_range(10..1_500);
            Log {
                agent: r.random_range(0..AGENTS),
                tokens_input,
                tokens_output,
                // 3 and 15 micro-dollars per token, in and out.
                cost_input: u64::from(tokens_input) * 3,
                cost_output: u64::from(tokens_output) * 15,
                duration: r.random_range(200..20_000),
                success: r.random_range(0..100) < 98,
                at: data::any_time(&mut r),
            }
        })
        .collect()
}

/// The months of the loaded period, as (year, month).
pub fn months() -> Vec<(i32, u32)> {
    let mut out = Vec::new();
    let mut day = data::epoch().date();
    let end = day + chrono::Duration::days(data::PERIOD_DAYS);
    while day < end {
        let m = (day.year(), day.month());
        if out.last() != Some(&m) {
            out.push(m);
        }
        day += chrono::Duration::days(1);
    }
    out
}

pub fn month_of(t: NaiveDateTime) -> (i32, u32) {
    (t.year(), t.month())
}

pub fn month_start((year, month): (i32, u32)) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("valid month")
}

pub const LOGS: Table<'static> = Table {
    name: "public.usage_logs",
    columns: &[
        "id",
        "userId",
        "agentId",
        "tokensInput",
        "tokensOutput",
        "totalTokens",
        "model",
        "costInput",
        "costOutput",
        "totalCost",
        "duration",
        "success",
        "timestamp",
    ],
    without_triggers: false,
    units: 0,
};

pub fn log_rows(u: u64, rows: &mut Rows) {
    for (i, log) in logs(u).iter().enumerate() {
        rows.uuid(id(Kind::UsageLog, u, 0, i as u64))
            .uuid(user_id(u))
            .uuid(agent_id(log.agent))
            .val(log.tokens_input)
            .val(log.tokens_output)
            .val(log.total_tokens())
            .val(agent_model(log.agent))
            .val(data::micros(log.cost_input))
            .val(data::micros(log.cost_output))
            .val(data::micros(log.cost_input + log.cost_output))
            .val(log.duration)
            .val(log.success)
            .ts(log.at);
        rows.end();
    }
}

pub const MONTHLY: Table<'static> = Table {
    name: "public.monthly_usage",
    columns: &[
        "id",
        "userId",
        "year",
        "month",
        "totalMessages",
        "totalTokens",
        "totalCost",
        "agentUsage",
        "createdAt",
        "updatedAt",
    ],
    without_triggers: false,
    units: 0,
};

#[derive(Default)]
struct Month {
    messages: u64,
    tokens: u64,
    cost: u64,
    agents: BTreeMap<u64, u64>,
}

/// One row per month in which the user has logs, with their exact totals.
pub fn monthly_rows(u: u64, rows: &mut Rows) {
    let mut months: BTreeMap<(i32, u32), Month> = BTreeMap::new();
    for log in logs(u) {
        let m = months.entry(month_of(log.at)).or_default();
        m.messages += 1;
        m.tokens += u64::from(log.total_tokens());
        m.cost += log.cost_input + log.cost_output;
        *m.agents.entry(log.agent).or_default() += 1;
    }
    for ((year, month), m) in months {
        let usage: serde_json::Map<String, serde_json::Value> = m
            .agents
            .iter()
            .map(|(a, n)| (agent_slug(*a), (*n).into()))
            .collect();
        let end = month_start((year, month)) + chrono::Duration::days(27);
        rows.uuid(id(Kind::MonthlyUsage, u, year as u64, u64::from(month)))
            .uuid(user_id(u))
            .val(year)
            .val(month)
            .val(m.messages)
            .val(m.tokens)
            .val(data::cents(data::micros_to_cents(m.cost)))
            .text(&serde_json::Value::Object(usage).to_string())
            .ts(month_start((year, month)))
            .ts(end);
        rows.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_spans_six_whole_months() {
        assert_eq!(
            months(),
            [
                (2025, 5),
                (2025, 6),
                (2025, 7),
                (2025, 8),
                (2025, 9),
                (2025, 10)
            ]
        );
    }
}
