//! `restore FILE`: a dump back into a database, if it comes from this build's schema history.
//!
//! The dump is restored into an empty database, in one transaction (`pg_restore
//! --single-transaction`), so a failed restore leaves the database as empty as it found it.
//! A database that is not empty is refused, unless `--clean` first drops everything the
//! project owns, as `fresh` does. `pg_restore --clean` alone was not chosen: it drops only
//! what the dump holds, so objects created after the dump (a later migration's tables) stay
//! and their foreign keys stop the drops.
//!
//! An encrypted dump (age, see [`super::encryption`]) is decrypted as it streams into each
//! pg_restore; a wrong identity fails before pg_restore starts, and a tampered or truncated
//! file stops pg_restore before it commits.
//!
//! Before anything changes, the migrations and checksums the dump recorded are compared with
//! this build's: a dump taken under other migrations (edited, or unknown to this build) is
//! refused unless forced, because this build could then neither migrate nor check it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use anyhow::{Context, bail};
use dbconn::Liveness;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use dbconn::url::{database_name, password, redact};

use crate::child;
use crate::deploy::Deployer;
use crate::encryption::{self, Identities, Plaintext};
use crate::ledger::{Applied, CHECKSUMS, VERSIONS};
use crate::session::Session;
use crate::status::{State, Status};

/// What to restore, and how.
#[derive(Clone, Debug)]
pub struct Restore {
    pub file: PathBuf,
    /// The pg_restore to run; it must be at least as new as the pg_dump that took the dump.
    pub pg_restore: PathBuf,
    /// Drop everything the project owns first, when the database is not empty.
    pub clean: bool,
    /// Restore a dump whose schema history differs from this build's.
    pub force: bool,
    /// The age identity file that decrypts an encrypted dump (see [`super::encryption`]).
    pub identity: Option<PathBuf>,
}

/// What a restore left behind.
#[derive(Clone, Debug)]
pub struct Restored {
    /// The last migration the dump recorded.
    pub last_migration: Option<String>,
    /// Migrations of this build the restored database has yet to apply.
    pub pending: usize,
}

impl Deployer {
    /// Restores `restore.file` under the migration lock; see the module documentation.
    pub async fn restore(
        &self,
        db: &DatabaseConnection,
        restore: &Restore,
    ) -> anyhow::Result<Restored> {
        let url = self
            .url
            .as_deref()
            .context("a restore needs the database URL")?;
        let recorded = restore.recorded_history().await?;
        let status = Status::new(
            self.known
                .iter()
                .map(|k| (k.migration.name(), k.checksum.as_str())),
            recorded,
        );
        if !restore.force {
            refuse_other_history(&restore.file, &status)?;
        }
        let mut run = self.start(db).await?;
        let work = self.restore_locked(&run.session, restore, url);
        let result = run.lock.hold(&run.session, work).await;
        let result = match result {
            Err(err) if dbconn::liveness::is_lost(&err) => Err(err.context(lost(restore, url))),
            result => result,
        };
        let restored = run.finish(result).await?;
        Ok(Restored {
            last_migration: status.last_applied().map(str::to_owned),
            pending: restored,
        })
    }

    /// Empties the database if asked, restores, analyzes; returns how many migrations of this
    /// build are pending on the result.
    async fn restore_locked(
        &self,
        session: &Session,
        restore: &Restore,
        url: &str,
    ) -> anyhow::Result<usize> {
        let leftovers = self.make_room(session, restore, url).await?;
        // pg_restore's server bound is half the run's, so the server ends its transaction
        // (releasing its locks) before it ends the migration lock's session.
        let liveness = Liveness::new(self.settings.hang_timeout / 2);
        let application = child::application(self.project.application, "pg_restore");
        let restored = session
            .idle(restore.run(url, liveness, &application))
            .await?;
        // A pg_restore killed by an error here may leave its session behind for a moment:
        // the lock is held until the server has let it go.
        child::end_sessions(session, &application).await?;
        let statistics = restored.map_err(|err| match restore.clean && !leftovers.is_empty() {
            true => err.context(
                "--clean had dropped the project's objects, so the database is empty now: \
                     fix the cause and restore again (the dump is unchanged)",
            ),
            false => err,
        })?;
        if statistics {
            tracing::info!("the planner's statistics came back with the dump");
        } else {
            // Without them the planner guesses until autovacuum has seen every table.
            session
                .execute_unprepared("ANALYZE")
                .await
                .context("analyze the restored database")?;
            tracing::info!(
                "the dump carries no planner statistics: analyzed the restored database"
            );
        }
        Ok(self.status(session).await?.pending())
    }

