//! Hostile requests: nesting that would overflow the parser, aliased scans and logins, oversized
//! multipart parts, huge lists, slow bodies and budgets. None may kill, wedge or lock anything.
use crate::helpers::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn multipart_operations(app: &TestApp, operations: String, map: &str) -> (u16, Value) {
    let form = reqwest::multipart::Form::new()
        .text("operations", operations)
        .text("map", map.to_owned());
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A GET sent on a raw connection (clients refuse to build URLs this long): status and body.
async fn raw_get(app: &TestApp, path: &str) -> (u16, String) {
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    // The server may answer and close before it has read the whole line.
    let _ = stream.write_all(head.as_bytes()).await;
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut reply)).await;
    let text = String::from_utf8_lossy(&reply).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

async fn still_serving(app: &TestApp) {
    assert_ok(&app.gql(None, "{ labels { name } }", json!({})).await);
}

#[tokio::test]
async fn deeply_nested_documents_are_refused_over_every_transport() {
    let app = spawn_app().await;
    for depth in [2_000usize, 20_000, 200_000] {
        // Opening brackets only, so even the deepest fits under the body cap.
        for doc in [
            format!("{{ __typename(a: {}", "[".repeat(depth)),
            format!("{{ __typename(a: {}", "{a: ".repeat(depth / 4)),
            format!("{}{}", "{ me ".repeat(depth / 5), "}".repeat(depth / 5)),
        ] {
            let (status, body) = post_raw(
                &app,
                "application/json",
                serde_json::to_vec(&json!({ "query": doc })).unwrap(),
            )
            .await;
            assert_eq!(status, 200, "POST depth {depth}: {body}");
            assert_code(&body, "QUERY_TOO_COMPLEX");

            let (status, body) =
                multipart_operations(&app, json!({ "query": doc }).to_string(), "{}").await;
            assert_eq!(status, 200, "multipart depth {depth}: {body}");
            assert_code(&body, "QUERY_TOO_COMPLEX");

            let encoded: String = url_encode(&doc);
            let (status, body) = raw_get(&app, &format!("/graphql?query={encoded}")).await;
            if depth <= 2_000 {
                assert_eq!(status, 400, "GET depth {depth}");
                let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                assert_code(&body, "QUERY_TOO_COMPLEX");
            } else {
                // Past the URL size the HTTP layer refuses it before GraphQL sees it.
                assert!((400..500).contains(&status), "GET depth {depth}: {status}");
            }
        }
        still_serving(&app).await;
    }
    // A deep but legal query still runs.
    let admin = app.city_admin().await;
    assert_ok(
        &app.gql(
            Some(&admin.access),
            "{ me { region { parent { parent { id } } } } }",
            json!({}),
        )
        .await,
    );
}

#[tokio::test]
async fn typename_takes_no_arguments() {
    let app = spawn_app().await;
    let body = app.gql(None, "{ __typename(a: 1) }", json!({})).await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_ok(&app.gql(None, "{ __typename }", json!({})).await);
}

