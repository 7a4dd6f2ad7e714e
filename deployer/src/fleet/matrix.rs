//! `status --targets`: the fleet as a matrix, a row per target and a column per migration,
//! so the target that is behind, edited or unreachable stands out.

use serde_json::{Value, json};

use super::rollout::{Outcome, Report};
use super::summary::Row;
use crate::project::Group;
use crate::status::{State, Status};

/// The legend printed under the matrix.
pub const LEGEND: &str = "+ applied  . pending  o pending before an applied one  E edited  u applied without checksum  ! unknown to this build";

/// One character per migration, a space between phases.
fn cells(status: &Status, group_of: fn(&str) -> Option<Group>) -> String {
    let mut out = String::new();
    let mut phase = None;
    for (name, state) in &status.entries {
        let this = group_of(name).map(|p| p.number);
        if phase.is_some() && this != phase {
            out.push(' ');
        }
        phase = this;
        out.push(match state {
            State::Applied => '+',
            State::Pending => '.',
            State::Edited { .. } => 'E',
            State::Unrecorded => 'u',
            State::Unknown => '!',
            State::OutOfOrder => 'o',
        });
    }
    out
}

/// What the last column says about a reachable target.
fn state(status: &Status) -> String {
    let problems: Vec<String> = status
        .entries
        .iter()
        .filter_map(|(name, state)| match state {
            State::Edited { .. } => Some(format!("EDITED {name}")),
            State::Unknown => Some(format!("UNKNOWN {name}")),
            State::OutOfOrder => Some(format!("OUT OF ORDER {name}")),
            _ => None,
        })
        .collect();
    match (problems.is_empty(), status.pending()) {
        (false, _) => problems.join(", "),
        (true, 0) => "current".into(),
        (true, n) => format!("behind: {n} pending"),
    }
}

fn applied(status: &Status) -> usize {
    status
        .entries
        .iter()
        .filter(|(_, s)| !matches!(s, State::Pending | State::OutOfOrder))
        .count()
}

/// The matrix, its legend under it.
pub fn matrix(reports: &[Report<Status>], group_of: fn(&str) -> Option<Group>) -> String {
    let header = [
        "target".to_owned(),
        "applied".into(),
        "pending".into(),
        "migrations by phase".into(),
        "state".into(),
    ];
    let rows: Vec<[String; 5]> = reports
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Done(status) => [
                r.target.name.clone(),
                applied(status).to_string(),
                status.pending().to_string(),
                cells(status, group_of),
                state(status),
            ],
            Outcome::Failed(err) => [
                r.target.name.clone(),
                "-".into(),
                "-".into(),
                String::new(),
                format!("FAILED: {err}"),
            ],
            Outcome::NotStarted(why) => [
                r.target.name.clone(),
                "-".into(),
                "-".into(),
                String::new(),
                why.clone(),
            ],
        })
        .collect();
    let mut lines = super::summary::aligned(&header, &rows, [false, true, true, false, false]);
    lines.push(LEGEND.to_owned());
    lines.join("\n")
}

/// The targets `status` must fail on: unreachable, edited, or newer than the code. Being
/// behind is not a problem: it is what `up` is for.
pub fn problems(reports: &[Report<Status>]) -> Vec<&str> {
    reports
        .iter()
        .filter(|r| match &r.outcome {
            Outcome::Done(status) => !status.problems().is_empty(),
            Outcome::Failed(_) => true,
            Outcome::NotStarted(_) => false,
        })
        .map(|r| r.target.name.as_str())
        .collect()
}

impl Row for Status {
    fn applied(&self) -> String {
        applied(self).to_string()
    }

    fn note(&self) -> String {
        state(self)
    }

    fn json(&self) -> Value {
        let edited: Vec<&str> = self
            .entries
            .iter()
            .filter(|(_, s)| matches!(s, State::Edited { .. }))
            .map(|(n, _)| n.as_str())
            .collect();
        let unknown: Vec<&str> = self
            .entries
            .iter()
            .filter(|(_, s)| *s == State::Unknown)
            .map(|(n, _)| n.as_str())
            .collect();
        let pending: Vec<&str> = self
            .entries
            .iter()
            .filter(|(_, s)| *s == State::Pending)
            .map(|(n, _)| n.as_str())
            .collect();
        json!({
            "applied": applied(self),
            "pending": pending,
            "edited": edited,
            "unknown": unknown,
            "state": state(self),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::targets::Target;
    use std::time::Duration;

    /// Eleven migrations: six of phase 1, five of phase 2.
    fn names() -> Vec<String> {
        (1..=11)
            .map(|i| format!("m20261121_{:06}_step", if i <= 6 { i } else { 100 + i - 6 }))
            .collect()
    }

    fn phase_of(name: &str) -> Option<Group> {
        let number = if name.contains("_0001") { 2 } else { 1 };
        Some(Group { number, name: "" })
    }

    fn status(states: &[State]) -> Status {
        let names = names();
        Status {
            entries: names.into_iter().zip(states.iter().cloned()).collect(),
        }
    }

    fn report(name: &str, outcome: Outcome<Status>) -> Report<Status> {
        Report {
            target: Target {
                name: name.into(),
                url: "postgres://h/db".into(),
            },
            outcome,
            took: Duration::ZERO,
            canary: false,
        }
    }

    #[test]
    fn behind_edited_and_unreachable_targets_stand_out() {
        use State::{Applied as A, Pending as P};
        let edited = State::Edited {
            recorded: "a".into(),
            current: "b".into(),
        };
        let current = status(&[A, A, A, A, A, A, A, A, A, A, A]);
        let behind = status(&[A, A, A, A, A, A, A, P, P, P, P]);
        let changed = status(&[A, A, edited, A, A, A, A, A, A, A, A]);
        let reports = vec![
            report("eu-1", Outcome::Done(current)),
            report("eu-2", Outcome::Done(behind)),
            report("us-1", Outcome::Done(changed)),
            report(
                "ap-1",
                Outcome::Failed("unreachable: cannot reach PostgreSQL".into()),
            ),
        ];
        let text = matrix(&reports, phase_of);
        let lines: Vec<&str> = text.lines().collect();
        let row = |i: usize| lines[i].split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(row(1), "eu-1 11 0 ++++++ +++++ current");
        assert_eq!(row(2), "eu-2 7 4 ++++++ +.... behind: 4 pending");
        assert_eq!(
            row(3),
            "us-1 11 0 ++E+++ +++++ EDITED m20261121_000003_step"
        );
        assert_eq!(
            row(4),
            "ap-1 - - FAILED: unreachable: cannot reach PostgreSQL"
        );
        assert_eq!(lines[5], LEGEND);
        assert_eq!(problems(&reports).len(), 2);
    }
}