    /// Refuses a database that is not empty, or with `--clean` drops what the project owns
    /// first; returns what was there.
    async fn make_room(
        &self,
        session: &DatabaseConnection,
        restore: &Restore,
        url: &str,
    ) -> anyhow::Result<Vec<String>> {
        let leftovers = occupants(session).await?;
        if !leftovers.is_empty() {
            if !restore.clean {
                bail!(
                    "refusing to restore into {}: it is not empty ({}): restore into an empty \
                     database (createdb a new one), or pass --clean to drop everything the \
                     project owns first",
                    redact(url),
                    leftovers.join(", ")
                );
            }
            self.drop_owned(session)
                .await
                .context("drop the project's objects before the restore")?;
            let foreign = occupants(session).await?;
            if !foreign.is_empty() {
                bail!(
                    "--clean dropped the project's objects, but {} still holds objects the \
                     project does not own ({}): drop them, or restore into a new database",
                    redact(url),
                    foreign.join(", ")
                );
            }
        }
        Ok(leftovers)
    }
}

/// Fails, before anything changes, when the dump's migrations are not this build's.
fn refuse_other_history(file: &Path, status: &Status) -> anyhow::Result<()> {
    let mut differences: Vec<String> = status
        .entries
        .iter()
        .filter_map(|(name, state)| match state {
            State::Edited { recorded, current } => Some(format!(
                "migration {name} sent other SQL when the dump was taken (checksum {} there, \
                 {} in this build)",
                &recorded[..recorded.len().min(12)],
                &current[..current.len().min(12)]
            )),
            State::Unknown => Some(format!(
                "the dump has migration {name}, this build does not"
            )),
            _ => None,
        })
        .collect();
    if status.last_applied().is_none() {
        differences.push("the dump records no migration of this project".into());
    }
    let Some(first) = differences.first() else {
        return Ok(());
    };
    let more = match differences.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    bail!(
        "refusing to restore {}: its schema history is not this build's: {first}{more}: \
         restore it with the build that took it, or pass --force",
        file.display()
    )
}

/// Up to five of the objects that make the database not empty: schemas, relations, types
/// and routines outside the system schemas that no extension owns.
async fn occupants(session: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    const NOT_EXTENSION: &str = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = o.oid \
         AND d.deptype = 'e')";
    const USER_SCHEMA: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
         AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";
    let sql = format!(
        "SELECT what FROM ( \
         SELECT 'schema ' || o.nspname AS what FROM pg_namespace o JOIN pg_namespace n \
           ON n.oid = o.oid WHERE {USER_SCHEMA} AND o.nspname <> 'public' AND {NOT_EXTENSION} \
         UNION ALL SELECT 'table ' || o.oid::regclass::text FROM pg_class o JOIN pg_namespace n \
           ON n.oid = o.relnamespace WHERE {USER_SCHEMA} AND o.relkind IN ('r','p','v','m','S','f') \
           AND {NOT_EXTENSION} \
         UNION ALL SELECT 'type ' || o.oid::regtype::text FROM pg_type o JOIN pg_namespace n \
           ON n.oid = o.typnamespace WHERE {USER_SCHEMA} AND o.typtype IN ('e', 'd') \
           AND {NOT_EXTENSION} \
         UNION ALL SELECT 'routine ' || o.oid::regprocedure::text FROM pg_proc o JOIN pg_namespace n \
           ON n.oid = o.pronamespace WHERE {USER_SCHEMA} AND {NOT_EXTENSION} \
         ) found ORDER BY 1 LIMIT 5"
    );
    let rows = session
        .query_all_raw(Statement::from_string(session.get_database_backend(), sql))
        .await
        .context("check that the database is empty")?;
    Ok(rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect::<Result<_, _>>()?)
}

