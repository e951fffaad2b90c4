//! The charts' pieces, without running a benchmark: number formatting, ticks, scales, escaping, colours, and
//! that a small input gives the same well-formed SVG every time.

use super::svg::{self, Font, Scale, Svg, check_well_formed};
use super::{Bar, Latency, Palette, Range, Summary, Throughput, draw, summary};

#[test]
fn escapes_markup_and_drops_control_characters() {
    assert_eq!(svg::escape("a<b> & \"c\" 'd'"), "a&lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;");
    assert_eq!(svg::escape("s->c\u{1}"), "s-&gt;c");
    assert_eq!(svg::escape("µs – ok"), "µs – ok");
}

#[test]
fn coordinates_have_one_decimal_and_no_negative_zero() {
    assert_eq!(svg::coord(12.0), "12");
    assert_eq!(svg::coord(12.34), "12.3");
    assert_eq!(svg::coord(12.96), "13");
    assert_eq!(svg::coord(-0.01), "0");
    assert_eq!(svg::coord(f64::NAN), "0");
}

#[test]
fn numbers_read_with_si_suffixes_and_time_units() {
    assert_eq!(svg::si(0.0), "0");
    assert_eq!(svg::si(950.0), "950");
    assert_eq!(svg::si(2.5), "2.5");
    assert_eq!(svg::si(45_678.0), "45.7k");
    assert_eq!(svg::si(250_000.0), "250k");
    assert_eq!(svg::si(1_234_567.0), "1.23M");
    assert_eq!(svg::si(999_960.0), "1M");
    assert_eq!(svg::si(f64::NAN), "–");
    assert_eq!(svg::micros(12.34), "12.3 µs");
    assert_eq!(svg::micros(0.5), "0.5 µs");
    assert_eq!(svg::micros(1500.0), "1.5 ms");
    assert_eq!(svg::micros(20_000.0), "20 ms");
    assert_eq!(svg::micros(2_000_000.0), "2 s");
}

#[test]
fn linear_ticks_are_round_and_cover_the_maximum() {
    assert_eq!(svg::nice_step(1000.0, 4), 250.0);
    assert_eq!(svg::nice_step(7.0, 4), 2.0);
    assert_eq!(svg::linear_ticks(1000.0, 4), vec![0.0, 250.0, 500.0, 750.0, 1000.0]);
    assert_eq!(svg::linear_ticks(1_230_000.0, 4), vec![0.0, 500_000.0, 1_000_000.0, 1_500_000.0]);
    assert_eq!(svg::linear_ticks(0.3, 3), vec![0.0, 0.1, 0.2, 0.3]);
    assert_eq!(svg::linear_ticks(0.0, 4), vec![0.0, 1.0]);
    assert_eq!(svg::linear_ticks(f64::NAN, 4), vec![0.0, 1.0]);
    for max in [1.0, 3.7, 42.0, 999.0, 12_345.0, 6_000_000.0] {
        let t = svg::linear_ticks(max, 4);
        assert!(*t.last().unwrap() >= max && t.len() <= 6, "{max}: {t:?}");
    }
}

#[test]
fn log_axes_use_1_2_5_steps_or_whole_decades() {
    let a = svg::log_axis(30.0, 80.0);
    assert_eq!((a.lo, a.hi), (20.0, 100.0));
    assert_eq!(a.labelled, vec![20.0, 50.0, 100.0]);
    assert!(a.minor.is_empty());
    let b = svg::log_axis(12.0, 2000.0);
    assert_eq!((b.lo, b.hi), (10.0, 2000.0));
    assert_eq!(b.labelled, vec![10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0]);
    let c = svg::log_axis(3.0, 40_000.0);
    assert_eq!((c.lo, c.hi), (1.0, 100_000.0));
    assert_eq!(c.labelled, vec![1.0, 10.0, 100.0, 1000.0, 10_000.0, 100_000.0]);
    assert_eq!(c.minor.len(), 10);
    // One value: a range around it; no data: a default decade.
    let d = svg::log_axis(100.0, 100.0);
    assert!(d.lo <= 100.0 && d.hi > 100.0);
    assert_eq!(svg::log_axis(f64::INFINITY, 0.0).lo, 1.0);
}

#[test]
fn scales_map_ends_and_middles() {
    let lin = Scale { lo: 0.0, hi: 200.0, from: 10.0, to: 110.0, log: false };
    assert_eq!((lin.map(0.0), lin.map(100.0), lin.map(200.0)), (10.0, 60.0, 110.0));
    assert_eq!(lin.map(400.0), 110.0);
    let log = Scale { lo: 1.0, hi: 100.0, from: 0.0, to: 200.0, log: true };
    assert!((log.map(10.0) - 100.0).abs() < 1e-9);
    assert_eq!((log.map(1.0), log.map(100.0)), (0.0, 200.0));
}

#[test]
fn summaries_skip_failed_repetitions() {
    assert_eq!(summary(&[3.0, 1.0, 2.0]), Some(Summary { median: 2.0, min: 1.0, max: 3.0, count: 3 }));
    assert_eq!(summary(&[f64::NAN, 4.0]), Some(Summary { median: 4.0, min: 4.0, max: 4.0, count: 1 }));
    assert_eq!(summary(&[f64::NAN]), None);
    assert_eq!(summary(&[]), None);
}

