//! Safe deploys: one migrator at a time, edited migrations caught, no half-applied state.
//!
//! SeaORM's migrator has no lock and no checksums. Every command that changes the schema goes
//! through [`Deployer`] instead, which:
//! - holds an advisory lock for the whole run, so a second migrator waits, then finds nothing
//!   pending ([`lock`]);
//! - refuses to start when an applied migration's SQL changed or the database has a version
//!   the code lacks, before changing anything ([`status`]);
//! - applies each migration and its bookkeeping rows in one transaction ([`ledger`]);
//! - runs migrations on a session with `lock_timeout` and `statement_timeout`, and retries a
//!   migration that timed out on a lock or lost a deadlock, with backoff ([`Settings`]);
//! - never outlives its server, nor lets the server keep a vanished migrator's locks: every
//!   session carries the server-side limits of `--hang-timeout`, and the run races a
//!   heartbeat on the lock's connection ([`lock`], [`session`]).
//!
//! It knows nothing of any project's schema: it takes any SeaORM migrator's migrations, and
//! what is particular to a project (its name, lock, owned schemas, checks) comes in as a
//! [`Project`].

use anyhow::{Context, bail};
use sea_orm::DatabaseConnection;
use sea_orm_migration::{MigrationTrait, MigratorTrait};

use crate::backup::Backup;
use crate::lock::MigrationLock;
use crate::project::Project;
use crate::session::Session;
use crate::settings::Settings;
use crate::status::{State, Status};
use crate::verdict::{self, InFlight, Tracker};
use crate::{analyze, apply, child, ledger, owned, render};

/// What `up` should apply, and how.
#[derive(Clone, Debug, Default)]
pub struct Up {
    /// Apply nothing after this migration (e.g. the last one of a phase).
    pub through: Option<String>,
    /// Apply at most this many.
    pub steps: Option<usize>,
    /// Print the SQL that would run and change nothing.
    pub dry_run: bool,
    /// Dump the database first, and apply nothing if that fails.
    pub backup: Option<Backup>,
    /// Apply migrations pending before an applied one too, instead of refusing.
    pub allow_out_of_order: bool,
}

/// The deliberate fix for a refused database, as Prisma's `migrate resolve` has.
#[derive(Clone, Debug)]
pub enum Resolution {
    /// Count this migration as applied with its current SQL: it was applied by hand, or its
    /// edit is intended.
    Applied(String),
    /// Count this migration as not applied: it was undone by hand, or removed from the code.
    RolledBack(String),
}

/// A migration of the code with the SQL it sends, rendered once, and that SQL's checksum.
pub(crate) type Known = render::Rendered;

/// Runs migrations the safe way; see the module documentation.
pub struct Deployer {
    pub(crate) settings: Settings,
    /// Shared by clones, so a fleet renders the migrations once for all its targets.
    pub(crate) known: std::sync::Arc<Vec<Known>>,
    /// The URL, for the backup; `None` when the caller has no backup to take.
    pub(crate) url: Option<String>,
    /// What is particular to the project: its name, lock, owned schemas and checks.
    pub(crate) project: Project,
    /// The connection was seen to keep its session ([`crate::pooler`]); checked once per
    /// deployer.
    pub(crate) session_kept: std::sync::atomic::AtomicBool,
    /// The migration being applied or rolled back, for what a failure says of it.
    pub(crate) in_flight: Tracker,
}

/// A copy for another database (a fleet's target): the same migrations, rendered once, and a
/// session check of its own.
impl Clone for Deployer {
    fn clone(&self) -> Self {
        Self {
            settings: self.settings.clone(),
            known: std::sync::Arc::clone(&self.known),
            url: self.url.clone(),
            project: self.project,
            session_kept: Default::default(),
            in_flight: Default::default(),
        }
    }
}

impl Deployer {
    /// A deployer for every migration of the migrator `M`.
    pub async fn of<M: MigratorTrait>(settings: Settings) -> anyhow::Result<Self> {
        Self::with_migrations(settings, M::migrations()).await
    }

    /// A deployer for the given migrations, in the order given (tests bring their own).
    pub async fn with_migrations(
        settings: Settings,
        migrations: Vec<Box<dyn MigrationTrait>>,
    ) -> anyhow::Result<Self> {
        let known = render::render_all(migrations).await?;
        Ok(Self {
            settings,
            known: std::sync::Arc::new(known),
            url: None,
            project: Project::default(),
            session_kept: Default::default(),
            in_flight: Default::default(),
        })
    }