impl Restore {
    /// The migrations and checksums the dump recorded, read from its copy of the migrator's
    /// tables (pg_restore writes their data as text; no database is involved).
    pub async fn recorded_history(&self) -> anyhow::Result<Applied> {
        let output = self
            .pg_restore(&[
                "--data-only".into(),
                format!("--table={VERSIONS}"),
                format!("--table={CHECKSUMS}"),
                "--file=-".into(),
            ])
            .await?;
        Ok(parse_history(&output))
    }

    /// pg_restore into the database of `url`, all in one transaction, and whether the dump
    /// brought the planner's statistics along (`pg_dump --statistics`). The password goes
    /// through the environment, never the command line.
    /// pg_restore connects with the bounds of `liveness` on both sides, named `application`.
    async fn run(&self, url: &str, liveness: Liveness, application: &str) -> anyhow::Result<bool> {
        let (list, statistics) = self.list_without_extension_comments().await?;
        let result = self
            .pg_restore_into(url, &list, liveness, application)
            .await;
        let _ = std::fs::remove_file(&list);
        result.map(|()| statistics)
    }

    async fn pg_restore_into(
        &self,
        url: &str,
        list: &Path,
        liveness: Liveness,
        application: &str,
    ) -> anyhow::Result<()> {
        let args = vec![
            "--single-transaction".into(),
            "--exit-on-error".into(),
            "--no-owner".into(),
            "--no-password".into(),
            format!("--use-list={}", list.display()),
            format!(
                "--dbname={}",
                child::bounded_url(url, liveness, application)?
            ),
        ];
        let server = Server {
            password: password(url)?,
            options: child::server_options(liveness, true),
        };
        let output = self.run_pg_restore(args, Some(server)).await?;
        if !output.status.success() {
            bail!(
                "restore of {} into {} failed, nothing restored: {}",
                self.file.display(),
                redact(url),
                first_error(&output.stderr)
            );
        }
        tracing::info!(
            "restored {} into database {}",
            self.file.display(),
            database_name(url)?
        );
        Ok(())
    }

    /// The dump's table of contents without `COMMENT ON EXTENSION`, which only the extension's
    /// owner may run (the extension itself stays in, created if missing), and whether it
    /// holds statistics.
    async fn list_without_extension_comments(&self) -> anyhow::Result<(PathBuf, bool)> {
        let toc = self.pg_restore(&["--list".into()]).await?;
        let statistics = toc.lines().any(|line| line.contains(" STATISTICS DATA "));
        let kept: Vec<&str> = toc
            .lines()
            .filter(|line| !line.contains(" COMMENT - EXTENSION "))
            .collect();
        let list = std::env::temp_dir().join(format!("restore-{}.list", std::process::id()));
        crate::files::create_private(&list)
            .and_then(|mut file| {
                std::io::Write::write_all(&mut file, (kept.join("\n") + "\n").as_bytes())
            })
            .with_context(|| format!("write the restore list {}", list.display()))?;
        Ok((list, statistics))
    }