#[tokio::test]
async fn aliased_scans_are_priced_and_refused_before_they_run() {
    let app = spawn_app().await;
    let admin = app.city_admin().await;
    let t = Some(admin.access.as_str());
    let scan = |n: usize| -> String {
        let fields: String = (0..n)
            .map(|i| {
                format!(
                    "e{i}: events(first: 1, filter: {{overdue: true, text: \"积水{i}\"}}) {{ edges {{ node {{ id }} }} }} "
                )
            })
            .collect();
        format!("{{ {fields} }}")
    };
    let before = app.statements().await;
    let started = Instant::now();
    for n in [200, 90, 10] {
        let body = app.gql(t, &scan(n), json!({})).await;
        assert_code(&body, "QUERY_TOO_COMPLEX");
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    // Refused before any of them ran: only the session checks reached the database.
    assert!(app.statements().await - before <= 6);
    // A few text searches in one request are fine.
    assert_ok(&app.gql(t, &scan(3), json!({})).await);
    // Too many root fields, even cheap ones.
    let many: String = (0..25).map(|i| format!("m{i}: me {{ id }} ")).collect();
    assert_code(
        &app.gql(t, &format!("{{ {many} }}"), json!({})).await,
        "QUERY_TOO_COMPLEX",
    );
}

#[tokio::test]
async fn aliased_logins_are_refused_and_lock_nobody() {
    let app = spawn_app().await;
    app.city_admin().await;
    let logins: String = (0..1000)
        .map(|i| {
            format!(
                "l{i}: login(phone: \"13900000001\", password: \"wrong{i}\") {{ accessToken }} "
            )
        })
        .collect();
    let started = Instant::now();
    let body = app
        .gql(None, &format!("mutation {{ {logins} }}"), json!({}))
        .await;
    assert_code(&body, "QUERY_TOO_COMPLEX");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    let two = "mutation { a: login(phone: \"13900000001\", password: \"x\") { accessToken } b: refreshSession(refreshToken: \"y\") { accessToken } }";
    assert_code(&app.gql(None, two, json!({})).await, "QUERY_TOO_COMPLEX");
    // No attempt was counted: the right password still works at once.
    app.login("13900000001", PASSWORD).await;
}

#[tokio::test]
async fn multipart_parts_are_capped_like_json() {
    let app = spawn_app().await;
    // A 1 MB operations part is refused while it streams in.
    let big =
        json!({ "query": "{ labels { name } }", "variables": { "pad": "x".repeat(1024 * 1024) } });
    let (status, body) = multipart_operations(&app, big.to_string(), "{}").await;
    assert_eq!(status, 413, "{body}");
    assert_code(&body, "BAD_USER_INPUT");
    // A map bigger than the cap too.
    let huge_map = json!({ "0": vec!["variables.x"; 40_000] }).to_string();
    let (status, body) = multipart_operations(
        &app,
        json!({ "query": "{ labels { name } }" }).to_string(),
        &huge_map,
    )
    .await;
    assert_eq!(status, 413, "{body}");
    // A map entry that points at no variable is refused, not silently dropped.
    let admin = app.city_admin().await;
    let form = reqwest::multipart::Form::new()
        .text(
            "operations",
            json!({ "query": "query($i: [Upload!]) { labels { name } }", "variables": { "i": [null] } })
                .to_string(),
        )
        .text("map", json!({ "0": ["variables.i.nothere.0"] }).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(vec![1, 2, 3]).file_name("a.jpg"),
        );
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&admin.access)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let body: Value = res.json().await.unwrap();
    assert_code(&body, "BAD_USER_INPUT");
    still_serving(&app).await;
}

#[tokio::test]
async fn list_arguments_are_capped_and_enum_lists_deduplicated() {
    let app = spawn_app().await;
    let admin = app.city_admin().await;
    let t = Some(admin.access.as_str());
    let q = "query($s: [EventState!]) { events(first: 5, filter: {states: $s}) { edges { node { id } } } }";
    let body = app
        .gql(t, q, json!({ "s": vec!["REPORTED"; 15_000] }))
        .await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("s"));
    let literal = format!(
        "{{ events(filter: {{states: [{}]}}) {{ edges {{ node {{ id }} }} }} }}",
        vec!["REPORTED"; 500].join(",")
    );
    assert_code(&app.gql(t, &literal, json!({})).await, "BAD_USER_INPUT");
    // Repeats within the cap are fine and mean the same as one.
    assert_ok(&app.gql(t, q, json!({ "s": vec!["REPORTED"; 100] })).await);
}

#[tokio::test]
async fn only_json_and_multipart_bodies_are_read() {
    let app = spawn_app().await;
    let body = serde_json::to_vec(&json!({ "query": "{ labels { name } }" })).unwrap();
    for bad in [
        "application/jsonfoo",
        "application/json+x",
        "text/json",
        "garbage",
    ] {
        let (status, reply) = post_raw(&app, bad, body.clone()).await;
        assert_eq!(status, 415, "{bad}");
        assert_code(&reply, "BAD_USER_INPUT");
    }
    let (status, reply) = post_raw(&app, "application/json; charset=utf-8", body).await;
    assert_eq!(status, 200);
    assert_ok(&reply);
}