    /// What is particular to the project: its name on the server, its lock, the schemas
    /// `fresh` drops, its checks.
    pub fn with_project(mut self, project: Project) -> Self {
        self.project = project;
        self
    }

    /// The timeouts this deployer runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The project this deployer serves.
    pub fn project(&self) -> &Project {
        &self.project
    }

    /// Drops everything the project owns: its extra objects, its schemas, and every table,
    /// type and function of `public` that no extension owns.
    pub(crate) async fn drop_owned(&self, db: &DatabaseConnection) -> anyhow::Result<()> {
        if let Some(drop_extra) = self.project.drop_extra {
            drop_extra(db).await?;
        }
        owned::drop_all(db, self.project.owned_schemas).await?;
        Ok(())
    }

    /// The database URL, which `--backup` passes to pg_dump.
    pub fn with_url(mut self, url: &str) -> Self {
        self.url = Some(url.to_owned());
        self
    }

    /// Every migration of the code and of the database, with its state. Read-only.
    pub async fn status(&self, db: &DatabaseConnection) -> anyhow::Result<Status> {
        let applied = self
            .settings
            .liveness()
            .deadline("reading the applied migrations", ledger::read(db))
            .await
            .context("read applied migrations")?;
        Ok(Status::new(
            self.known
                .iter()
                .map(|k| (k.migration.name(), k.checksum.as_str())),
            applied,
        ))
    }

    /// Applies what is pending (or what `up` selects) and returns the names applied. With
    /// `dry_run`, prints the SQL instead and returns the names that would be applied.
    pub async fn up(&self, db: &DatabaseConnection, up: &Up) -> anyhow::Result<Vec<String>> {
        if up.dry_run {
            let status = self.status(db).await?;
            status.refuse_if_inconsistent()?;
            status.refuse_out_of_order(up.allow_out_of_order)?;
            let pending = self.select(&status, up)?;
            for known in &pending {
                self.print_sql(known);
            }
            return Ok(pending.iter().map(|k| k.migration.name().into()).collect());
        }
        let mut run = self.start(db).await?;
        let result = run
            .lock
            .hold(&run.session, self.up_locked(&run.session, up))
            .await;
        self.conclude(db, run, result).await
    }

    /// Rolls back the last `steps` applied migrations (all with `None`), newest first, and
    /// returns their names.
    pub async fn down(
        &self,
        db: &DatabaseConnection,
        steps: Option<usize>,
    ) -> anyhow::Result<Vec<String>> {
        let mut run = self.start(db).await?;
        let result = run
            .lock
            .hold(&run.session, self.down_locked(&run.session, steps))
            .await;
        self.conclude(db, run, result).await
    }

    /// Drops everything the project owns ([`Project::owned_schemas`] and `public`'s objects),
    /// then applies every migration.
    pub async fn fresh(&self, db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
        let mut run = self.start(db).await?;
        let session = &run.session;
        let work = async {
            self.drop_owned(session)
                .await
                .context("drop the project's objects")?;
            self.up_locked(session, &Up::default()).await
        };
        let result = run.lock.hold(&run.session, work).await;
        self.conclude(db, run, result).await
    }

    /// Rolls back every migration, then drops the bookkeeping tables, as SeaORM's `reset`.
    pub async fn reset(&self, db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
        let mut run = self.start(db).await?;
        let session = &run.session;
        let work = async {
            let undone = self.down_locked(session, None).await?;
            ledger::uninstall(session.db())
                .await
                .context("drop the migration tables")?;
            Ok(undone)
        };
        let result = run.lock.hold(&run.session, work).await;
        self.conclude(db, run, result).await
    }

    /// Rolls back every migration, then applies every migration.
    pub async fn refresh(&self, db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
        let mut run = self.start(db).await?;
        let session = &run.session;
        let work = async {
            self.down_locked(session, None).await?;
            self.up_locked(session, &Up::default()).await
        };
        let result = run.lock.hold(&run.session, work).await;
        self.conclude(db, run, result).await
    }

    /// Records a deliberate decision about one migration and says what it did.
    pub async fn resolve(
        &self,
        db: &DatabaseConnection,
        resolution: &Resolution,
    ) -> anyhow::Result<String> {
        let mut run = self.start(db).await?;
        let result = run
            .lock
            .hold(&run.session, self.resolve_locked(&run.session, resolution))
            .await;
        self.conclude(db, run, result).await
    }

