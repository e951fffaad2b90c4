//! Hand-written SVG for the benchmark charts (`charts.rs`): escaping, fixed number formatting, axis ticks, scales,
//! and a writer for the few elements the charts use (rect, line, circle, text). No dependency: a plotting crate
//! would bring far more than these two hundred lines, and plain text keeps the output byte-for-byte deterministic.

use std::fmt::Write as _;

/// The font of every text: whatever sans-serif the viewer has (no font is embedded or fetched).
const FONT: &str = "DejaVu Sans, Helvetica, Arial, sans-serif";

/// `s` escaped for SVG text and attribute values; characters XML 1.0 forbids are dropped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// A coordinate: one decimal at most, no trailing `.0`, never `-0`.
pub fn coord(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    let r = if r == 0.0 || !r.is_finite() { 0.0 } else { r };
    if r.fract() == 0.0 { format!("{r:.0}") } else { format!("{r:.1}") }
}

/// `x` with `digits` significant digits, trailing zeros after the point trimmed (`2.50` -> `2.5`).
fn significant(x: f64, digits: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return if x.is_nan() { "–".into() } else { "0".into() };
    }
    let decimals = (digits - 1 - x.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// A count or rate with an SI suffix and three significant digits: `950`, `45.7k`, `1.23M`.
pub fn si(x: f64) -> String {
    // Thresholds a hair below the unit, so 999,960 reads `1M` rather than `1000k`.
    for (unit, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] {
        if x.abs() >= unit * 0.9995 {
            return format!("{}{suffix}", significant(x / unit, 3));
        }
    }
    significant(x, 3)
}

/// A duration given in microseconds, with its unit and three significant digits: `12.3 µs`, `1.5 ms`, `2 s`.
pub fn micros(us: f64) -> String {
    for (unit, suffix) in [(1e6, "s"), (1e3, "ms")] {
        if us.abs() >= unit * 0.9995 {
            return format!("{} {suffix}", significant(us / unit, 3));
        }
    }
    format!("{} µs", significant(us, 3))
}

/// A round step (1, 2, 2.5 or 5 times a power of ten) that cuts `span` into about `target` parts.
pub fn nice_step(span: f64, target: usize) -> f64 {
    let raw = span / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let norm = raw / magnitude;
    let m = match norm {
        n if n <= 1.0 => 1.0,
        n if n <= 2.0 => 2.0,
        n if n <= 2.5 => 2.5,
        n if n <= 5.0 => 5.0,
        _ => 10.0,
    };
    m * magnitude
}

/// Ticks of a linear axis from 0: round steps up to the first one at or above `max` (0 and 1 without data).
pub fn linear_ticks(max: f64, target: usize) -> Vec<f64> {
    if !max.is_finite() || max <= 0.0 {
        return vec![0.0, 1.0];
    }
    let step = nice_step(max, target);
    let n = ((max / step) - 1e-9).ceil().max(1.0) as usize;
    // `i * step` on integers of the step's magnitude, so 3 x 0.1 prints as 0.3.
    (0..=n).map(|i| (i as f64 * step * 1e6).round() / 1e6).collect()
}

/// A log axis: its domain, labelled ticks, and unlabelled grid lines between them.
#[derive(Debug, PartialEq)]
pub struct LogAxis {
    pub lo: f64,
    pub hi: f64,
    pub labelled: Vec<f64>,
    pub minor: Vec<f64>,
}

/// A log axis over `[lo, hi]` (both > 0): bounds and ticks on 1-2-5 steps when that gives at most 8 ticks, else
/// whole decades labelled with grid lines at 2 and 5.
pub fn log_axis(lo: f64, hi: f64) -> LogAxis {
    let (lo, hi) = if lo > 0.0 && hi >= lo && hi.is_finite() { (lo, hi) } else { (1.0, 10.0) };
    let steps = |from: i32, to: i32| -> Vec<f64> {
        (from..=to).flat_map(|e| [1.0, 2.0, 5.0].map(|m| round_sig(m * 10f64.powi(e)))).collect()
    };
    let (d0, d1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let all = steps(d0, d1);
    let below = all.iter().copied().rfind(|&t| t <= lo * (1.0 + 1e-9)).unwrap_or(lo);
    let mut above = all.iter().copied().find(|&t| t >= hi * (1.0 - 1e-9)).unwrap_or(hi);
    if above <= below {
        above = all.iter().copied().find(|&t| t > below).unwrap_or(below * 2.0);
    }
    let fine: Vec<f64> = all.iter().copied().filter(|&t| t >= below && t <= above).collect();
    if fine.len() <= 8 {
        return LogAxis { lo: below, hi: above, labelled: fine, minor: Vec::new() };
    }
    let (lo, hi) = (10f64.powi(d0), 10f64.powi(d1.max(d0 + 1)));
    let ticks = steps(d0, d1.max(d0 + 1));
    let (labelled, minor) = ticks.into_iter().filter(|&t| t >= lo && t <= hi).partition(|&t| is_decade(t));
    LogAxis { lo, hi, labelled, minor }
}

fn round_sig(x: f64) -> f64 {
    significant(x, 3).parse().unwrap_or(x)
}

fn is_decade(x: f64) -> bool {
    let e = x.log10().round();
    (x / 10f64.powf(e) - 1.0).abs() < 1e-9
}

/// Maps a value in `[lo, hi]` onto `[from, to]` pixels, linearly or on a log scale.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub lo: f64,
    pub hi: f64,
    pub from: f64,
    pub to: f64,
    pub log: bool,
}

impl Scale {
    pub fn map(&self, v: f64) -> f64 {
        let t = if self.log {
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        self.from + t.clamp(0.0, 1.0) * (self.to - self.from)
    }
}

/// About how wide `text` is at `size` px (for layout only: which note fits beside a title, where a legend row
/// breaks), from rough advance widths of DejaVu Sans, the widest of the usual sans-serif fonts; bold is wider.
pub fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let em: f64 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 0.28,
            ' ' | 'f' | 't' | 'r' | '-' | '(' | ')' | '/' | '[' | ']' => 0.37,
            'm' | 'w' | 'M' | 'W' => 0.9,
            'A'..='Z' => 0.7,
            _ => 0.62,
        })
        .sum();
    em * size * if bold { 1.12 } else { 1.0 }
}