    /// Runs pg_restore on the dump with `args`, without a database, and returns its output.
    async fn pg_restore(&self, args: &[String]) -> anyhow::Result<String> {
        let output = self.run_pg_restore(args.to_vec(), None).await?;
        if !output.status.success() {
            bail!(
                "cannot read {}: {}: is it a dump of pg_dump --format=custom? (the pg_restore \
                 must be at least as new as the pg_dump that took it; --pg-restore PATH picks one)",
                self.file.display(),
                first_error(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Runs pg_restore with `args` on the dump: given its path, or, for an encrypted dump,
    /// fed the plaintext on stdin as it is decrypted, so it never touches the disk. With a
    /// `server`, its password goes through the environment, never the command line.
    async fn run_pg_restore(
        &self,
        mut args: Vec<String>,
        server: Option<Server>,
    ) -> anyhow::Result<Output> {
        let plaintext = self.decrypted()?;
        if plaintext.is_none() {
            args.push(self.file.display().to_string());
        }
        let mut command = child::command(&self.pg_restore);
        command
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if plaintext.is_some() {
            command.stdin(Stdio::piped());
        }
        if let Some(server) = server {
            if let Some(password) = server.password {
                command.env("PGPASSWORD", password);
            }
            command.env("PGOPTIONS", server.options);
        }
        let mut child = command.spawn().with_context(|| self.cannot_run())?;
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        if let (Some(plaintext), Some(stdin)) = (plaintext, child.stdin.take())
            && let Err(err) = feed(plaintext, stdin).await
        {
            // Killed before its input ends, pg_restore commits nothing: its transaction
            // dies with its connection.
            let _ = child.kill().await;
            return Err(err.context(format!(
                "restore of {} stopped, nothing restored",
                self.file.display()
            )));
        }
        let status = child.wait().await.with_context(|| self.cannot_run())?;
        Ok(Output {
            status,
            stdout: stdout.await.unwrap_or_default(),
            stderr: stderr.await.unwrap_or_default(),
        })
    }

    /// The decrypted stream of an encrypted dump, `None` for a plain one; fails before
    /// pg_restore starts when the dump is encrypted and no identity given matches.
    fn decrypted(&self) -> anyhow::Result<Option<Plaintext>> {
        if !encryption::is_encrypted(&self.file)? {
            return Ok(None);
        }
        let Some(identity) = &self.identity else {
            bail!(
                "{} is encrypted (age): pass --backup-identity FILE or set \
                 MIGRATION_BACKUP_IDENTITY to the identity file whose public key it was \
                 encrypted to",
                self.file.display()
            );
        };
        Identities::load(identity)?.open(&self.file).map(Some)
    }

    fn cannot_run(&self) -> String {
        format!(
            "cannot run {}: install pg_restore or pass --pg-restore PATH",
            self.pg_restore.display()
        )
    }
}

/// How pg_restore reaches the server: its password and `PGOPTIONS`.
struct Server {
    password: Option<String>,
    options: String,
}

/// Reads a child's output to its end in a task of its own, so the child never blocks on a
/// full pipe while its input is fed.
fn drain(
    pipe: Option<impl tokio::io::AsyncRead + Unpin + Send + 'static>,
) -> tokio::task::JoinHandle<Vec<u8>> {
    tokio::spawn(async move {
        let mut text = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut text).await;
        }
        text
    })
}

/// Copies the decrypted dump into pg_restore's stdin. Decryption reads a file, so it runs on a
/// blocking thread and hands chunks over. A decryption error (a wrong, tampered or truncated
/// file) is an error; pg_restore closing its input early (`--list` reads only the table of
/// contents) is not: its exit status says whether it had what it needed.
async fn feed(
    mut plaintext: Plaintext,
    mut stdin: tokio::process::ChildStdin,
) -> anyhow::Result<()> {
    let (chunks, mut received) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(4);
    let reader = tokio::task::spawn_blocking(move || {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let chunk = plaintext.read(&mut buffer).map(|n| buffer[..n].to_vec());
            let done = matches!(&chunk, Ok(c) if c.is_empty()) || chunk.is_err();
            if chunks.blocking_send(chunk).is_err() || done {
                return;
            }
        }
    });
    let result = async {
        while let Some(chunk) = received.recv().await {
            let chunk = chunk.context("decrypt the dump (is it complete and unaltered?)")?;
            if chunk.is_empty() {
                break;
            }
            match stdin.write_all(&chunk).await {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => break,
                Err(err) => return Err(err).context("feed the decrypted dump to pg_restore"),
            }
        }
        Ok(())
    }
    .await;
    // Closing the receiver ends the reader at its next chunk.
    drop(received);
    drop(stdin);
    let _ = reader.await;
    result
}

/// The one line of a restore whose server fell silent: what the database holds now.
fn lost(restore: &Restore, url: &str) -> String {
    let state = if restore.clean {
        "it holds either what it held before, or, if --clean had dropped the project's objects, \
         nothing of the project"
    } else {
        "it is as it was before the restore"
    };
    format!(
        "restore of {} into {} lost the server: pg_restore's single transaction is rolled back \
         when the server ends its session, so {state}: check with `status`, then restore again",
        restore.file.display(),
        redact(url)
    )
}

/// The first line of a tool's error output that says something.
fn first_error(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    text.lines()
        .find(|l| l.contains("error"))
        .or_else(|| text.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("no message")
        .trim()
        .to_owned()
}

/// Versions and checksums from the `COPY ... FROM stdin` blocks of the migrator's two tables.
fn parse_history(script: &str) -> Applied {
    let mut applied = Applied::new();
    let mut lines = script.lines();
    while let Some(line) = lines.next() {
        let Some(columns) = copy_columns(line) else {
            continue;
        };
        let (Some(version), checksum) = (
            columns.iter().position(|c| c == "version"),
            columns.iter().position(|c| c == "checksum"),
        ) else {
            continue;
        };
        for row in lines.by_ref().take_while(|l| *l != "\\.") {
            let fields: Vec<&str> = row.split('\t').collect();
            let Some(name) = fields.get(version) else {
                continue;
            };
            let entry = applied.entry((*name).to_owned()).or_insert(None);
            if let Some(sum) = checksum.and_then(|i| fields.get(i)) {
                *entry = Some((*sum).to_owned());
            }
        }
    }
    applied
}

/// The column names of a `COPY <table> (<columns>) FROM stdin;` line of either of the
/// migrator's tables.
fn copy_columns(line: &str) -> Option<Vec<String>> {
    let rest = line.strip_prefix("COPY ")?.strip_suffix(" FROM stdin;")?;
    let (table, columns) = rest.split_once(" (")?;
    let table = table.rsplit('.').next()?.trim_matches('"');
    if table != VERSIONS && table != CHECKSUMS {
        return None;
    }
    let columns = columns.strip_suffix(')')?;
    Some(
        columns
            .split(", ")
            .map(|c| c.trim_matches('"').to_owned())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_is_read_from_both_tables_of_a_restore_script() {
        let script = "--\n-- Data\n--\n\
            COPY public.seaql_migrations (version, applied_at) FROM stdin;\n\
            m1\t1767225600\nm2\t1767225601\n\\.\n\n\
            COPY public.seaql_migrations_checksums (version, checksum, recorded_at) FROM stdin;\n\
            m1\taaa\t2026-01-01 00:00:00+00\n\\.\n";
        let applied = parse_history(script);
        assert_eq!(applied.get("m1"), Some(&Some("aaa".to_owned())));
        assert_eq!(applied.get("m2"), Some(&None));
        assert_eq!(applied.len(), 2);
    }

    #[test]
    fn a_dump_of_other_migrations_is_refused_naming_the_difference() {
        let code = [("m1", "aaa"), ("m2", "bbb")];
        let history = |rows: &[(&str, &str)]| {
            let applied = rows
                .iter()
                .map(|(v, c)| (v.to_string(), Some(c.to_string())))
                .collect();
            Status::new(code.into_iter(), applied)
        };
        let file = Path::new("db.dump");
        assert!(refuse_other_history(file, &history(&[("m1", "aaa")])).is_ok());
        let edited = refuse_other_history(file, &history(&[("m1", "zzz")]));
        assert!(
            edited
                .unwrap_err()
                .to_string()
                .contains("migration m1 sent other SQL")
        );
        let newer = refuse_other_history(file, &history(&[("m1", "aaa"), ("m9", "fff")]));
        let line = newer.unwrap_err().to_string();
        assert!(
            line.contains("the dump has migration m9") && line.ends_with("--force"),
            "{line}"
        );
        assert!(refuse_other_history(file, &history(&[])).is_err());
    }
}
