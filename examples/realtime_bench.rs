//! Subscription fan-out benchmark: N subscribers on `eventChanged` over graphql-transport-ws,
//! and a driver reporting events at a fixed rate. Prints delivery latency (from the change's
//! `at` to receipt), the server's memory per subscriber and the CPU it spends on fan-out.
//! Run through `scripts/bench-realtime`, which starts a release server with demo data.
//!
//!   realtime_bench <base-url> <server-pid> [subscribers=1000] [changes-per-sec=50] [secs=20]
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const PASSWORD: &str = "Demo-grid-2026";

fn arg<T: std::str::FromStr>(args: &[String], i: usize, default: T) -> T {
    args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default)
}

/// Resident set size of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// User + system CPU time of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let at = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    at(11) + at(12)
}

async fn gql(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    query: &str,
    vars: Value,
) -> Value {
    let mut req = client
        .post(format!("{base}/graphql"))
        .json(&json!({"query": query, "variables": vars}));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

async fn login(client: &reqwest::Client, base: &str, phone: &str) -> String {
    let body = gql(
        client,
        base,
        None,
        "mutation($p: String!, $w: String!) { login(phone: $p, password: $w) { accessToken } }",
        json!({"p": phone, "w": PASSWORD}),
    )
    .await;
    body["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("login {phone}: {body}"))
        .to_owned()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:18090".into());
    let pid: u32 = arg(&args, 2, 0);
    let subscribers: usize = arg(&args, 3, 1000);
    let rate: u64 = arg(&args, 4, 50);
    let secs: u64 = arg(&args, 5, 20);
    let client = reqwest::Client::new();

    // Consoles of 凤凰社区 subscribe; its community worker also reports (into its first grid).
    let watcher = login(&client, &base, "13800000003").await;
    let reporter = login(&client, &base, "13800000003").await;
    let grids = gql(
        &client,
        &base,
        Some(&reporter),
        "{ regions(level: GRID, first: 1) { edges { node { id } } } }",
        json!({}),
    )
    .await;
    let grid = grids["data"]["regions"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no grid: {grids}"))
        .to_owned();

    let rss_before = rss_kib(pid);
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let received = Arc::new(AtomicU64::new(0));
    let lagged = Arc::new(AtomicU64::new(0));
    let ws_url = format!("{}/graphql", base.replace("http://", "ws://"));
    let mut ready = Vec::with_capacity(subscribers);
    for i in 0..subscribers {
        let mut request = ws_url.clone().into_client_request().unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .unwrap_or_else(|e| panic!("subscriber {i}: {e}"));
        let init = json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {watcher}")}});
        socket.send(Message::text(init.to_string())).await.unwrap();
        let sub = json!({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription { eventChanged { action at event { id title state } } }"}});
        socket.send(Message::text(sub.to_string())).await.unwrap();
        let (latencies, received, lagged) = (latencies.clone(), received.clone(), lagged.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        ready.push(rx);
        tokio::spawn(async move {
            let mut tx = Some(tx);
            while let Some(Ok(message)) = socket.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                match value["type"].as_str() {
                    Some("connection_ack") => {
                        if let Some(tx) = tx.take() {
                            let _ = tx.send(());
                        }
                    }
                    Some("ping") => {
                        let _ = socket.send(Message::text(r#"{"type":"pong"}"#)).await;
                    }
                    Some("next") => {
                        if value["payload"]["errors"].is_array() {
                            lagged.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                        let at = value["payload"]["data"]["eventChanged"]["at"].as_str();
                        if let Some(at) =
                            at.and_then(|a| chrono::DateTime::parse_from_rfc3339(a).ok())
                        {
                            let ms = (chrono::Utc::now() - at.with_timezone(&chrono::Utc))
                                .num_microseconds()
                                .unwrap_or(0) as f64
                                / 1000.0;
                            latencies.lock().await.push(ms);
                        }
                        received.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
        });
    }
    for rx in ready {
        let _ = rx.await;
    }
    // Let the subscriptions register and the allocator settle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_subscribed = rss_kib(pid);

    let changes = rate * secs;
    let cpu0 = cpu_ticks(pid);
    let t0 = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    let mut sent = 0u64;
    let mut failed = 0u64;
    let mut drivers = Vec::new();
    while sent < changes {
        tick.tick().await;
        let (client, base, reporter, grid) =
            (client.clone(), base.clone(), reporter.clone(), grid.clone());
        drivers.push(tokio::spawn(async move {
            let body = gql(
                &client,
                &base,
                Some(&reporter),
                "mutation($i: ReportInput!) { reportEvent(input: $i) { id } }",
                json!({"i": {
                    "clientId": uuid::Uuid::now_v7(), "category": "SANITATION", "title": "推送压测",
                    "location": {"lat": 22.58, "lng": 113.08},
                    "capturedAt": chrono::Utc::now().to_rfc3339(), "gridId": grid,
                }}),
            )
            .await;
            body["errors"].is_null()
        }));
        sent += 1;
    }
    for d in drivers {
        if !d.await.unwrap_or(false) {
            failed += 1;
        }
    }
    let expected = (changes - failed) * subscribers as u64;
    // Wait for the fan-out to drain (at most 30 s).
    let drain = Instant::now();
    while received.load(Ordering::Relaxed) < expected && drain.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu1 = cpu_ticks(pid);
    let tck = 100.0; // USER_HZ on Linux
    let cpu_secs = (cpu1 - cpu0) as f64 / tck;
    let rss_after = rss_kib(pid);
    let mut l = latencies.lock().await.clone();
    l.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let delivered = received.load(Ordering::Relaxed);
    let summary = json!({
        "subscribers": subscribers,
        "changes_per_sec": rate,
        "changes": changes,
        "failed_reports": failed,
        "delivered": delivered,
        "expected": expected,
        "lagged_messages": lagged.load(Ordering::Relaxed),
        "latency_ms": {"p50": percentile(&l, 0.5), "p99": percentile(&l, 0.99), "max": l.last().copied().unwrap_or(f64::NAN)},
        "rss_kib": {"before": rss_before, "subscribed": rss_subscribed, "after": rss_after},
        "rss_per_subscriber_kib": (rss_subscribed as f64 - rss_before as f64) / subscribers as f64,
        "server_cpu": {"seconds": cpu_secs, "percent_of_one_core": 100.0 * cpu_secs / elapsed,
            "us_per_delivered_message": 1e6 * cpu_secs / delivered.max(1) as f64},
    });
    println!("{}", serde_json::to_string_pretty(&summary).unwrap());
}
