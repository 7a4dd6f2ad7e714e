//! The bench's chart: each per-user hot path's p95, typical user against largest tenant, as SVG.

use std::path::Path;

use anyhow::Context;
use plotters::coord::Shift;
use plotters::coord::combinators::{IntoLogRange, LogCoord};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One hot path's p95 at one scale, for a typical user and for the largest tenant.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub path: String,
    pub scale: u64,
    pub typical_ms: f64,
    pub largest_ms: f64,
    pub target_ms: Option<f64>,
}

/// The chart's title in the report.
pub const TITLE: &str = "p95 of each per-user hot path: a typical user against the largest tenant";

const TYPICAL: RGBColor = RGBColor(0x1F, 0x77, 0xB4);
const LARGEST: RGBColor = RGBColor(0xE4, 0x6C, 0x0A);
const TARGET: RGBColor = RGBColor(0x33, 0x33, 0x33);
const FONT: &str = "sans-serif";
/// SVG text is written at 1/1.24 of plotters' size: these give 12 px labels, 16 px captions.
const LABEL: u32 = 15;
const CAPTION: u32 = 20;
const PANEL: (u32, u32) = (480, 320);
const HEADER: u32 = 72;
const COLUMNS: usize = 2;
/// The y axis always covers this much (values run from 0.05 ms to 500 ms), so every panel
/// and every run share one scale.
const SPAN: (f64, f64) = (0.05, 500.0);

/// The SVG document: one panel per hot path with a bar per scale for the typical user and
/// for the largest tenant, on a log scale in milliseconds, the target as a dashed line, a
/// legend. With no points, a note saying so.
pub fn render(points: &[Point], title: &str) -> anyhow::Result<String> {
    let paths = paths(points);
    // A lone path gets the whole width; the title needs most of it.
    let columns = paths.len().clamp(1, COLUMNS);
    let rows = paths.len().div_ceil(columns);
    let size = (
        PANEL.0 * COLUMNS as u32,
        HEADER + (PANEL.1 * rows as u32).max(40),
    );
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)?;
        let (header, body) = root.split_vertically(HEADER);
        draw_header(&header, title, !points.is_empty())?;
        if points.is_empty() {
            body.draw(&Text::new(
                "No per-user hot path was measured in this run.",
                (16, 0),
                (FONT, LABEL).into_font().color(&TARGET),
            ))?;
        } else {
            let scales = scales(points);
            let range = y_range(points);
            for (area, path) in body.split_evenly((rows, columns)).iter().zip(&paths) {
                draw_panel(area, path, &scales, points, range)
                    .with_context(|| format!("draw the panel of {path}"))?;
            }
        }
        root.present()?;
    }
    Ok(svg)
}

/// Writes the chart of `points` to `path`.
pub fn write(points: &[Point], path: &Path) -> anyhow::Result<()> {
    let svg = render(points, TITLE)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    }
    std::fs::write(path, svg).with_context(|| format!("write {}", path.display()))?;
    eprintln!("bench: wrote {}", path.display());
    Ok(())
}

/// The hot paths in the order they were first measured.
fn paths(points: &[Point]) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    for p in points {
        if !paths.contains(&p.path) {
            paths.push(p.path.clone());
        }
    }
    paths
}

/// Every scale measured, smallest first.
fn scales(points: &[Point]) -> Vec<u64> {
    let mut scales: Vec<u64> = points.iter().map(|p| p.scale).collect();
    scales.sort_unstable();
    scales.dedup();
    scales
}

/// Whole decades around `SPAN` and every value and target.
fn y_range(points: &[Point]) -> (f64, f64) {
    let values = points
        .iter()
        .flat_map(|p| [Some(p.typical_ms), Some(p.largest_ms), p.target_ms])
        .flatten()
        .filter(|v| v.is_finite() && *v > 0.0);
    let (lo, hi) = values.fold(SPAN, |(lo, hi), v| (lo.min(v), hi.max(v)));
    (
        10f64.powf(lo.log10().floor()),
        // Room above the highest bar for its label.
        10f64.powf((hi * 1.5).log10().ceil()),
    )
}