#[test]
fn colours_are_fixed_per_system() {
    let p = Palette::new(["remotes", "hand-written", "remotes-ws", "x", "remotes", "y", "x"]);
    assert_eq!(p.colour("remotes"), "#1f5fa8");
    assert_eq!(p.colour("remotes-tcp"), p.colour("remotes"));
    assert_ne!(p.colour("remotes-ws"), p.colour("remotes"));
    assert_ne!(p.colour("hand-written+yield"), p.colour("hand-written"));
    // Labels the suite does not know: the next spare colour each, in order of appearance.
    assert_eq!((p.colour("x"), p.colour("y")), ("#bcbd22", "#444444"));
    assert_eq!(p.colour("never seen"), "#7f7f7f");
    // The same known colours whatever else a run had.
    assert_eq!(Palette::new(["tarpc"]).colour("remotes-ws"), p.colour("remotes-ws"));
}

#[test]
fn the_legend_has_one_entry_per_colour() {
    let names = ["remotes", "remotes-tcp", "hand-written", "remotes", "remotes-ws"];
    let legend = draw::legend(names.into_iter(), &Palette::new(names));
    let entries: Vec<(&str, &str)> = legend.iter().map(|(c, n)| (*c, n.as_str())).collect();
    assert_eq!(
        entries,
        vec![("#1f5fa8", "remotes / remotes-tcp"), ("#e6550d", "hand-written"), ("#17becf", "remotes-ws")]
    );
}

#[test]
fn the_checker_rejects_broken_documents() {
    assert!(check_well_formed("<svg><g></g><rect x=\"1\"/></svg>").is_ok());
    assert!(check_well_formed("<svg><g></svg>").is_err());
    assert!(check_well_formed("<svg></g></svg>").is_err());
    assert!(check_well_formed("<svg><rect x=1/></svg>").is_err());
    assert!(check_well_formed("<svg>a & b</svg>").is_err());
    assert!(check_well_formed("<svg/><svg/>").is_err());
    let mut doc = Svg::new(10.0, 10.0);
    doc.text(1.0, 2.0, Font::new(12.0, "#000"), "<&>\"'");
    assert!(check_well_formed(&doc.finish()).is_ok());
}

fn sample() -> (Vec<Throughput>, Vec<Latency>) {
    let calls = vec![
        Throughput {
            title: "tcp-32x16".into(),
            note: "TCP, 32x16".into(),
            unit: "calls/s",
            bars: vec![
                Bar { system: "remotes".into(), runs: vec![1.2e6, 1.1e6, 1.3e6] },
                Bar { system: "a <b> & c".into(), runs: vec![f64::NAN] },
            ],
        },
        Throughput {
            title: "mem-1x1".into(),
            note: String::new(),
            unit: "calls/s",
            bars: vec![Bar { system: "tarpc".into(), runs: vec![52_000.0] }],
        },
    ];
    let latency = vec![Latency {
        title: "tcp-1x1".into(),
        note: "TCP, 1x1, call".into(),
        rows: vec![
            Range { system: "remotes".into(), p50: vec![31.0, 30.0], p99: vec![80.0, 95.0] },
            Range { system: "tarpc".into(), p50: vec![f64::NAN], p99: vec![f64::NAN] },
        ],
    }];
    (calls, latency)
}

#[test]
fn a_small_input_gives_the_same_well_formed_svg_every_time() {
    let (calls, latency) = sample();
    let palette = Palette::new(["remotes", "tarpc"]);
    let a = draw::throughput(&calls, &palette, "run\nline two");
    let b = draw::latency(&latency, &palette, "run");
    for doc in [&a, &b] {
        check_well_formed(doc).unwrap();
        assert!(doc.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1000 "));
        assert!(!doc.contains("NaN") && !doc.contains("inf"));
    }
    assert_eq!(a, draw::throughput(&calls, &palette, "run\nline two"));
    assert_eq!(b, draw::latency(&latency, &palette, "run"));
    // Escaped, a bar without data marked, whiskers drawn, the median shown.
    assert!(a.contains("a &lt;b&gt; &amp; c") && a.contains(">no data</text>"));
    assert!(a.contains(">1.2M</text>") && a.contains(">line two</text>"));
    assert_eq!(a.matches("stroke=\"#1f2328\" stroke-width=\"1.5\"").count(), 3);
    // p50 30.5 µs and p99 87.5 µs (medians of two), on a 20..100 µs axis.
    assert!(b.contains(">p50 30.5 µs · p99 87.5 µs</text>"), "{b}");
    assert!(b.contains(">20 µs</text>") && b.contains(">100 µs</text>"));
    assert_eq!(b.matches("<circle").count(), 1);
}

#[test]
fn client_counts_take_the_ramp_in_order_and_known_systems_keep_theirs() {
    let counts: Vec<String> = ["100 clients", "1,000 clients", "10,000 clients"].map(String::from).to_vec();
    let names = ["100 clients", "1,000 clients", "10,000 clients", "remotes", "hand-written", "x"];
    let p = Palette::new(names).with_ramp(counts);
    assert_eq!(
        [p.colour("100 clients"), p.colour("1,000 clients"), p.colour("10,000 clients")],
        ["#a1d99b", "#41ab5d", "#006d2c"]
    );
    assert_eq!((p.colour("remotes"), p.colour("hand-written")), ("#1f5fa8", "#e6550d"));
    // The ramp's labels leave the other colours to the rest.
    assert_eq!(p.colour("x"), "#bcbd22");
    assert_eq!(
        [0, 100, 1000, 10_000, 1_234_567].map(crate::scale::grouped),
        ["0", "100", "1,000", "10,000", "1,234,567"].map(String::from)
    );
}
