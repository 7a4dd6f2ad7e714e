//! `cargo xtask bench`: each speed figure next to its physical floor, in one run, on a
//! throwaway embedded server (the dev database is never touched).
//!
//! Figures independent of scale: migrate (the `migration` binary against `psql -1 -f` of the
//! same schema's dump), the counters' deadlocks under sixteen unrelated writers (before and
//! after they were folded at commit), a fleet rollout eight at a time against one at a time,
//! and the smoke suite's wall time. At each scale of `--scale` (a list): load seeding (the `seed` binary
//! against a server-side `COPY FROM` of the same rows, plus the seeder's peak memory), the
//! critical queries, full-text search for a common and a rare word, RAG retrieval with its
//! recall@10, writers' latency during `verify --deep`, while an index is built online and the
//! naive way, and while phase 6 is applied to the loaded database. The result is printed and
//! written to docs/benchmarks.md (quick mode: target/bench/benchmarks-quick.md), with a chart
//! of the per-user hot paths' p95 across the scales beside it, docs/benchmarks.svg
//! (target/bench/benchmarks.svg; `plot.rs`).

mod counters;
mod deep;
mod fleet;
mod hot_paths;
mod machine;
mod migrate;
mod plot;
mod queries;
mod rls;
mod search;
mod seeding;
mod smoke;
mod traffic;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use devdb::embedded::Throwaway;
use xshell::cmd;

use crate::flags::BenchArgs;
use crate::shell::clean_cargo_env;

/// The scale of `--quick`: enough rows to run every figure, few enough for CI.
const QUICK_SCALE: u64 = 20;

/// One line of the report.
#[derive(Clone)]
pub struct Figure {
    pub name: String,
    pub value: String,
    pub floor: String,
    pub ratio: String,
    pub target: String,
    /// A per-user hot path's p95 to draw: (path, typical user's ms, largest tenant's ms,
    /// target ms). The scale is the section's.
    pub point: Option<(String, f64, f64, Option<f64>)>,
}

impl Figure {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Figure {
        Figure {
            name: name.into(),
            value: value.into(),
            floor: String::new(),
            ratio: String::new(),
            target: String::new(),
            point: None,
        }
    }

    /// Marks the figure as a point of the drawing: `path`'s p95 for a typical user and for
    /// the largest tenant, against `target`.
    pub fn plot(
        mut self,
        path: &str,
        typical: Duration,
        largest: Duration,
        target: Duration,
    ) -> Figure {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        self.point = Some((path.to_owned(), ms(typical), ms(largest), Some(ms(target))));
        self
    }

    pub fn floor(mut self, floor: impl Into<String>) -> Figure {
        self.floor = floor.into();
        self
    }

    pub fn ratio(mut self, ratio: impl Into<String>) -> Figure {
        self.ratio = ratio.into();
        self
    }

    /// The target and whether this run met it.
    pub fn target(mut self, target: &str, met: bool) -> Figure {
        self.target = format!("{target} ({})", if met { "met" } else { "missed" });
        self
    }
}

/// The figures of one part of the report: those independent of scale, or one scale's.
pub struct Section {
    pub heading: String,
    /// The scale of a scale's section.
    pub scale: Option<u64>,
    pub figures: Vec<Figure>,
}

/// The chart's points: every plotted figure of every scale's section.
fn points(sections: &[Section]) -> Vec<plot::Point> {
    let mut points = Vec::new();
    for section in sections {
        let Some(scale) = section.scale else { continue };
        for (path, typical_ms, largest_ms, target_ms) in
            section.figures.iter().filter_map(|f| f.point.clone())
        {
            points.push(plot::Point {
                path,
                scale,
                typical_ms,
                largest_ms,
                target_ms,
            });
        }
    }
    points
}

/// What every figure needs: the server, where its tools are, where our binaries are.
pub struct Bench {
    pub server: Throwaway,
    pub pg_bin: PathBuf,
    pub bin_dir: PathBuf,
    pub work: PathBuf,
    /// The scale being measured (users of the load profile).
    pub scale: u64,
    pub reps: u32,
    pub quick: bool,
}

impl Bench {
    /// A fresh, empty database on the bench server, replacing one of the same name. It lives
    /// as long as the server, which the bench throws away whole.
    pub async fn fresh_database(&self, name: &str) -> anyhow::Result<String> {
        devdb::databases::recreate(self.server.admin_url(), name).await
    }

