//! The code's migrations against the database's record of them, and the refusals that follow.

use anyhow::bail;

use crate::ledger::Applied;

/// Where one migration stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Applied, with the checksum the code has now.
    Applied,
    /// Not applied yet.
    Pending,
    /// Applied, but the SQL it sends changed since: the database has the old version.
    Edited { recorded: String, current: String },
    /// Applied without a checksum (by SeaORM's own CLI, or before checksums existed); the next
    /// `up` records the current one.
    Unrecorded,
    /// Applied, but this build has no such migration: the database is newer than the code.
    Unknown,
    /// Not applied, though a migration after it in the code is: it came from a branch merged
    /// after the later one was deployed, so applying it now would run history out of order.
    OutOfOrder,
}

/// Every migration of the code, in order, then those only the database knows.
#[derive(Clone, Debug)]
pub struct Status {
    pub entries: Vec<(String, State)>,
}

impl Status {
    pub(super) fn new<'a>(
        code: impl Iterator<Item = (&'a str, &'a str)>,
        applied: Applied,
    ) -> Self {
        let mut entries = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (name, checksum) in code {
            seen.insert(name.to_owned());
            let state = match applied.get(name) {
                None => State::Pending,
                Some(None) => State::Unrecorded,
                Some(Some(recorded)) if recorded.trim() == checksum => State::Applied,
                Some(Some(recorded)) => State::Edited {
                    recorded: recorded.trim().to_owned(),
                    current: checksum.to_owned(),
                },
            };
            entries.push((name.to_owned(), state));
        }
        // Everything pending before the last applied migration of the code is out of order.
        if let Some(last) = entries.iter().rposition(|(_, s)| *s != State::Pending) {
            for (_, state) in &mut entries[..last] {
                if *state == State::Pending {
                    *state = State::OutOfOrder;
                }
            }
        }
        for version in applied.keys().filter(|v| !seen.contains(*v)) {
            entries.push((version.clone(), State::Unknown));
        }
        Self { entries }
    }

    /// The state of one migration, if the code or the database knows it.
    pub fn state(&self, name: &str) -> Option<State> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.clone())
    }

    /// Whether the database records `name` as applied, in whatever state.
    pub fn is_applied(&self, name: &str) -> bool {
        self.state(name)
            .is_some_and(|s| !matches!(s, State::Pending | State::OutOfOrder))
    }

    /// The newest migration the database records as applied (names sort by time), if any.
    pub fn last_applied(&self) -> Option<&str> {
        self.entries
            .iter()
            .filter(|(_, s)| !matches!(s, State::Pending | State::OutOfOrder))
            .map(|(name, _)| name.as_str())
            .max()
    }

    /// How many migrations are not applied yet, out of order or not.
    pub fn pending(&self) -> usize {
        self.entries
            .iter()
            .filter(|(_, s)| matches!(s, State::Pending | State::OutOfOrder))
            .count()
    }

    /// One line per migration not applied while a later one is, naming it and the fix.
    pub fn out_of_order(&self) -> Vec<String> {
        let later = self.last_applied().unwrap_or("a later migration");
        self.entries
            .iter()
            .filter(|(_, s)| *s == State::OutOfOrder)
            .map(|(name, _)| {
                format!(
                    "migration {name} is not applied but {later}, after it, is: give it the \
                     next free number after the last migration (rename the file: it never ran \
                     here), or pass --allow-out-of-order if its order does not matter"
                )
            })
            .collect()
    }

    /// One line per reason to refuse: [`Status::conflicts`], then [`Status::out_of_order`].
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.conflicts();
        problems.extend(self.out_of_order());
        problems
    }

    /// One line per applied migration that is not this build's as it is (edited, or unknown),
    /// each naming the migration and the fix.
    pub fn conflicts(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter_map(|(name, state)| match state {
                State::Edited { recorded, current } => Some(format!(
                    "migration {name} changed after it was applied (checksum {} recorded, {} now): \
                     restore it and put the change in a new migration, or run \
                     `migrate resolve --applied {name}` if the edit is intended",
                    &recorded[..recorded.len().min(12)],
                    &current[..current.len().min(12)],
                )),
                State::Unknown => Some(format!(
                    "the database is newer than the code: migration {name} is applied but this \
                     build does not have it; deploy a build that has it, or run \
                     `migrate resolve --rolled-back {name}` if it was removed on purpose"
                )),
                _ => None,
            })
            .collect()
    }

    /// Fails, before anything changes, when a migration is pending before an applied one,
    /// unless that is `allowed`.
    pub fn refuse_out_of_order(&self, allowed: bool) -> anyhow::Result<()> {
        match self.out_of_order().first() {
            Some(first) if !allowed => bail!("refusing to migrate, nothing applied: {first}"),
            _ => Ok(()),
        }
    }

    /// Fails, before anything changes, when an applied migration was edited or is unknown.
    pub fn refuse_if_inconsistent(&self) -> anyhow::Result<()> {
        let problems = self.conflicts();
        match problems.as_slice() {
            [] => Ok(()),
            [one] => bail!("refusing to migrate: {one}"),
            [first, rest @ ..] => bail!(
                "refusing to migrate: {first} (and {} more problem(s): see `migrate status`)",
                rest.len()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(applied: &[(&str, Option<&str>)]) -> Status {
        let code = [("m1", "aaa"), ("m2", "bbb"), ("m3", "ccc")];
        let applied = applied
            .iter()
            .map(|(v, c)| (v.to_string(), c.map(str::to_owned)))
            .collect();
        Status::new(code.into_iter(), applied)
    }

    #[test]
    fn matching_checksums_are_applied_and_the_rest_pending() {
        let s = status(&[("m1", Some("aaa")), ("m2", None)]);
        assert_eq!(s.state("m1"), Some(State::Applied));
        assert_eq!(s.state("m2"), Some(State::Unrecorded));
        assert_eq!(s.state("m3"), Some(State::Pending));
        assert_eq!(s.pending(), 1);
        assert_eq!(s.last_applied(), Some("m2"));
        assert!(s.refuse_if_inconsistent().is_ok());
    }

    #[test]
    fn an_edited_migration_is_refused_with_its_name_and_the_fix() {
        let s = status(&[("m1", Some("zzz"))]);
        let err = s.refuse_if_inconsistent().unwrap_err().to_string();
        assert!(
            err.contains("migration m1 changed after it was applied"),
            "{err}"
        );
        assert!(err.contains("migrate resolve --applied m1"), "{err}");
    }

    #[test]
    fn a_version_the_code_lacks_means_the_database_is_newer() {
        let s = status(&[("m1", Some("aaa")), ("m9", Some("fff"))]);
        assert_eq!(s.state("m9"), Some(State::Unknown));
        let err = s.refuse_if_inconsistent().unwrap_err().to_string();
        assert!(err.contains("database is newer than the code"), "{err}");
        assert!(err.contains("migrate resolve --rolled-back m9"), "{err}");
    }

    #[test]
    fn a_migration_pending_before_an_applied_one_is_out_of_order_and_refused() {
        let status = status(&[("m1", Some("aaa")), ("m3", Some("ccc"))]);
        assert_eq!(status.state("m2"), Some(State::OutOfOrder));
        assert_eq!(status.pending(), 1);
        let line = &status.problems()[0];
        assert!(
            line.contains("migration m2 is not applied but m3, after it, is"),
            "{line}"
        );
        assert!(status.refuse_out_of_order(false).is_err());
        assert!(status.refuse_out_of_order(true).is_ok());
        // Pending after the last applied one is simply pending.
        let behind = super::tests::status(&[("m1", Some("aaa"))]);
        assert_eq!(behind.state("m2"), Some(State::Pending));
        assert!(behind.problems().is_empty());
    }
}
