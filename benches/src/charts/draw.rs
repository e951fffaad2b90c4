//! Layout and drawing of the two charts: a title, a legend, then a grid of panels, one per scenario, each with its
//! own axis (scenarios differ by orders of magnitude). 1000 units wide, two columns, so the text stays readable
//! when a Markdown viewer scales the image to its column.

use super::svg::{self, Font, Scale, Svg};
use super::{Latency, Palette, Throughput, summary};

const WIDTH: f64 = 1000.0;
const COLUMNS: usize = 2;
const MARGIN: f64 = 20.0;
const GAP: f64 = 16.0;
/// One system in a panel: its label line, then its bar.
const ROW: f64 = 36.0;
/// A panel's title line above its first row, and its tick labels below the last.
const PANEL_TOP: f64 = 38.0;
const PANEL_BOTTOM: f64 = 34.0;
/// Inner padding, left and right, of a panel's title; its plot is inset further, so that the tick labels at its
/// ends stay inside the frame.
const PAD: f64 = 14.0;
const INSET: f64 = 26.0;
const LABEL: f64 = 12.5;
const INK: &str = "#1f2328";
const MUTED: &str = "#57606a";
const GRID: &str = "#dde1e6";
const MINOR: &str = "#eef0f3";
const FRAME: &str = "#d0d7de";
/// Tick labels, centred under their grid line.
const TICK: Font = Font::new(11.0, MUTED).middle();

/// Where a panel goes: left, top, width, height.
type Slot = (f64, f64, f64, f64);