/// The title and, when there is a chart, its legend.
fn draw_header(
    area: &DrawingArea<SVGBackend, Shift>,
    title: &str,
    legend: bool,
) -> anyhow::Result<()> {
    area.draw(&Text::new(title, (16, 12), (FONT, CAPTION).into_font()))?;
    if !legend {
        return Ok(());
    }
    let text = |s: &'static str, x: i32| Text::new(s, (x + 20, 44), (FONT, LABEL).into_font());
    for (color, label, x) in [
        (TYPICAL, "typical user", 16),
        (LARGEST, "largest tenant", 150),
    ] {
        area.draw(&Rectangle::new([(x, 42), (x + 14, 56)], color.filled()))?;
        area.draw(&text(label, x))?;
    }
    for dash in 0..3 {
        let x = 300 + dash * 6;
        area.draw(&PathElement::new(
            [(x, 49), (x + 4, 49)],
            TARGET.stroke_width(2),
        ))?;
    }
    area.draw(&text("target", 300))?;
    Ok(())
}

/// One hot path: a pair of bars per scale, the target across them.
fn draw_panel(
    area: &DrawingArea<SVGBackend, Shift>,
    path: &str,
    scales: &[u64],
    points: &[Point],
    (lo, hi): (f64, f64),
) -> anyhow::Result<()> {
    let n = scales.len() as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(path, (FONT, LABEL + 3))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(Slots(scales.len()), y_axis(lo, hi))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(BLACK.mix(0.12))
        .y_labels(12)
        .x_label_formatter(&|x| scale_label(scales, *x))
        .y_label_formatter(&|v| axis_label(*v))
        .x_desc("users")
        .y_desc("p95, ms (log scale)")
        .label_style((FONT, LABEL))
        .draw()?;
    // First, so the bars and their labels are drawn over the line.
    let target = points
        .iter()
        .filter(|p| p.path == path)
        .find_map(|p| p.target_ms);
    if let Some(target) = target.filter(|t| t.is_finite() && *t > 0.0) {
        draw_target(&mut chart, n, target.clamp(lo, hi))?;
    }
    for (i, scale) in scales.iter().enumerate() {
        let Some(p) = points.iter().find(|p| p.path == path && p.scale == *scale) else {
            continue;
        };
        let x = i as f64;
        for (value, color, from, to) in [
            (p.typical_ms, TYPICAL, x + 0.1, x + 0.48),
            (p.largest_ms, LARGEST, x + 0.52, x + 0.9),
        ] {
            let top = if value.is_finite() {
                value.clamp(lo, hi)
            } else {
                lo
            };
            chart.draw_series([Rectangle::new([(from, lo), (to, top)], color.filled())])?;
            let label = Text::new(value_label(value), ((from + to) / 2.0, top), bar_label());
            chart.draw_series([label])?;
        }
    }
    Ok(())
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Slots, LogCoord<f64>>>;

/// The x axis: a slot per scale, `i..i + 1`, with its tick (the scale) in the middle.
struct Slots(usize);

impl Ranged for Slots {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, (from, to): (i32, i32)) -> i32 {
        let share = value / self.0.max(1) as f64;
        from + (share * f64::from(to - from)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        (0..self.0).map(|i| i as f64 + 0.5).collect()
    }

    fn range(&self) -> std::ops::Range<f64> {
        0.0..self.0 as f64
    }
}

/// The log axis from `lo` to `hi`, widened by a hair so that rounding keeps both decades' ticks.
fn y_axis(lo: f64, hi: f64) -> LogCoord<f64> {
    (lo * 0.999..hi * 1.001).log_scale().into()
}

/// The target as a dashed line across the panel, labelled at its left end, above the
/// typical user's bar at the smallest scale (usually the lowest).
fn draw_target(chart: &mut Chart, n: f64, target: f64) -> anyhow::Result<()> {
    let line = [(0.0, target), (n, target)];
    chart.draw_series(DashedLineSeries::new(line, 6, 4, TARGET.stroke_width(2)))?;
    let style = (FONT, LABEL - 2)
        .into_font()
        .color(&TARGET)
        .pos(Pos::new(HPos::Left, VPos::Bottom));
    let label = format!("target {} ms", value_label(target));
    chart.draw_series([Text::new(label, (0.02, target), style)])?;
    Ok(())
}

fn bar_label() -> TextStyle<'static> {
    (FONT, LABEL - 2)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Bottom))
}