    async fn up_locked(&self, session: &Session, up: &Up) -> anyhow::Result<Vec<String>> {
        let status = self.status(session).await?;
        status.refuse_if_inconsistent()?;
        status.refuse_out_of_order(up.allow_out_of_order)?;
        let pending = self.select(&status, up)?;
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(backup) = &up.backup {
            let url = self
                .url
                .as_deref()
                .context("a backup needs the database URL")?;
            let backup = backup.clone().after(status.last_applied());
            // Awaited, not blocking: the lock's heartbeat must go on while pg_dump runs.
            let application = crate::child::application(self.project.application, "pg_dump");
            let dump = backup.dump(url, self.settings.liveness(), &application);
            let file = session.idle(dump).await??;
            tracing::info!("backed up to {}", file.display());
            backup.prune(&dbconn::url::database_name(url)?)?;
        }
        ledger::install(session.db())
            .await
            .context("create the migration tables")?;
        self.record_unrecorded(session, &status).await?;
        let touched = analyze::touched(pending.iter().flat_map(|k| &k.statements));
        let mut applied = Vec::with_capacity(pending.len());
        for known in pending {
            tracing::info!("applying {}", known.migration.name());
            self.in_flight.set(Some(in_flight(known, true)));
            apply::up(session, known, &self.settings).await?;
            self.in_flight.set(None);
            applied.push(known.migration.name().to_owned());
        }
        analyze::run(session, &touched).await?;
        Ok(applied)
    }

    async fn down_locked(
        &self,
        session: &Session,
        steps: Option<usize>,
    ) -> anyhow::Result<Vec<String>> {
        let status = self.status(session).await?;
        status.refuse_if_inconsistent()?;
        // Newest applied first: a migration merged late and applied last goes back first,
        // whatever its place in the code.
        let order = ledger::applied_order(session.db())
            .await
            .context("read the order migrations were applied in")?;
        let position = |name: &str| order.iter().position(|v| v == name).unwrap_or(usize::MAX);
        let mut applied: Vec<(usize, &Known)> = self
            .known
            .iter()
            .enumerate()
            .filter(|(_, k)| status.is_applied(k.migration.name()))
            .collect();
        applied.sort_by_key(|(index, k)| (position(k.migration.name()), *index));
        let applied: Vec<&Known> = applied
            .into_iter()
            .rev()
            .map(|(_, k)| k)
            .take(steps.unwrap_or(usize::MAX))
            .collect();
        let mut undone = Vec::with_capacity(applied.len());
        for known in applied {
            tracing::info!("rolling back {}", known.migration.name());
            self.in_flight.set(Some(in_flight(known, false)));
            apply::down(session, known, &self.settings).await?;
            self.in_flight.set(None);
            undone.push(known.migration.name().to_owned());
        }
        Ok(undone)
    }

    async fn resolve_locked(
        &self,
        session: &DatabaseConnection,
        resolution: &Resolution,
    ) -> anyhow::Result<String> {
        let status = self.status(session).await?;
        match resolution {
            Resolution::Applied(version) => {
                let Some(known) = self.find(version) else {
                    bail!(
                        "no migration `{version}` in this build: check the name with `migrate status`"
                    );
                };
                let state = status.state(version);
                ledger::install(session)
                    .await
                    .context("create the migration tables")?;
                match state {
                    Some(State::Pending | State::OutOfOrder) | None => {
                        ledger::record(session, version, &known.checksum).await?;
                        Ok(format!("marked {version} as applied without running it"))
                    }
                    Some(State::Applied) => Ok(format!(
                        "{version} is already applied as it is: nothing to resolve"
                    )),
                    Some(State::Edited { .. } | State::Unrecorded) => {
                        ledger::record_checksum(session, version, &known.checksum).await?;
                        Ok(format!(
                            "accepted {version} as it is now: recorded its current checksum"
                        ))
                    }
                    Some(State::Unknown) => {
                        unreachable!("a migration of this build is never unknown")
                    }
                }
            }
            Resolution::RolledBack(version) => {
                if !status.is_applied(version) {
                    bail!("{version} is not recorded as applied: nothing to roll back");
                }
                ledger::forget(session, version).await?;
                Ok(format!(
                    "forgot {version}: it counts as not applied; whatever it created is untouched"
                ))
            }
        }
    }

    /// Records the checksums of migrations applied without one (by SeaORM's own CLI, or
    /// before checksums existed): from now on, an edit to them is caught.
    async fn record_unrecorded(
        &self,
        session: &DatabaseConnection,
        status: &Status,
    ) -> anyhow::Result<()> {
        let unrecorded: Vec<&Known> = self
            .known
            .iter()
            .filter(|k| status.state(k.migration.name()) == Some(State::Unrecorded))
            .collect();
        for known in &unrecorded {
            ledger::record_checksum(session, known.migration.name(), &known.checksum).await?;
        }
        if !unrecorded.is_empty() {
            tracing::info!(
                "recorded the checksums of {} migration(s) applied without one",
                unrecorded.len()
            );
        }
        Ok(())
    }