    pub fn binary(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    pub fn pg_tool(&self, name: &str) -> PathBuf {
        self.pg_bin.join(name)
    }

    /// Where the report and its chart go: docs/, or target/bench/ in quick mode.
    fn outputs(&self) -> (PathBuf, PathBuf) {
        if self.quick {
            let work = &self.work;
            (
                work.join("benchmarks-quick.md"),
                work.join("benchmarks.svg"),
            )
        } else {
            let docs = devdb::workspace_root().join("docs");
            (docs.join("benchmarks.md"), docs.join("benchmarks.svg"))
        }
    }

    /// Applies every migration with the `migration` binary, as a deploy does.
    pub fn migrate(&self, url: &str) -> anyhow::Result<Duration> {
        let sh = xshell::Shell::new()?;
        let migration = self.binary("migration");
        let started = std::time::Instant::now();
        cmd!(sh, "{migration} up")
            .env("DATABASE_URL", url)
            .quiet()
            .ignore_stdout()
            .run()
            .context("run the migration binary")?;
        Ok(started.elapsed())
    }
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let (scales, reps) = if args.quick {
        (vec![QUICK_SCALE], 1)
    } else {
        let scales = args.scale.iter().map(|s| (*s).max(1)).collect();
        (scales, args.reps.max(1))
    };
    let bin_dir = build_binaries()?;
    let work = devdb::workspace_root().join("target/bench");
    std::fs::create_dir_all(&work).context("create target/bench")?;
    let server = Throwaway::start("bench")?;
    let mut bench = Bench {
        pg_bin: server.bindir()?,
        server,
        bin_dir,
        work,
        scale: scales[0],
        reps,
        quick: args.quick,
    };
    eprintln!(
        "bench: scale {scales:?} ({}), {reps} repetition(s), on a throwaway embedded server",
        if args.quick { "quick" } else { "full" }
    );
    let (out, chart) = bench.outputs();
    let machine = machine::describe(&bench).await?;
    let mut sections = Vec::new();
    let mut general = migrate::run(&bench).await.context("migrate figure")?;
    general.extend(counters::run(&bench).await.context("counters figure")?);
    for &scale in &scales {
        bench.scale = scale;
        eprintln!("bench: measuring at scale {scale}");
        let figures = at_scale(&bench)
            .await
            .with_context(|| format!("scale {scale}"))?;
        sections.push(Section {
            heading: format!("Scale {scale} users"),
            scale: Some(scale),
            figures,
        });
        // Written after each scale, so a run stopped during a long scale keeps the others.
        write_reports(&out, &machine, &bench, &general, &sections)?;
    }
    if !bench.quick {
        // Eighty migrations and the whole smoke suite: too slow for --quick, which only keeps
        // the bench code working.
        general.extend(fleet::run(&bench).await.context("fleet figure")?);
        general.push(smoke::run().context("smoke figure")?);
    }
    for report in write_reports(&out, &machine, &bench, &general, &sections)? {
        println!("{report}");
    }
    plot::write(&points(&sections), &chart)
}

/// One report per scale, each with the figures independent of scale: the first scale's in
/// `out` (docs/benchmarks.md), every other's beside it in `benchmarks-scale-<N>.md`. Returns
/// them, for the caller to print once the run is over.
fn write_reports(
    out: &std::path::Path,
    machine: &str,
    bench: &Bench,
    general: &[Figure],
    sections: &[Section],
) -> anyhow::Result<Vec<String>> {
    let mut reports = Vec::with_capacity(sections.len());
    for (i, section) in sections.iter().enumerate() {
        let scale = section.scale.unwrap_or(bench.scale);
        let report = render(
            machine,
            bench,
            &[scale],
            general,
            std::slice::from_ref(section),
        );
        let path = if i == 0 {
            out.to_path_buf()
        } else {
            out.with_file_name(format!("benchmarks-scale-{scale}.md"))
        };
        write(&path, &report)?;
        reports.push(report);
    }
    Ok(reports)
}

fn write(out: &std::path::Path, report: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(out.parent().expect("parent"))?;
    std::fs::write(out, report).with_context(|| format!("write {}", out.display()))?;
    eprintln!("bench: wrote {}", out.display());
    Ok(())
}

/// The figures of one scale, on a load database seeded once for them all (and replaced by the
/// next scale's, so disk use stays that of one).
async fn at_scale(bench: &Bench) -> anyhow::Result<Vec<Figure>> {
    let mut figures = Vec::new();
    let load_url = bench.fresh_database("bench_load").await?;
    figures.extend(
        seeding::run(bench, &load_url)
            .await
            .context("seed figure")?,
    );
    figures.extend(
        queries::run(bench, &load_url)
            .await
            .context("query figures")?,
    );
    figures.extend(
        search::run(bench, &load_url)
            .await
            .context("search figures")?,
    );
    figures.extend(rls::run(bench, &load_url).await.context("rls figures")?);
    figures.extend(deep::run(&load_url).await.context("verify --deep figure")?);
    figures.extend(
        traffic::run(&load_url)
            .await
            .context("migration-under-traffic figure")?,
    );
    // Last: its backfill rewrites every message, which would weigh on the figures above.
    figures.extend(
        hot_paths::run(bench, &load_url)
            .await
            .context("phase 6 under traffic")?,
    );
    Ok(figures)
}

/// Builds the `migration` and `seed` binaries in xtask's own profile and returns their
/// directory, so a release bench measures release binaries.
fn build_binaries() -> anyhow::Result<PathBuf> {
    let sh = crate::shell::workspace_shell()?;
    let release = (!cfg!(debug_assertions)).then_some("--release");
    clean_cargo_env(cmd!(
        sh,
        "cargo build --locked {release...} -p migrator -p seed"
    ))
    .run()
    .context("build the migration and seed binaries")?;
    let exe = std::env::current_exe().context("locate xtask")?;
    Ok(exe.parent().context("xtask's directory")?.to_path_buf())
}

fn render(
    machine: &str,
    bench: &Bench,
    scales: &[u64],
    general: &[Figure],
    sections: &[Section],
) -> String {
    let mut out = String::from("# Benchmarks\n\n");
    out.push_str(
        "Written by `cargo xtask bench`; do not edit by hand. Each figure stands next to its \
         physical floor: the same work done by PostgreSQL's own tools with no code of ours in \
         between. All of it runs on a throwaway embedded server on disk, under \
         `target/devdb/tmp` (durability off: `fsync`, `synchronous_commit` and \
         `full_page_writes` are off for tool and floor alike).\n\n",
    );
    out.push_str(machine);
    let scales: Vec<String> = scales.iter().map(u64::to_string).collect();
    out.push_str(&format!(
        "\nScales: {} users; migrate repetitions: {} (median).\n",
        scales.join(", "),
        bench.reps
    ));
    let general = Section {
        heading: "Independent of scale".to_owned(),
        scale: None,
        figures: general.to_vec(),
    };
    for section in std::iter::once(&general).chain(sections) {
        out.push_str(&format!(
            "\n## {}\n\n| figure | measured | floor | ratio | target |\n|---|---|---|---|---|\n",
            section.heading
        ));
        for f in &section.figures {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                f.name, f.value, f.floor, f.ratio, f.target
            ));
        }
    }
    out
}

