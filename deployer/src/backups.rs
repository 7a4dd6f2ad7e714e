//! Dump files: named after their database, UTC time and last applied migration, listed
//! newest first, pruned to the newest N; and a dump taken on demand under the migration lock.
//!
//! The name tells which dump to restore without opening any (`agents-20261121T093000Z-
//! m20261121_000303_create_mcp_tables.dump`, `.dump.age` when encrypted); what a dump really holds (its migrations and
//! their checksums) is read from the dump itself when it is restored.

use std::path::{Path, PathBuf};

use anyhow::Context;

use sea_orm::DatabaseConnection;

use crate::backup::{Backup, EXTENSION, NO_MIGRATION};
use crate::deploy::Deployer;

/// A dump file found in a backup directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dump {
    pub path: PathBuf,
    pub database: String,
    /// When it was taken, `YYYYMMDDTHHMMSSZ` (UTC), which sorts by time.
    pub taken: String,
    /// The last migration applied when it was taken; `None` for no migration, or a dump
    /// named before names carried it.
    pub last_migration: Option<String>,
    pub bytes: u64,
    /// Encrypted with age (`.dump.age`): restoring it needs the identity file.
    pub encrypted: bool,
}

/// Database, time and last migration from a dump's file name, encrypted (`.dump.age`) or
/// not; `None` for other files. Migration names have no `-`, so the name splits from the
/// right; `<db>-<time>.dump`, the older naming, reads with no migration.
pub fn parse(name: &str) -> Option<(String, String, Option<String>)> {
    let name = name.strip_suffix(crate::encryption::SUFFIX).unwrap_or(name);
    let stem = name.strip_suffix(EXTENSION)?;
    let (rest, last) = stem.rsplit_once('-')?;
    if is_stamp(last) {
        return Some((rest.to_owned(), last.to_owned(), None));
    }
    let (database, taken) = rest.rsplit_once('-')?;
    let last = (last != NO_MIGRATION).then(|| last.to_owned());
    (is_stamp(taken) && !database.is_empty()).then(|| (database.to_owned(), taken.to_owned(), last))
}

fn is_stamp(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit)
}

/// The dumps in `dir`, newest first; other files are left out.
pub fn list(dir: &Path) -> anyhow::Result<Vec<Dump>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("read backup directory {}", dir.display()))?;
    let mut dumps = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((database, taken, last_migration)) = parse(&name) else {
            continue;
        };
        let bytes = entry.metadata().map_or(0, |m| m.len());
        dumps.push(Dump {
            path: entry.path(),
            database,
            taken,
            last_migration,
            bytes,
            encrypted: name.ends_with(crate::encryption::SUFFIX),
        });
    }
    dumps.sort_by(|a, b| b.taken.cmp(&a.taken).then_with(|| a.path.cmp(&b.path)));
    Ok(dumps)
}

/// Deletes all but the newest `keep` dumps of each database in `dir` (of `database` only,
/// when given) and returns what it deleted. Files that are not dumps are never touched.
pub fn prune(dir: &Path, database: Option<&str>, keep: usize) -> anyhow::Result<Vec<PathBuf>> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    let mut deleted = Vec::new();
    for dump in list(dir)? {
        if database.is_some_and(|d| d != dump.database) {
            continue;
        }
        let newer = seen.entry(dump.database.clone()).or_default();
        *newer += 1;
        if *newer > keep {
            std::fs::remove_file(&dump.path)
                .with_context(|| format!("delete old backup {}", dump.path.display()))?;
            deleted.push(dump.path);
        }
    }
    Ok(deleted)
}

impl Backup {
    /// This backup, named after `last`, the last migration applied.
    pub fn after(mut self, last: Option<&str>) -> Backup {
        self.after = last.map(str::to_owned);
        self
    }

    /// Deletes the dumps of `database` in the backup's directory beyond `keep`, if set, and
    /// says which.
    pub fn prune(&self, database: &str) -> anyhow::Result<()> {
        let Some(keep) = self.keep else {
            return Ok(());
        };
        for path in prune(&self.dir, Some(database), keep)? {
            tracing::info!("deleted old backup {} (--keep {keep})", path.display());
        }
        Ok(())
    }
}

impl Deployer {
    /// Dumps the database now, under the migration lock so that no migration changes it
    /// meanwhile and the name's last migration is the dump's, then prunes; returns the file.
    pub async fn backup(
        &self,
        db: &DatabaseConnection,
        backup: &Backup,
    ) -> anyhow::Result<PathBuf> {
        let url = self
            .url
            .as_deref()
            .context("a backup needs the database URL")?;
        let run = self.start(db).await?;
        let result = async {
            let status = self.status(&run.session).await?;
            let backup = backup.clone().after(status.last_applied());
            // Awaited, not blocking: the lock's heartbeat must go on while pg_dump runs.
            let application = crate::child::application(self.project.application, "pg_dump");
            let dump = backup.dump(url, self.settings.liveness(), &application);
            let file = run.session.idle(dump).await??;
            backup.prune(&dbconn::url::database_name(url)?)?;
            Ok(file)
        }
        .await;
        run.finish(result).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::file_name;
    use chrono::{DateTime, Utc};

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn names_carry_database_time_and_last_migration_and_read_back() {
        let name = file_name(
            "agents-prod",
            at("2026-11-21T09:30:00Z"),
            Some("m20261121_000303_x"),
        );
        assert_eq!(name, "agents-prod-20261121T093000Z-m20261121_000303_x.dump");
        assert_eq!(
            parse(&name),
            Some((
                "agents-prod".into(),
                "20261121T093000Z".into(),
                Some("m20261121_000303_x".into())
            ))
        );
        let empty = file_name("db", at("2026-01-02T03:04:05Z"), None);
        assert_eq!(
            parse(&empty),
            Some(("db".into(), "20260102T030405Z".into(), None))
        );
        assert_eq!(
            parse(&format!("{name}.age")),
            Some((
                "agents-prod".into(),
                "20261121T093000Z".into(),
                Some("m20261121_000303_x".into())
            ))
        );
        assert_eq!(
            parse("db-20260102T030405Z.dump"),
            Some(("db".into(), "20260102T030405Z".into(), None))
        );
        for other in [
            "notes.txt",
            "db.dump",
            "db-yesterday-m1.dump",
            "-20260102T030405Z-m1.dump",
            "db-20260102T030405Z-m1.age",
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
    }

    #[test]
    fn pruning_keeps_the_newest_of_each_database_and_nothing_else_is_touched() {
        let dir = std::env::temp_dir().join(format!("backups-prune-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let names = [
            "a-20260101T000000Z-m1.dump",
            "a-20260102T000000Z-m2.dump",
            "a-20260103T000000Z-m2.dump.age",
            "b-20260101T000000Z-none.dump",
            "README.txt",
        ];
        for name in names {
            std::fs::write(dir.join(name), name).unwrap();
        }
        let listed: Vec<String> = list(&dir).unwrap().into_iter().map(|d| d.taken).collect();
        assert_eq!(listed[0], "20260103T000000Z");
        let deleted = prune(&dir, None, 1).unwrap();
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(deleted.len(), 2);
        assert_eq!(
            left,
            [
                "README.txt",
                "a-20260103T000000Z-m2.dump.age",
                "b-20260101T000000Z-none.dump"
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
