//! Spans, metrics and the stats snapshot (issue #15): a recorder (`metrics-util`'s debugging recorder) and a
//! subscriber layer that keeps every span are installed once for this test binary; each test uses its own
//! interface (its own `rpc.service`) and the tests run one at a time (reading the recorder drains it; what was
//! read is kept in one table), so each asserts exactly the names, labels and counts of what it did. The figures
//! reach the recorder every `metrics_interval`: the tests hand them over with `flush_metrics` before reading, but
//! the one that tests the interval and the drop.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use remotes_runtime::{Accept, Client, FunctionError, Player, RateLimit, Reject, Server, remotes};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

macro_rules! interface {
    ($name:ident) => {
        #[remotes]
        pub mod $name {
            pub trait ServerFunctions {
                fn add(a: u32, b: u32) -> u32;
                fn slow(millis: u64);
                fn boom();
                fn bounded(#[remote(range = 1..=9)] n: u8) -> u8;
            }
            pub trait ClientFunctions {
                fn confirm(prompt: String) -> bool;
            }
            pub trait ServerEvents {
                fn chat(text: String);
                fn limited(n: u32);
            }
            pub trait ClientEvents {
                fn news(n: u32);
            }
        }
    };
}

interface!(obs_calls);
interface!(obs_events);
interface!(obs_spans);
interface!(obs_publish);

/// A finished span: its name, its fields, and the names of the events logged inside it.
#[derive(Debug, Clone, Default)]
struct SpanRecord {
    name: String,
    fields: HashMap<String, String>,
    events: Vec<String>,
}

#[derive(Default)]
struct Fields(HashMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_string(), format!("{value:?}").trim_matches('"').to_string());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

/// Keeps every span (with its fields as last recorded) once it closes.
struct Capture(Arc<Mutex<Vec<SpanRecord>>>);

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Capture {
    fn on_new_span(&self, attrs: &tracing::span::Attributes<'_>, id: &tracing::span::Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let record = SpanRecord { name: attrs.metadata().name().to_string(), fields: fields.0, events: Vec::new() };
        ctx.span(id).expect("new span").extensions_mut().insert(record);
    }
    fn on_record(&self, id: &tracing::span::Id, values: &tracing::span::Record<'_>, ctx: Context<'_, S>) {
        let span = ctx.span(id).expect("recorded span");
        let mut extensions = span.extensions_mut();
        let record = extensions.get_mut::<SpanRecord>().expect("a record");
        let mut fields = Fields::default();
        values.record(&mut fields);
        record.fields.extend(fields.0);
    }
    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.event_span(event) {
            let mut fields = Fields::default();
            event.record(&mut fields);
            if let Some(record) = span.extensions_mut().get_mut::<SpanRecord>() {
                record.events.push(fields.0.remove("message").unwrap_or_default());
            }
        }
    }
    fn on_close(&self, id: tracing::span::Id, ctx: Context<'_, S>) {
        if let Some(record) = ctx.span(&id).and_then(|span| span.extensions_mut().remove::<SpanRecord>()) {
            self.0.lock().unwrap().push(record);
        }
    }
}

struct Observed {
    snapshotter: Snapshotter,
    spans: Arc<Mutex<Vec<SpanRecord>>>,
}

/// The recorder and subscriber of this binary, installed once; and the lock that runs its tests one at a time.
fn observed() -> &'static Observed {
    static OBSERVED: OnceLock<Observed> = OnceLock::new();
    OBSERVED.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder.install().expect("the only recorder of this binary");
        let spans = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Capture(Arc::clone(&spans)));
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber of this binary");
        Observed { snapshotter, spans }
    })
}

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What the recorder holds for the metrics of `service`: (name, labels other than `rpc.service`) -> value.
#[derive(Debug)]
struct Metrics(Vec<Entry>);

/// One metric: its name, its labels, its value.
type Entry = (String, Vec<(String, String)>, DebugValue);

/// Everything the recorder held so far. Its snapshots drain it (counters and gauges swap to 0, histograms
/// empty), so each read is added here: counters summed, histograms appended, gauges kept at their last set value.
fn accumulated() -> &'static Mutex<Vec<Entry>> {
    static ALL: OnceLock<Mutex<Vec<Entry>>> = OnceLock::new();
    ALL.get_or_init(|| Mutex::new(Vec::new()))
}