    /// The pending migrations `up` selects, in order.
    fn select(&self, status: &Status, up: &Up) -> anyhow::Result<Vec<&Known>> {
        let last = match &up.through {
            Some(name) => self
                .known
                .iter()
                .position(|k| k.migration.name() == name)
                .with_context(|| format!("no migration `{name}` in this build"))?,
            None => usize::MAX,
        };
        Ok(self
            .known
            .iter()
            .enumerate()
            .filter(|(i, k)| {
                *i <= last
                    && match status.state(k.migration.name()) {
                        Some(State::Pending) => true,
                        Some(State::OutOfOrder) => up.allow_out_of_order,
                        _ => false,
                    }
            })
            .map(|(_, k)| k)
            .take(up.steps.unwrap_or(usize::MAX))
            .collect())
    }

    fn find(&self, version: &str) -> Option<&Known> {
        self.known.iter().find(|k| k.migration.name() == version)
    }

    fn print_sql(&self, known: &Known) {
        let name = known.migration.name();
        let mode = if apply::transactional(known.migration.as_ref()) {
            "in one transaction"
        } else {
            "outside a transaction"
        };
        println!("-- {name} ({mode})");
        for statement in &known.statements {
            println!("{};", statement.trim().trim_end_matches(';'));
        }
        println!();
    }

    /// Ends the run (session closed, lock released) and, when it failed in the middle of a
    /// migration without the server's answer, says what the ledger holds now.
    async fn conclude<T>(
        &self,
        db: &DatabaseConnection,
        run: Run,
        result: anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        match run.finish(result).await {
            Ok(value) => {
                self.in_flight.set(None);
                Ok(value)
            }
            Err(err) => {
                let server = db.get_postgres_connection_pool().connect_options();
                Err(verdict::explain(err, &self.in_flight, &server, &self.settings).await)
            }
        }
    }

    /// Checks that the connection keeps its session (no transaction pooler), takes the
    /// migration lock, then opens the migration session, both on connections of their own to
    /// the server of `db`, bounded by the run's liveness.
    pub(crate) async fn start(&self, db: &DatabaseConnection) -> anyhow::Result<Run> {
        self.require_session(db).await?;
        let liveness = self.settings.liveness();
        let server = db.get_postgres_connection_pool().connect_options();
        let lock =
            MigrationLock::acquire(&server, &self.project, self.settings.lock_timeout, liveness)
                .await?;
        let session = match Session::open(&server, &self.settings, self.project.application).await {
            Ok(session) => session,
            Err(err) => {
                lock.release().await.ok();
                return Err(err);
            }
        };
        let run = Run { session, lock };
        // A run that lost its server while pg_restore worked could not end pg_restore's
        // transaction; the server may keep it (and its locks) after the run's lock is gone,
        // since the dump's own SETs turn its idle limits off. This run holds the lock now, so
        // such a session is an orphan: ended before anything else.
        let orphan = child::application(self.project.application, "pg_restore");
        match child::end_sessions(&run.session, &orphan).await {
            Ok(0) => Ok(run),
            Ok(n) => {
                tracing::warn!(
                    "ended {n} pg_restore session(s) a lost restore had left holding locks"
                );
                Ok(run)
            }
            Err(err) => run.finish(Err(err)).await,
        }
    }
}

/// One migrator run: the session its migrations use, and the lock that makes it the only one.
pub(crate) struct Run {
    pub(crate) session: Session,
    pub(crate) lock: MigrationLock,
}

impl Run {
    /// Closes the session and releases the lock, then returns the result. After a lost
    /// server it closes nothing: that would wait on the silent server, which ends both
    /// sessions by itself within the bound.
    pub(crate) async fn finish<T>(self, result: anyhow::Result<T>) -> anyhow::Result<T> {
        if result.as_ref().err().is_some_and(dbconn::liveness::is_lost) {
            return result;
        }
        self.session.close().await;
        let released = self.lock.release().await;
        let value = result?;
        released?;
        Ok(value)
    }
}

/// What [`Tracker`] keeps of `known` while it runs.
fn in_flight(known: &Known, up: bool) -> InFlight {
    InFlight {
        name: known.migration.name().to_owned(),
        up,
        transactional: apply::transactional(known.migration.as_ref()),
    }
}