#[tokio::test]
async fn a_stalled_body_is_dropped() {
    let app = spawn_app_with(|s| s.limits.body_idle_timeout = Duration::from_secs(1)).await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\":",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let mut reply = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    reply.extend_from_slice(&buf[..n]);
                    if reply.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server held a stalled body");
    assert!(started.elapsed() < Duration::from_secs(8));
    let head = String::from_utf8_lossy(&reply);
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    still_serving(&app).await;
}

#[tokio::test]
async fn budgets_answer_rate_limited_with_the_wait() {
    let app = spawn_app_with(|s| {
        s.rates.anonymous_per_sec = 1;
        s.rates.anonymous_burst = 4;
        s.rates.account_per_sec = 1;
        s.rates.account_burst = 6;
    })
    .await;
    // The first anonymous calls: create the admin and log in (one token each).
    let admin = app.city_admin().await;
    let mut limited = None;
    for _ in 0..6 {
        let res = app
            .client
            .post(format!("{}/graphql", app.address))
            .json(&json!({ "query": "{ labels { name } }" }))
            .send()
            .await
            .unwrap();
        if res.status().as_u16() == 429 {
            limited = Some(res);
            break;
        }
    }
    let res = limited.expect("the anonymous budget ran out");
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=5).contains(&retry));
    let body: Value = res.json().await.unwrap();
    assert_code(&body, "RATE_LIMITED");
    assert!(
        body["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap()
            >= 1
    );

    // A signed-in caller has its own budget, not the address's.
    let mut codes = Vec::new();
    for _ in 0..8 {
        let body = app
            .gql(Some(&admin.access), "{ me { id } }", json!({}))
            .await;
        codes.push(error_code(&body).unwrap_or("OK").to_owned());
    }
    assert_eq!(codes[0], "OK");
    assert!(codes.iter().any(|c| c == "RATE_LIMITED"), "{codes:?}");
}

/// Counts of what happened to the requests fired around a shutdown.
#[derive(Default, Debug)]
struct Fired {
    answered: usize,
    refused_connection: usize,
    lost: Vec<String>,
}