/// How a text is set: size in px, colour, anchor (`start`, `middle` or `end` of the text at its x), weight.
#[derive(Debug, Clone, Copy)]
pub struct Font {
    pub size: f64,
    pub fill: &'static str,
    pub anchor: &'static str,
    pub bold: bool,
}

impl Font {
    pub const fn new(size: f64, fill: &'static str) -> Font {
        Font { size, fill, anchor: "start", bold: false }
    }

    pub const fn bold(self) -> Font {
        Font { bold: true, ..self }
    }

    pub const fn middle(self) -> Font {
        Font { anchor: "middle", ..self }
    }

    pub const fn end(self) -> Font {
        Font { anchor: "end", ..self }
    }
}

/// A rectangle: left, top, width, height.
pub type Rect = (f64, f64, f64, f64);

/// An SVG document being written.
pub struct Svg {
    out: String,
}

impl Svg {
    /// A `width` x `height` document on a white background.
    pub fn new(width: f64, height: f64) -> Svg {
        let (w, h) = (coord(width), coord(height));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
             font-family=\"{FONT}\">"
        );
        let _ = writeln!(out, "<rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>");
        Svg { out }
    }

    pub fn rect(&mut self, (x, y, w, h): Rect, fill: &str) {
        let (x, y, w, h) = (coord(x), coord(y), coord(w.max(0.0)), coord(h.max(0.0)));
        let _ = writeln!(self.out, "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"{fill}\"/>");
    }

    /// A rectangle with an outline and a fill opacity (the range bars of the latency chart, panel frames).
    pub fn rect_outlined(&mut self, (x, y, w, h): Rect, fill: &str, opacity: f64, stroke: &str) {
        let (x, y, w, h) = (coord(x), coord(y), coord(w.max(0.0)), coord(h.max(0.0)));
        let _ = writeln!(
            self.out,
            "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"{fill}\" fill-opacity=\"{opacity:.2}\" \
             stroke=\"{stroke}\"/>"
        );
    }

    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str, width: f64) {
        let _ = writeln!(
            self.out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\" stroke-width=\"{}\"/>",
            coord(x1),
            coord(y1),
            coord(x2),
            coord(y2),
            coord(width)
        );
    }

    pub fn circle(&mut self, cx: f64, cy: f64, r: f64, fill: &str, stroke: &str) {
        let _ = writeln!(
            self.out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>",
            coord(cx),
            coord(cy),
            coord(r)
        );
    }

    /// Text at (`x`, `y`: its baseline).
    pub fn text(&mut self, x: f64, y: f64, font: Font, text: &str) {
        let Font { size, fill, anchor, bold } = font;
        let weight = if bold { " font-weight=\"bold\"" } else { "" };
        let _ = writeln!(
            self.out,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{anchor}\" fill=\"{fill}\"{weight}>{}</text>",
            coord(x),
            coord(y),
            coord(size),
            escape(text)
        );
    }

    /// Opens a group whose `title` viewers show on hover (the exact figures behind a bar).
    pub fn open(&mut self, title: &str) {
        let _ = writeln!(self.out, "<g><title>{}</title>", escape(title));
    }

    pub fn close(&mut self) {
        self.out.push_str("</g>\n");
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

/// Checks that `doc` is one well-formed element tree: tags balanced and properly nested, attribute values
/// quoted, no stray `<` or `&` in text. Not a full XML parser: enough for what `Svg` writes.
#[cfg(test)]
pub fn check_well_formed(doc: &str) -> Result<(), String> {
    let mut stack: Vec<&str> = Vec::new();
    let mut roots = 0;
    let mut rest = doc;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open])?;
        let after = &rest[open + 1..];
        let close = after.find('>').ok_or("unterminated tag")?;
        let tag = &after[..close];
        rest = &after[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            if stack.pop() != Some(name.trim()) {
                return Err(format!("</{name}> closes nothing open"));
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name = body.split_whitespace().next().ok_or("empty tag")?;
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':') {
            return Err(format!("bad tag name {name:?}"));
        }
        check_attributes(&body[name.len()..])?;
        if stack.is_empty() {
            roots += 1;
        }
        if !self_closing {
            stack.push(name);
        }
    }
    check_text(rest)?;
    match (stack.last(), roots) {
        (Some(open), _) => Err(format!("<{open}> never closed")),
        (None, 1) => Ok(()),
        (None, n) => Err(format!("{n} root elements")),
    }
}

#[cfg(test)]
fn check_text(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        let entity = &rest[at..rest[at..].find(';').map_or(rest.len(), |e| at + e + 1)];
        if !["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].contains(&entity) {
            return Err(format!("bad entity {entity:?}"));
        }
        rest = &rest[at + entity.len()..];
    }
    Ok(())
}

#[cfg(test)]
fn check_attributes(mut attrs: &str) -> Result<(), String> {
    loop {
        attrs = attrs.trim_start();
        if attrs.is_empty() {
            return Ok(());
        }
        let eq = attrs.find("=\"").ok_or_else(|| format!("unquoted attribute in {attrs:?}"))?;
        if attrs[..eq].contains(char::is_whitespace) {
            return Err(format!("attribute without a value in {attrs:?}"));
        }
        let value = &attrs[eq + 2..];
        let end = value.find('"').ok_or("unterminated attribute value")?;
        check_text(&value[..end])?;
        attrs = &value[end + 1..];
    }
}