/// The scale under the pair of bars at `x`.
fn scale_label(scales: &[u64], x: f64) -> String {
    let i = (x.max(0.0).floor() as usize).min(scales.len().saturating_sub(1));
    scales.get(i).map(u64::to_string).unwrap_or_default()
}

/// An axis tick: a decade, with the float noise of `10^-2` rounded away.
fn axis_label(v: f64) -> String {
    format!("{}", (v * 1e6).round() / 1e6)
}

/// A bar's value, with two or three significant digits.
fn value_label(v: f64) -> String {
    match v {
        v if !v.is_finite() => "n/a".to_owned(),
        v if v >= 10.0 => format!("{v:.0}"),
        v if v >= 1.0 => format!("{v:.1}"),
        v if v >= 0.01 => format!("{v:.2}"),
        v => format!("{v:.3}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Point> {
        let point = |path: &str, scale, typical_ms, largest_ms, target_ms| Point {
            path: path.to_owned(),
            scale,
            typical_ms,
            largest_ms,
            target_ms,
        };
        vec![
            point("conversation list", 5000, 0.08, 2.4, Some(50.0)),
            point("conversation list", 20000, 0.11, 9.7, Some(50.0)),
            point("message page", 5000, 0.35, 41.0, None),
            point("message page", 20000, 0.52, 480.0, None),
        ]
    }

    /// The text of every `<text>` element.
    fn texts(svg: &str) -> Vec<&str> {
        svg.split("<text")
            .skip(1)
            .filter_map(|e| e.split_once('>'))
            .filter_map(|(_, rest)| rest.split_once("</text>"))
            .map(|(text, _)| text.trim())
            .collect()
    }

    /// The SVG elements (`<rect ...`) filled with `color`.
    fn filled(svg: &str, element: &str, color: RGBColor) -> usize {
        let fill = format!("fill=\"#{:02X}{:02X}{:02X}\"", color.0, color.1, color.2);
        svg.split('<')
            .filter(|e| e.starts_with(element) && e.contains(&fill))
            .count()
    }

    #[test]
    fn two_paths_at_two_scales_draw_a_bar_per_value() {
        let svg = render(&sample(), TITLE).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(svg.trim_end().ends_with("</svg>"));
        let texts = texts(&svg);
        for text in [
            "conversation list",
            "message page",
            "5000",
            "20000",
            "typical user",
        ] {
            assert!(texts.contains(&text), "no text {text} in {texts:?}");
        }
        // Four bars each, and one legend swatch.
        assert_eq!(filled(&svg, "rect", TYPICAL), 5);
        assert_eq!(filled(&svg, "rect", LARGEST), 5);
        // The target only where given, labelled once.
        assert_eq!(texts.iter().filter(|t| t.starts_with("target ")).count(), 1);
        assert!(texts.contains(&"target 50 ms"));
        for value in ["0.08", "2.4", "0.11", "9.7", "0.35", "41", "0.52", "480"] {
            assert!(texts.contains(&value), "no bar label {value}");
        }
        // Every decade of the axis is labelled, the lowest and highest too.
        for tick in ["0.01", "0.1", "1", "10", "100", "1000"] {
            assert!(texts.contains(&tick), "no tick {tick}");
        }
    }

    #[test]
    fn no_points_give_a_note() {
        let svg = render(&[], TITLE).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(texts(&svg).contains(&"No per-user hot path was measured in this run."));
        assert_eq!(filled(&svg, "rect", TYPICAL), 0);
    }

    #[test]
    fn the_axis_covers_every_value_in_whole_decades() {
        assert_eq!(y_range(&sample()), (0.01, 1000.0));
        let mut slow = sample();
        slow[0].largest_ms = 2500.0;
        slow[1].typical_ms = 0.002;
        assert_eq!(y_range(&slow), (0.001, 10000.0));
        assert_eq!(axis_label(10f64.powf(-2.0)), "0.01");
    }

    /// Writes the sample chart and the empty one to /tmp, to look at:
    /// `cargo test -p xtask plot::tests::sample_svg -- --ignored`.
    #[test]
    #[ignore]
    fn sample_svg() {
        write(&sample(), Path::new("/tmp/plot-sample.svg")).unwrap();
        write(&[], Path::new("/tmp/plot-empty.svg")).unwrap();
    }
}