impl Metrics {
    fn read(service: &str) -> Metrics {
        let mut all = accumulated().lock().unwrap();
        for (key, _, _, value) in observed().snapshotter.snapshot().into_vec() {
            let key = key.key();
            let labels: Vec<(String, String)> =
                key.labels().map(|label| (label.key().to_string(), label.value().to_string())).collect();
            let name = key.name().to_string();
            match all.iter_mut().find(|(n, l, _)| *n == name && *l == labels) {
                None => all.push((name, labels, value)),
                Some((_, _, held)) => match (held, value) {
                    (DebugValue::Counter(held), DebugValue::Counter(n)) => *held += n,
                    (DebugValue::Histogram(held), DebugValue::Histogram(values)) => held.extend(values),
                    (DebugValue::Gauge(held), DebugValue::Gauge(value)) if value.into_inner() != 0.0 => *held = value,
                    _ => {}
                },
            }
        }
        let mut mine = Vec::new();
        for (name, labels, value) in all.iter() {
            let of_service = labels.iter().any(|(k, v)| k == "rpc.service" && v == service);
            if of_service || service.is_empty() {
                let labels = labels.iter().filter(|(k, _)| k != "rpc.service").cloned().collect();
                let value = match value {
                    DebugValue::Counter(n) => DebugValue::Counter(*n),
                    DebugValue::Gauge(g) => DebugValue::Gauge(*g),
                    DebugValue::Histogram(values) => DebugValue::Histogram(values.clone()),
                };
                mine.push((name.clone(), labels, value));
            }
        }
        Metrics(mine)
    }