/// The `p`th percentile (0-100) of sorted samples.
pub fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) * p).div_ceil(100)]
}

pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    percentile(samples, 50)
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

pub fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_sample_at_or_above_the_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&samples, 50), Duration::from_millis(51));
        assert_eq!(percentile(&samples, 99), Duration::from_millis(100));
        assert_eq!(percentile(&samples[..1], 95), Duration::from_millis(1));
    }

    #[test]
    fn the_chart_takes_plotted_figures_of_scale_sections_only() {
        let plotted = |path: &str| {
            Figure::new(path, "").plot(
                path,
                Duration::from_micros(100),
                Duration::from_millis(2),
                Duration::from_millis(50),
            )
        };
        let sections = [
            Section {
                heading: "Independent of scale".to_owned(),
                scale: None,
                figures: vec![plotted("not a scale's")],
            },
            Section {
                heading: "Scale 5000 users".to_owned(),
                scale: Some(5000),
                figures: vec![Figure::new("not plotted", "1 ms"), plotted("message page")],
            },
        ];
        let points = points(&sections);
        assert_eq!(points.len(), 1);
        assert_eq!(
            (points[0].path.as_str(), points[0].scale),
            ("message page", 5000)
        );
        assert_eq!(points[0].target_ms, Some(50.0));
    }
}