#[tokio::test]
async fn sigterm_drains_keep_alive_clients_and_leaves_no_request_unanswered() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let url = fresh_database(dir.path()).await;
    let port = free_port();
    let mut server = crate::cli::gridhub(dir.path(), &url);
    server.env("GRIDHUB_DRAIN_SECS", "2");
    let mut child = serve_on(server, port);
    let base = format!("http://127.0.0.1:{port}");
    let probe = reqwest::Client::new();
    assert!(wait_ready(&base).await, "server did not come up");

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..32 {
        let stop = stop.clone();
        let url = format!("{base}/graphql");
        clients.push(tokio::spawn(async move {
            // One keep-alive connection per client, as a load balancer or app holds them.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let mut fired = Fired::default();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                match client
                    .post(&url)
                    .json(&json!({ "query": "{ labels { name } }" }))
                    .send()
                    .await
                {
                    Ok(res) if res.status().is_success() => {
                        if res.json::<Value>().await.is_ok() {
                            fired.answered += 1;
                        } else {
                            fired.lost.push("body cut short".into());
                        }
                    }
                    Ok(res) => fired.lost.push(format!("status {}", res.status())),
                    // The listener is closed: the request was never sent, nothing was lost.
                    Err(e) if e.is_connect() => {
                        fired.refused_connection += 1;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    Err(e) => fired.lost.push(format!("{e:?}")),
                }
            }
            fired
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // Draining: not ready any more, yet still answering, and asking clients to close.
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The load goes on for a second into the drain period, as it would until the load
    // balancer has seen `/readyz` fail.
    let res = probe.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 503);
    assert_eq!(
        res.headers().get("connection").map(|v| v.to_str().unwrap()),
        Some("close")
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut total = Fired::default();
    for client in clients {
        let fired = client.await.unwrap();
        total.answered += fired.answered;
        total.refused_connection += fired.refused_connection;
        total.lost.extend(fired.lost);
    }
    // The process ends by itself after the drain period.
    let mut exited = None;
    for _ in 0..150 {
        if let Some(status) = child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = exited.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("the server did not stop after SIGTERM")
    });
    assert!(status.success(), "exit status {status:?}");
    assert!(total.answered > 32, "{total:?}");
    assert_eq!(
        total.refused_connection, 0,
        "refused while draining: {total:?}"
    );
    assert!(
        total.lost.is_empty(),
        "requests left unanswered: {:?}",
        total.lost
    );
}

#[tokio::test]
async fn a_flood_of_slow_connections_under_a_low_file_limit_wedges_nothing() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let url = fresh_database(dir.path()).await;
    let mut admin = crate::cli::gridhub(dir.path(), &url)
        .args([
            "create-admin",
            "--phone",
            "13900000001",
            "--name",
            "管理员",
            "--password",
            PASSWORD,
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert!(admin.wait().unwrap().success());
    let port = free_port();
    // The server under a hard limit of 256 open files, as a careless unit file would start it.
    let template = crate::cli::gridhub(dir.path(), &url);
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", "ulimit -n 256 && exec \"$0\" serve"])
        .arg(template.get_program());
    for (key, value) in template.get_envs() {
        if let Some(value) = value {
            cmd.env(key, value);
        }
    }
    cmd.env("GRIDHUB_BODY_IDLE_TIMEOUT_SECS", "2");
    let mut child = serve_on(cmd, port);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    assert!(wait_ready(&base).await, "server did not come up");

    // Four hundred connections that send half a body and stall.
    let mut slow = Vec::new();
    for _ in 0..400 {
        if let Ok(Ok(mut stream)) = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(("127.0.0.1", port)),
        )
        .await
        {
            let _ = stream
                .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"query\":")
                .await;
            slow.push(stream);
        }
    }
    // A signed-in query with nested, batched fields (the DataLoaders' timers) still answers,
    // once the stalled bodies have been dropped, and the process reports itself healthy.
    let login = client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": format!("mutation {{ login(phone: \"13900000001\", password: \"{PASSWORD}\") {{ accessToken }} }}") }))
        .send()
        .await
        .expect("login answered");
    let body: Value = login.json().await.unwrap();
    let token = body["data"]["login"]["accessToken"]
        .as_str()
        .expect("logged in")
        .to_owned();
    let res = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": "{ regions(first: 5) { edges { node { id parent { id } } } } me { region { id } } }" }))
        .send()
        .await
        .expect("query answered");
    assert_ok(&res.json().await.unwrap());
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    drop(slow);
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test]
async fn text_with_a_nul_character_is_bad_input_on_every_backend() {
    let app = spawn_app().await;
    let admin = app.city_admin().await;
    let t = Some(admin.access.as_str());
    let body = app
        .gql(
            t,
            "query($f: EventFilterInput) { events(first: 5, filter: $f) { edges { node { id } } } }",
            json!({ "f": { "text": "积水\u{0}" } }),
        )
        .await;
    assert_code(&body, "BAD_USER_INPUT");
    let body = app
        .gql(
            t,
            "{ regions(first: 5, search: \"a\\u0000\") { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_code(&body, "BAD_USER_INPUT");
}

/// A costly document pays for its complexity every time it comes, not only the first time
/// (later requests of the same document and variables skip the engine's extension path, and
/// are charged from the complexity validation found the first time).
#[tokio::test]
async fn a_costly_document_is_charged_each_time_it_is_sent() {
    let app = spawn_app_with(|s| {
        s.rates.account_per_sec = 1;
        s.rates.account_burst = 12;
    })
    .await;
    let admin = app.city_admin().await;
    // Over 1,500 complexity points (a text search over a page of 100): 3 tokens beyond the
    // request's own, so 4 a request out of 12.
    let costly =
        "query($t:String!){events(first:100,filter:{text:$t}){edges{node{id title state}}}}";
    let mut codes = Vec::new();
    for _ in 0..6 {
        let body = app
            .gql(Some(&admin.access), costly, json!({"t": "井盖"}))
            .await;
        codes.push(error_code(&body).unwrap_or("OK").to_owned());
    }
    assert_eq!(codes[0], "OK", "{codes:?}");
    assert_eq!(codes[1], "OK", "{codes:?}");
    let limited = codes.iter().position(|c| c == "RATE_LIMITED");
    assert!(
        limited.is_some_and(|at| at <= 4),
        "charged once only: {codes:?}"
    );
}