/// The header (title, subtitle, legend) and a slot for each panel of the given number of rows.
fn page(title: &str, subtitle: &str, legend: &[(&'static str, String)], rows: &[usize]) -> (Svg, Vec<Slot>) {
    // Legend entries flow left to right: a swatch, the name, a gap.
    let lines: Vec<&str> = subtitle.lines().collect();
    let mut entries = Vec::new();
    let (mut x, mut y) = (MARGIN, 72.0 + 18.0 * lines.len() as f64);
    for (colour, name) in legend {
        let w = 20.0 + svg::text_width(name, 13.0, false) + 22.0;
        if x + w > WIDTH - MARGIN && x > MARGIN {
            (x, y) = (MARGIN, y + 22.0);
        }
        entries.push((x, y, *colour, name));
        x += w;
    }
    let mut top = y + 26.0;
    let panel_w = (WIDTH - 2.0 * MARGIN - (COLUMNS - 1) as f64 * GAP) / COLUMNS as f64;
    let mut slots = Vec::new();
    for chunk in rows.chunks(COLUMNS) {
        let h = PANEL_TOP + *chunk.iter().max().unwrap_or(&1) as f64 * ROW + PANEL_BOTTOM;
        for i in 0..chunk.len() {
            slots.push((MARGIN + i as f64 * (panel_w + GAP), top, panel_w, h));
        }
        top += h + GAP;
    }
    let mut doc = Svg::new(WIDTH, top - GAP + MARGIN);
    doc.text(MARGIN, 38.0, Font::new(22.0, INK).bold(), title);
    for (i, line) in lines.iter().enumerate() {
        doc.text(MARGIN, 62.0 + 18.0 * i as f64, Font::new(13.0, MUTED), line);
    }
    for (x, y, colour, name) in entries {
        doc.rect((x, y - 11.0, 14.0, 14.0), colour);
        doc.text(x + 20.0, y, Font::new(13.0, INK), name);
    }
    (doc, slots)
}

/// A panel's frame and title line; returns the plot's left and right edges and its first row's top.
fn frame(doc: &mut Svg, (x, y, w, h): Slot, title: &str, note: &str, unit: &str) -> (f64, f64, f64) {
    doc.rect_outlined((x, y, w, h), "#ffffff", 1.0, FRAME);
    doc.text(x + PAD, y + 24.0, Font::new(15.0, INK).bold(), title);
    let after = x + PAD + svg::text_width(title, 15.0, true) + 10.0;
    let room = x + w - PAD - svg::text_width(unit, 12.0, false) - 12.0 - after;
    doc.text(after, y + 24.0, Font::new(fitted(note, 12.0, room), MUTED), note);
    doc.text(x + w - PAD, y + 24.0, Font::new(12.0, MUTED).end(), unit);
    (x + INSET, x + w - INSET, y + PANEL_TOP)
}

/// A font size at most `size` (and at least 9) at which `text` fits into `room`.
fn fitted(text: &str, size: f64, room: f64) -> f64 {
    let w = svg::text_width(text, size, false);
    if w <= room { size } else { (size * room / w).max(9.0) }
}

/// A row's label on the left and its figures on the right, the label shrunk if both would not fit.
fn row_labels(doc: &mut Svg, (left, right): (f64, f64), y: f64, label: &str, figures: &str) {
    doc.text(right, y, Font::new(12.0, INK).end(), figures);
    let room = right - left - svg::text_width(figures, 12.0, false) - 10.0;
    doc.text(left, y, Font::new(fitted(label, LABEL, room), INK), label);
}

/// `calls.svg`: per panel, one bar per system at its median over repetitions, a whisker over min–max.
pub fn throughput(panels: &[Throughput], palette: &Palette, subtitle: &str) -> String {
    bars("Throughput per scenario and system", panels, palette, subtitle)
}

/// A chart of bar panels under `title` (`calls.svg`, `scale.svg`): per panel, one bar per label at its median over
/// repetitions, a whisker over min–max.
pub fn bars(title: &str, panels: &[Throughput], palette: &Palette, subtitle: &str) -> String {
    let legend = legend(panels.iter().flat_map(|p| p.bars.iter().map(|b| b.system.as_str())), palette);
    let rows: Vec<usize> = panels.iter().map(|p| p.bars.len()).collect();
    let (mut doc, slots) = page(title, subtitle, &legend, &rows);
    for (panel, slot) in panels.iter().zip(slots) {
        let (left, right, top) = frame(&mut doc, slot, &panel.title, &panel.note, panel.unit);
        let stats: Vec<_> = panel.bars.iter().map(|b| summary(&b.runs)).collect();
        let max = stats.iter().flatten().map(|s| s.max).fold(0.0, f64::max);
        let ticks = svg::linear_ticks(max, 4);
        let scale = Scale { lo: 0.0, hi: *ticks.last().unwrap_or(&1.0), from: left, to: right, log: false };
        let bottom = top + panel.bars.len() as f64 * ROW;
        for &t in &ticks {
            let x = scale.map(t);
            doc.line((x, top + 14.0), (x, bottom + 2.0), GRID, 1.0);
            doc.text(x, bottom + 18.0, TICK, &svg::si(t));
        }
        for (i, (bar, stat)) in panel.bars.iter().zip(&stats).enumerate() {
            let y = top + i as f64 * ROW;
            let Some(s) = stat else {
                row_labels(&mut doc, (left, right), y + 12.0, &bar.system, "no data");
                continue;
            };
            row_labels(&mut doc, (left, right), y + 12.0, &bar.system, &svg::si(s.median));
            doc.open(&format!(
                "{}: median {:.0} {}, min {:.0}, max {:.0} over {} repetition(s)",
                bar.system, s.median, panel.unit, s.min, s.max, s.count
            ));
            let (bar_y, bar_h) = (y + 16.0, 14.0);
            doc.rect((left, bar_y, scale.map(s.median) - left, bar_h), palette.colour(&bar.system));
            if s.count > 1 {
                let (x0, x1, mid) = (scale.map(s.min), scale.map(s.max), bar_y + bar_h / 2.0);
                doc.line((x0, mid), (x1, mid), INK, 1.5);
                doc.line((x0, mid - 5.0), (x0, mid + 5.0), INK, 1.5);
                doc.line((x1, mid - 5.0), (x1, mid + 5.0), INK, 1.5);
            }
            doc.close();
        }
    }
    doc.finish()
}

/// `latency.svg`: per panel, one range per system from p50 to p99 (medians over repetitions), a dot at p50, on a
/// log time axis.
pub fn latency(panels: &[Latency], palette: &Palette, subtitle: &str) -> String {
    let legend = legend(panels.iter().flat_map(|p| p.rows.iter().map(|r| r.system.as_str())), palette);
    let rows: Vec<usize> = panels.iter().map(|p| p.rows.len()).collect();
    let title = "Latency per scenario and system";
    let (mut doc, slots) = page(title, subtitle, &legend, &rows);
    for (panel, slot) in panels.iter().zip(slots) {
        let (left, right, top) = frame(&mut doc, slot, &panel.title, &panel.note, "µs, log scale");
        let figures: Vec<Option<(f64, f64)>> = panel
            .rows
            .iter()
            .map(|r| match (summary(&r.p50), summary(&r.p99)) {
                (Some(a), Some(b)) if a.median > 0.0 && b.median > 0.0 => Some((a.median, b.median.max(a.median))),
                _ => None,
            })
            .collect();
        let lo = figures.iter().flatten().map(|f| f.0).fold(f64::INFINITY, f64::min);
        let hi = figures.iter().flatten().map(|f| f.1).fold(0.0, f64::max);
        let axis = svg::log_axis(lo, hi);
        let scale = Scale { lo: axis.lo, hi: axis.hi, from: left, to: right, log: true };
        let bottom = top + panel.rows.len() as f64 * ROW;
        for &t in &axis.minor {
            doc.line((scale.map(t), top + 14.0), (scale.map(t), bottom + 2.0), MINOR, 1.0);
        }
        for &t in &axis.labelled {
            let x = scale.map(t);
            doc.line((x, top + 14.0), (x, bottom + 2.0), GRID, 1.0);
            doc.text(x, bottom + 18.0, TICK, &svg::micros(t));
        }
        for (i, (row, fig)) in panel.rows.iter().zip(&figures).enumerate() {
            let y = top + i as f64 * ROW;
            let Some((p50, p99)) = *fig else {
                row_labels(&mut doc, (left, right), y + 12.0, &row.system, "no data");
                continue;
            };
            let shown = format!("p50 {} · p99 {}", svg::micros(p50), svg::micros(p99));
            row_labels(&mut doc, (left, right), y + 12.0, &row.system, &shown);
            doc.open(&format!(
                "{}: p50 {:.1} µs, p99 {:.1} µs (medians over {} repetition(s))",
                row.system,
                p50,
                p99,
                row.p50.len()
            ));
            let colour = palette.colour(&row.system);
            let (x50, x99, mid) = (scale.map(p50), scale.map(p99), y + 23.0);
            doc.rect_outlined((x50, mid - 6.0, (x99 - x50).max(1.0), 12.0), colour, 0.3, colour);
            doc.line((x99, mid - 8.0), (x99, mid + 8.0), colour, 2.5);
            doc.circle(x50, mid, 5.5, colour, "#ffffff");
            doc.close();
        }
    }
    doc.finish()
}

/// The legend of a chart: one entry per colour, in order of first appearance, naming every system drawn in it
/// (the labels that are plain remotes over TCP share remotes' blue, so they share its entry).
pub(super) fn legend<'a>(names: impl Iterator<Item = &'a str>, palette: &Palette) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, Vec<&str>)> = Vec::new();
    for name in names {
        let colour = palette.colour(name);
        match out.iter_mut().find(|e| e.0 == colour) {
            Some(entry) if entry.1.contains(&name) => {}
            Some(entry) => entry.1.push(name),
            None => out.push((colour, vec![name])),
        }
    }
    out.into_iter().map(|(colour, names)| (colour, names.join(" / "))).collect()
}