    fn find(&self, name: &str, labels: &[(&str, &str)]) -> Option<&DebugValue> {
        self.0.iter().find_map(|(n, l, value)| {
            let all = labels.iter().all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v));
            (n == name && all).then_some(value)
        })
    }

    /// The counter `name` with these labels (among others), 0 if absent.
    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        match self.find(name, labels) {
            Some(DebugValue::Counter(n)) => *n,
            Some(other) => panic!("{name} is not a counter: {other:?}"),
            None => 0,
        }
    }

    /// How many values the histogram `name` with these labels received.
    fn samples(&self, name: &str, labels: &[(&str, &str)]) -> usize {
        match self.find(name, labels) {
            Some(DebugValue::Histogram(values)) => values.len(),
            Some(other) => panic!("{name} is not a histogram: {other:?}"),
            None => 0,
        }
    }
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Polls `condition` until it holds (bounded by `within`).
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    within(what, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_counted_timed_and_sized_by_remote_and_outcome() {
    observed();
    let _serial = SERIAL.lock().await;
    let server = Server::bind::<obs_calls::Api>("127.0.0.1:0").await.expect("bind");
    let functions = &server.remotes().functions;
    functions.add.set_callback(|_: Player, a, b| async move { a + b });
    functions
        .slow
        .set_callback(|_: Player, millis| async move { tokio::time::sleep(Duration::from_millis(millis)).await });
    functions.boom.set_callback(|_: Player| async { panic!("boom") });
    functions.bounded.set_callback(|_: Player, n| async move { n });
    server.start();
    let client = Client::connect::<obs_calls::Api>(server.local_addr().unwrap()).await.expect("connect");
    let calls = &client.remotes().functions;
    assert_eq!(calls.add.invoke(2, 3).await, Ok(5));
    assert_eq!(calls.slow.invoke(5_000).timeout(Duration::from_millis(50)).await, Err(FunctionError::Timeout));
    assert_eq!(calls.boom.invoke().await, Err(FunctionError::Unprocessed));
    // A value the constraint refuses, sent raw (the typed client refuses it before sending).
    let mut raw = remotes_runtime::testing::RawClient::connect(server.local_addr().unwrap()).await.expect("raw");
    raw.handshake().await.expect("handshake");
    raw.send_request(3, None, &[0x91, 50]).await.expect("send");
    raw.recv().await.expect("the reply");

    // A call the client drops while the server handles it: `Cancelled` on both sides.
    let dropped = tokio::spawn(calls.slow.invoke(60_000));
    let caller = server.player(client.player_id()).expect("connected");
    eventually("the call is handled", || caller.calls_in_flight() == 1).await;
    dropped.abort();
    // Calls the server makes: a reply that does not decode (`InvalidResult`), then a client gone (`Disconnected`).
    let mut answering = remotes_runtime::testing::RawClient::connect(server.local_addr().unwrap()).await.expect("raw");
    let welcome = answering.handshake().await.expect("handshake");
    let target = server.player(welcome.player_id).expect("connected");
    let confirm = &server.remotes().functions.confirm;
    let asked = tokio::spawn(confirm.invoke(&target, "ok?".into()));
    answering.recv().await.expect("the request");
    answering.send_frame(0x12, &[0, 0xc1]).await.expect("a reply that is not a bool");
    assert_eq!(asked.await.unwrap(), Err(FunctionError::InvalidResult));
    let asked = tokio::spawn(confirm.invoke(&target, "still there?".into()));
    answering.recv().await.expect("the request");
    drop(answering);
    assert_eq!(within("disconnected", asked).await.unwrap(), Err(FunctionError::Disconnected));

    let server_side = |metrics: &Metrics, method: &str, outcome: &str| {
        let labels = [("side", "server"), ("rpc.method", method), ("role", "handled"), ("outcome", outcome)];
        metrics.counter("remotes.calls.settled", &labels)
    };
    // The server stops `slow` at its deadline and records `Timeout` then.
    eventually("the server's timeout and cancellation", || {
        server.flush_metrics();
        client.flush_metrics();
        let metrics = Metrics::read("obs_calls");
        server_side(&metrics, "slow", "Timeout") == 1 && server_side(&metrics, "slow", "Cancelled") == 1
    })
    .await;
    let metrics = Metrics::read("obs_calls");
    assert_eq!(server_side(&metrics, "add", "ok"), 1);
    assert_eq!(server_side(&metrics, "boom", "Unprocessed"), 1);
    assert_eq!(server_side(&metrics, "bounded", "BadRequest"), 1);
    assert_eq!(server_side(&metrics, "add", "Timeout"), 0);
    for (method, started) in [("add", 1), ("slow", 2), ("boom", 1), ("bounded", 1)] {
        let labels = [("side", "server"), ("rpc.method", method)];
        assert_eq!(metrics.counter("remotes.calls.started", &labels), started, "{method}");
    }
    let made = |method: &str, outcome: &str| {
        let labels = [("side", "client"), ("rpc.method", method), ("role", "made"), ("outcome", outcome)];
        metrics.counter("remotes.calls.settled", &labels)
    };
    assert_eq!((made("add", "ok"), made("slow", "Timeout"), made("boom", "Unprocessed")), (1, 1, 1));
    assert_eq!(made("slow", "Cancelled"), 1, "the client dropped it");
    let server_made = |outcome: &str| {
        let labels = [("side", "server"), ("rpc.method", "confirm"), ("role", "made"), ("outcome", outcome)];
        metrics.counter("remotes.calls.settled", &labels)
    };
    assert_eq!((server_made("InvalidResult"), server_made("Disconnected")), (1, 1));
    assert_eq!(metrics.samples("rpc.server.call.duration", &[("rpc.method", "add"), ("outcome", "ok")]), 1);
    assert_eq!(metrics.samples("rpc.client.call.duration", &[("rpc.method", "add"), ("outcome", "ok")]), 1);
    assert_eq!(metrics.counter("remotes.bad_requests", &[("side", "server"), ("rpc.method", "bounded")]), 1);

    // Bytes and frames, per remote and direction, agree between the metrics and the snapshot, and both ends.
    let stats = server.stats();
    let add = stats.remote("add").expect("declared");
    assert_eq!((add.calls, add.errors.total(), add.frames_in, add.frames_out), (1, 0, 1, 1));
    assert_eq!(add.bytes_in, metrics.counter("remotes.bytes.in", &[("side", "server"), ("rpc.method", "add")]));
    assert_eq!(add.bytes_out, metrics.counter("remotes.bytes.out", &[("side", "server"), ("rpc.method", "add")]));
    let client_add = client.stats().into_iter().find(|r| r.name == "add").expect("declared");
    assert_eq!(
        (client_add.bytes_out, client_add.bytes_in),
        (add.bytes_in, add.bytes_out),
        "what one sends the other gets"
    );
    assert!(add.p50 <= add.p99 && add.p99 < Duration::from_secs(5), "{add:?}");
    assert_eq!(stats.remote("slow").unwrap().errors.timeout, 1);
    assert_eq!(stats.remote("slow").unwrap().errors.cancelled, 1);
    let confirm_stats = stats.remote("confirm").unwrap();
    assert_eq!((confirm_stats.errors.invalid_result, confirm_stats.errors.disconnected), (1, 1));
    assert_eq!(stats.remote("boom").unwrap().errors.unprocessed, 1);
    assert_eq!(stats.remote("bounded").unwrap().errors.bad_request, 1);
    let player = server.player(client.player_id()).expect("connected");
    let figures = player.stats();
    assert!(figures.bytes_in > add.bytes_in && figures.bytes_out > add.bytes_out, "{figures:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_counted_fired_delivered_and_dropped_with_their_reason() {
    observed();
    let _serial = SERIAL.lock().await;
    let server = Server::builder()
        .authenticate(|handshake: remotes_runtime::Handshake| async move {
            if handshake.token.as_deref() == Some("bad") { Err(Reject::new("no")) } else { Ok(Accept::new()) }
        })
        .bind::<obs_events::Api>("127.0.0.1:0")
        .await
        .expect("bind");
    let (heard, mut chats) = tokio::sync::mpsc::unbounded_channel();
    server.remotes().events.chat.connect(move |_: Player, text: String| {
        let _ = heard.send(text);
        async {}
    });
    server.remotes().events.limited.rate_limit(RateLimit::per(1, Duration::from_secs(3600)));
    server.remotes().events.limited.connect(|_: Player, _n| async {});
    server.start();
    let addr = server.local_addr().unwrap();
    let listening = Client::connect::<obs_events::Api>(addr).await.expect("connect");
    let (news_tx, mut news) = tokio::sync::mpsc::unbounded_channel();
    listening.remotes().events.news.connect(move |n| {
        let _ = news_tx.send(n);
        async {}
    });
    // A client that never listens to `news`, and holds at most one event for a listener to come.
    let deaf = Client::builder().event_queue_len(1).connect::<obs_events::Api>(addr).await.expect("connect");
    let deaf_player = server.player(deaf.player_id()).expect("connected");

    let news_fired = server.remotes().events.news.broadcast(1).queued;
    assert_eq!(news_fired, 2);
    server.remotes().events.news.fire(&deaf_player, 2);
    server.remotes().events.news.fire(&deaf_player, 3);
    assert_eq!(within("news", news.recv()).await, Some(1));
    listening.remotes().events.chat.fire("hi".into());
    assert_eq!(within("chat", chats.recv()).await.as_deref(), Some("hi"));
    listening.remotes().events.limited.fire(1);
    listening.remotes().events.limited.fire(2);
    let mut refused = remotes_runtime::testing::RawClient::connect(addr).await.expect("raw").with_token("bad");
    let _ = refused.handshake().await;

    let dropped = |metrics: &Metrics, side: &str, method: &str, reason: &str| {
        metrics.counter("remotes.events.dropped", &[("side", side), ("rpc.method", method), ("reason", reason)])
    };
    // The deaf client held `1`, then dropped it for `2`, and `2` for `3`; the second `limited` was over the rate.
    eventually("the drops", || {
        for client in [&listening, &deaf] {
            client.flush_metrics();
        }
        server.flush_metrics();
        let metrics = Metrics::read("obs_events");
        dropped(&metrics, "client", "news", "no_listener") == 2
            && dropped(&metrics, "server", "limited", "rate_limited") == 1
    })
    .await;
    let metrics = Metrics::read("obs_events");
    assert_eq!(metrics.counter("remotes.events.fired", &[("side", "server"), ("rpc.method", "news")]), 4);
    assert_eq!(metrics.counter("remotes.events.delivered", &[("side", "client"), ("rpc.method", "news")]), 1);
    assert_eq!(metrics.counter("remotes.events.delivered", &[("side", "server"), ("rpc.method", "chat")]), 1);
    assert_eq!(metrics.counter("remotes.events.delivered", &[("side", "server"), ("rpc.method", "limited")]), 1);
    assert_eq!(metrics.counter("remotes.rate_limited", &[("side", "server"), ("rpc.method", "limited")]), 1);
    assert_eq!(metrics.counter("remotes.events.fired", &[("side", "client"), ("rpc.method", "chat")]), 1);
    let stats = server.stats();
    assert_eq!(stats.players, 2);
    let news_stats = stats.remote("news").unwrap();
    assert_eq!((news_stats.events_fired, news_stats.frames_out), (4, 4));
    match Metrics::read("obs_events").find("remotes.players", &[]) {
        Some(DebugValue::Gauge(players)) => assert_eq!(players.into_inner(), 2.0),
        other => panic!("players gauge: {other:?}"),
    }
    let global = Metrics::read("");
    assert!(global.counter("remotes.handshake.failures", &[("cause", "rejected")]) >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_reach_the_recorder_every_interval_and_when_dropped() {
    observed();
    let _serial = SERIAL.lock().await;
    let server =
        Server::builder().metrics_interval(Duration::from_millis(20)).bind::<obs_publish::Api>("127.0.0.1:0").await;
    let server = server.expect("bind");
    server.remotes().functions.add.set_callback(|_: Player, a, b| async move { a + b });
    server.start();
    let client = Client::builder()
        .metrics_interval(Duration::ZERO)
        .connect::<obs_publish::Api>(server.local_addr().unwrap())
        .await
        .expect("connect");
    for n in 0..3 {
        assert_eq!(client.remotes().functions.add.invoke(n, 1).await, Ok(n + 1));
    }
    let settled = |metrics: &Metrics, side: &str, role: &str| {
        let labels = [("side", side), ("rpc.method", "add"), ("role", role), ("outcome", "ok")];
        metrics.counter("remotes.calls.settled", &labels)
    };
    // The server's figures arrive on their own, at its interval; their durations as samples.
    eventually("the server's interval", || settled(&Metrics::read("obs_publish"), "server", "handled") == 3).await;
    let metrics = Metrics::read("obs_publish");
    assert_eq!(metrics.samples("rpc.server.call.duration", &[("rpc.method", "add"), ("outcome", "ok")]), 3);
    assert_eq!(metrics.counter("remotes.calls.started", &[("side", "server"), ("rpc.method", "add")]), 3);
    // The client's interval is zero: nothing until it is gone.
    assert_eq!(settled(&metrics, "client", "made"), 0);
    assert_eq!(client.stats().iter().find(|r| r.name == "add").map(|r| r.calls), Some(3), "stats are current");
    client.close();
    drop(client);
    eventually("the client's figures at its drop", || settled(&Metrics::read("obs_publish"), "client", "made") == 3)
        .await;
    let metrics = Metrics::read("obs_publish");
    assert_eq!(metrics.samples("rpc.client.call.duration", &[("rpc.method", "add"), ("outcome", "ok")]), 3);
    // Handed over once: no later hand-over repeats a figure.
    server.flush_metrics();
    assert_eq!(settled(&Metrics::read("obs_publish"), "server", "handled"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_follow_the_opentelemetry_rpc_conventions() {
    let observed = observed();
    let _serial = SERIAL.lock().await;
    let server = Server::bind::<obs_spans::Api>("127.0.0.1:0").await.expect("bind");
    server.remotes().functions.add.set_callback(|_: Player, a, b| async move {
        tracing::info!("adding");
        a + b
    });
    server.remotes().functions.boom.set_callback(|_: Player| async { panic!("boom") });
    server.start();
    let client = Client::connect::<obs_spans::Api>(server.local_addr().unwrap()).await.expect("connect");
    let (heard, mut news) = tokio::sync::mpsc::unbounded_channel();
    client.remotes().events.news.connect(move |n| {
        let _ = heard.send(n);
        async {}
    });
    assert_eq!(client.remotes().functions.add.invoke(1, 2).await, Ok(3));
    assert_eq!(client.remotes().functions.boom.invoke().await, Err(FunctionError::Unprocessed));
    server.remotes().events.news.broadcast(7);
    assert_eq!(within("news", news.recv()).await, Some(7));

    let of = |kind: &str, method: &str| {
        let spans = observed.spans.lock().unwrap();
        spans
            .iter()
            .filter(|s| s.fields.get("otel.name").is_some_and(|n| n == &format!("obs_spans/{method}")))
            .find(|s| s.fields.get("otel.kind").is_some_and(|k| k == kind))
            .cloned()
    };
    eventually("the spans closed", || of("server", "boom").is_some() && of("consumer", "news").is_some()).await;
    let server_add = of("server", "add").expect("a server span");
    assert_eq!(server_add.name, "rpc");
    for (field, value) in
        [("rpc.system.name", "remotes"), ("rpc.system", "remotes"), ("rpc.service", "obs_spans"), ("rpc.method", "add")]
    {
        assert_eq!(server_add.fields.get(field).map(String::as_str), Some(value), "{field} of {server_add:?}");
    }
    assert_eq!(server_add.fields.get("remotes.player"), Some(&client.player_id().to_string()));
    assert!(!server_add.fields.contains_key("error.type"), "a call that succeeded has no error.type");
    assert_eq!(server_add.events, vec!["adding".to_string()], "what the callback logs nests in its span");
    let client_add = of("client", "add").expect("a client span");
    assert_eq!(client_add.fields.get("rpc.method").map(String::as_str), Some("add"));
    for kind in ["server", "client"] {
        let boom = of(kind, "boom").expect("a span per side");
        assert_eq!(boom.fields.get("error.type").map(String::as_str), Some("Unprocessed"), "{kind}: {boom:?}");
        assert_eq!(boom.fields.get("otel.status_code").map(String::as_str), Some("ERROR"));
    }
    let event = of("consumer", "news").expect("an event span");
    assert_eq!(event.name, "event");
}
