//! What a fleet command prints at the end: one table (or, with `--json`, one JSON document)
//! with a row per target, and the one-line error that sets the exit code.

use std::time::Duration;

use serde_json::{Value, json};

use super::rollout::{Outcome, Report};

/// One row of a summary: what the command has to say about a target that finished.
pub trait Row {
    /// The `applied` column (a count, or `-`).
    fn applied(&self) -> String;
    /// What the `result` column says after `ok`, e.g. `verified`.
    fn note(&self) -> String;
    /// The fields the JSON document adds for this target.
    fn json(&self) -> Value;
}

/// The summary table: target, applied, took, result.
pub fn table<T: Row>(reports: &[Report<T>]) -> String {
    let rows: Vec<[String; 4]> = reports
        .iter()
        .map(|r| {
            let (applied, result) = match &r.outcome {
                Outcome::Done(value) => (value.applied(), ok(&value.note(), r.canary)),
                Outcome::Failed(err) => ("-".into(), format!("FAILED: {err}")),
                Outcome::NotStarted(why) => ("-".into(), why.clone()),
            };
            let took = match r.outcome {
                Outcome::NotStarted(_) => "-".into(),
                _ => seconds(r.took),
            };
            [r.target.name.clone(), applied, took, result]
        })
        .collect();
    let header = ["target", "applied", "took", "result"].map(String::from);
    aligned(&header, &rows, [false, true, true, false]).join("\n")
}

/// The header and rows as lines of columns two spaces apart, each padded to its widest cell
/// (right-aligned where `right` says so) except the last, which runs to the line's end.
pub(super) fn aligned<const N: usize>(
    header: &[String; N],
    rows: &[[String; N]],
    right: [bool; N],
) -> Vec<String> {
    let width = |i: usize| {
        rows.iter()
            .chain([header])
            .map(|row| row[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..N).map(width).collect();
    std::iter::once(header)
        .chain(rows)
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(i, cell)| match (i + 1 == N, right[i]) {
                    (true, _) => cell.clone(),
                    (false, true) => format!("{cell:>w$}", w = widths[i]),
                    (false, false) => format!("{cell:<w$}", w = widths[i]),
                })
                .collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect()
}

/// The summary as JSON, for pipelines: `{"command", "ok", "targets": [...]}`; URLs redacted.
pub fn json<T: Row>(command: &str, reports: &[Report<T>]) -> Value {
    let targets: Vec<Value> = reports
        .iter()
        .map(|r| {
            let mut entry = json!({
                "target": r.target.name,
                "url": r.target.shown(),
                "canary": r.canary,
                "took_ms": r.took.as_millis() as u64,
            });
            let (result, extra) = match &r.outcome {
                Outcome::Done(value) => ("ok", value.json()),
                Outcome::Failed(err) => ("failed", json!({ "error": err })),
                Outcome::NotStarted(why) => ("not_started", json!({ "error": why })),
            };
            entry["result"] = result.into();
            if let (Value::Object(entry), Value::Object(extra)) = (&mut entry, extra) {
                entry.extend(extra);
            }
            entry
        })
        .collect();
    json!({
        "command": command,
        "ok": reports.iter().all(|r| !r.failed()),
        "targets": targets,
    })
}

/// The one-line verdict: `Ok` when every target succeeded, else an error naming which failed
/// and how many never started.
pub fn verdict<T>(reports: &[Report<T>]) -> anyhow::Result<()> {
    let failed: Vec<&str> = reports
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
        .map(|r| r.target.name.as_str())
        .collect();
    let unstarted = reports
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::NotStarted(_)))
        .count();
    if failed.is_empty() && unstarted == 0 {
        return Ok(());
    }
    let mut message = format!(
        "{} of {} target(s) failed: {}",
        failed.len(),
        reports.len(),
        failed.join(", ")
    );
    if unstarted > 0 {
        message.push_str(&format!(
            "; {unstarted} not started (run the same command again to finish them)"
        ));
    }
    anyhow::bail!(message)
}

fn ok(note: &str, canary: bool) -> String {
    let mut notes: Vec<&str> = Vec::new();
    if canary {
        notes.push("canary");
    }
    if !note.is_empty() {
        notes.push(note);
    }
    if notes.is_empty() {
        "ok".into()
    } else {
        format!("ok ({})", notes.join(", "))
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::targets::Target;

    struct Applied(usize);

    impl Row for Applied {
        fn applied(&self) -> String {
            self.0.to_string()
        }
        fn note(&self) -> String {
            String::new()
        }
        fn json(&self) -> Value {
            json!({ "applied": self.0 })
        }
    }

    fn report(name: &str, outcome: Outcome<Applied>) -> Report<Applied> {
        Report {
            target: Target {
                name: name.into(),
                url: format!("postgres://app:hunter2@db/{name}"),
            },
            outcome,
            took: Duration::from_millis(1300),
            canary: name == "eu-1",
        }
    }

    fn reports() -> Vec<Report<Applied>> {
        vec![
            report("eu-1", Outcome::Done(Applied(21))),
            report(
                "us-1",
                Outcome::Failed("refusing to migrate: edited".into()),
            ),
            report(
                "ap-1",
                Outcome::NotStarted("not started: us-1 failed".into()),
            ),
        ]
    }

    #[test]
    fn columns_line_up_with_numbers_to_the_right_and_the_last_left_ragged() {
        let header = ["name", "n", "note"].map(String::from);
        let rows = [
            ["a", "100", "long note"].map(String::from),
            ["bbbb", "7", ""].map(String::from),
        ];
        assert_eq!(
            aligned(&header, &rows, [false, true, false]),
            ["name    n  note", "a     100  long note", "bbbb    7"]
        );
    }

    #[test]
    fn the_table_has_a_row_per_target_and_no_password() {
        let table = table(&reports());
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "target  applied  took  result");
        assert_eq!(lines[1], "eu-1         21  1.3s  ok (canary)");
        assert_eq!(
            lines[2],
            "us-1          -  1.3s  FAILED: refusing to migrate: edited"
        );
        assert_eq!(lines[3], "ap-1          -     -  not started: us-1 failed");
        assert!(!table.contains("hunter2"));
    }

    #[test]
    fn json_says_which_failed_with_urls_redacted() {
        let doc = json("up", &reports());
        assert_eq!(doc["ok"], false);
        assert_eq!(doc["targets"][0]["applied"], 21);
        assert_eq!(doc["targets"][1]["result"], "failed");
        assert_eq!(doc["targets"][2]["result"], "not_started");
        assert!(!doc.to_string().contains("hunter2"));
        assert!(doc["targets"][0]["url"].as_str().unwrap().contains("***"));
    }

    #[test]
    fn the_verdict_names_the_failed_and_counts_the_unstarted() {
        let err = verdict(&reports()).unwrap_err().to_string();
        assert_eq!(
            err,
            "1 of 3 target(s) failed: us-1; 1 not started (run the same command again to finish them)"
        );
        assert!(verdict(&reports()[..1]).is_ok());
    }
}
