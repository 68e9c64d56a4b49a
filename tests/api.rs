//! The HTTP API on a real server (localhost, a free port): routes, statuses, JSON errors.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn govmatch(args: &[&str]) -> Command {
    common::govmatch(args, "all-MiniLM-L6-v2")
}

/// Starts `govmatch serve` on a free port over `data` and waits until it is ready. Until
/// then, data routes must answer 503 `not_ready` with Retry-After.
fn serve(data: &str) -> Server {
    serve_with(data, &[])
}

/// Starts `govmatch serve` and returns as soon as it says where it listens.
fn spawn_server(data: &str, extra: &[&str]) -> Server {
    let mut args = vec!["serve", "--data-dir", data];
    if !extra.contains(&"--addr") {
        args.extend(["--addr", "127.0.0.1:0"]);
    }
    args.extend_from_slice(extra);
    let mut child = govmatch(&args).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    Server { child, addr }
}

fn serve_with(data: &str, extra: &[&str]) -> Server {
    let server = spawn_server(data, extra);
    for _ in 0..600 {
        let (status, head, body) = send(&server.addr, "GET", "/v1/ready", &[], None);
        if status == 200 {
            return server;
        }
        assert_eq!(status, 503, "{}", String::from_utf8_lossy(&body));
        assert!(head.to_lowercase().contains("retry-after: 1"), "{head}");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "not_ready");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("server not ready after 60 s");
}

fn start(data: &str) -> Server {
    for kind in ["startups", "challenges"] {
        let file = format!("data/hamburg/{kind}.jsonl");
        common::run_ok(&mut govmatch(&["ingest", kind, &file, "--data-dir", data]));
    }
    serve(data)
}

/// One HTTP/1.1 request; returns status and body.
fn request(addr: &str, method: &str, path: &str, body: Option<&[u8]>) -> (u16, Vec<u8>) {
    let (status, _, body) = request_with_head(addr, method, path, body);
    (status, body)
}

/// Like [`request`], with the response head (status line and headers) as text.
fn request_with_head(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
) -> (u16, String, Vec<u8>) {
    let headers: &[(&str, &str)] = if body.is_some() {
        &[("Content-Type", "application/json")]
    } else {
        &[]
    };
    send(addr, method, path, headers, body)
}

/// One HTTP/1.1 request with the given headers; returns status, head and body.
fn send(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n").into_bytes();
    for (name, value) in headers {
        req.extend(format!("{name}: {value}\r\n").bytes());
    }
    if let Some(b) = body {
        req.extend(format!("Content-Length: {}\r\n", b.len()).bytes());
    }
    req.extend(b"\r\n");
    req.extend(body.unwrap_or_default());
    s.write_all(&req).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("HTTP response");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if head.to_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    (status, head, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&b[..end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[end + 2..end + 2 + size]);
        b = &b[end + 4 + size..];
    }
}

fn json(addr: &str, method: &str, path: &str, body: Option<&[u8]>) -> (u16, serde_json::Value) {
    let (status, body) = request(addr, method, path, body);
    let value = serde_json::from_slice(&body).unwrap_or_else(|e| {
        panic!(
            "{path}: body is not JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        )
    });
    (status, value)
}

fn assert_error(v: &serde_json::Value, code: &str, field: &str) {
    assert_eq!(v["error"]["code"], code, "{v}");
    assert_eq!(v["error"]["field"], field, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{v}"
    );
}

#[test]
fn routes_answer_with_matches_and_json_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path().to_str().unwrap());
    let a = server.addr.as_str();

    assert_eq!(
        json(a, "GET", "/v1/health", None),
        (200, serde_json::json!({"status": "ok"}))
    );

    // The OpenAPI description covers every route a client may call, with the error shape.
    let (status, doc) = json(a, "GET", "/v1/openapi.json", None);
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    for (path, method) in [
        ("/v1/health", "get"),
        ("/v1/ready", "get"),
        ("/v1/{kind}/{id}/matches", "get"),
        ("/metrics", "get"),
        ("/v1/openapi.json", "get"),
        ("/v1/match", "post"),
        ("/v1/feedback", "post"),
        ("/v1/{kind}", "post"),
        ("/v1/{kind}/{id}", "get"),
        ("/v1/{kind}/{id}", "delete"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing from openapi.json"
        );
    }
    let params: Vec<&str> = doc["paths"]["/v1/{kind}/{id}/matches"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for p in [
        "k",
        "mode",
        "diversity",
        "min_score",
        "like",
        "open",
        "region",
        "hub_reduction",
    ] {
        assert!(
            params.contains(&p),
            "parameter {p} undocumented: {params:?}"
        );
    }
    for schema in [
        "Match",
        "Explanation",
        "ErrorBody",
        "Startup",
        "Challenge",
        "FreeText",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema} missing"
        );
    }

    let (status, v) = json(a, "GET", "/v1/challenges/hh-c-002/matches?k=5", None);
    assert_eq!(status, 200, "{v}");
    let matches = v["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 5);
    assert_eq!(v["model"], "all-MiniLM-L6-v2");
    let scores: Vec<f64> = matches
        .iter()
        .map(|m| m["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    assert!(matches
        .iter()
        .all(|m| m["id"].as_str().unwrap().starts_with("hh-s-") && m["title"].is_string()));

    // Filters: only Hamburg startups, as many as asked for when enough exist.
    let startups: Vec<serde_json::Value> =
        std::fs::read_to_string(common::root().join("data/hamburg/startups.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    let hamburg: std::collections::HashSet<&str> = startups
        .iter()
        .filter(|s| s["region"] == "hamburg")
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    let (status, v) = json(
        a,
        "GET",
        "/v1/challenges/hh-c-010/matches?k=20&region=hamburg",
        None,
    );
    assert_eq!(status, 200);
    let ids: Vec<&str> = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 20.min(hamburg.len()));
    assert!(ids.iter().all(|id| hamburg.contains(id)), "{ids:?}");

    let (status, v) = json(
        a,
        "GET",
        "/v1/startups/hh-s-001/matches?k=3&exact=true",
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(v["kind"], "challenges");
    assert_eq!(v["matches"].as_array().unwrap().len(), 3);

    let (status, v) = json(
        a,
        "POST",
        "/v1/match",
        Some(br#"{"text": "drones that inspect bridges for cracks", "k": 3}"#),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["matches"].as_array().unwrap().len(), 3);

    // Errors: status, code and the field at fault.
    let (status, v) = json(a, "GET", "/v1/challenges/nope/matches", None);
    assert_eq!(status, 404);
    assert_error(&v, "not_found", "id");
    let (status, v) = json(a, "GET", "/v1/challenges/hh-c-002/matches?k=0", None);
    assert_eq!(status, 422);
    assert_error(&v, "invalid", "k");
    let (status, v) = json(a, "GET", "/v1/challenges/hh-c-002/matches?colour=red", None);
    assert_eq!(status, 400);
    assert_error(&v, "bad_parameter", "colour");
    let (status, v) = json(a, "POST", "/v1/match", Some(br#"{"text": "   "}"#));
    assert_eq!(status, 422);
    assert_error(&v, "invalid", "text");
    let (status, v) = json(
        a,
        "POST",
        "/v1/match",
        Some(br#"{"text": "x", "colour": 1}"#),
    );
    assert_eq!(status, 422);
    assert_error(&v, "invalid", "colour");
    let (status, v) = json(a, "POST", "/v1/match", Some(br#"{"text": "#));
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], "malformed");
    let (status, v) = json(a, "POST", "/v1/match", Some(b"{\"text\": \"\xff\xfe\"}"));
    assert_eq!(status, 400, "{v}");
    let (status, v) = json(a, "GET", "/v2/nothing", None);
    assert_eq!(status, 404);
    assert_eq!(v["error"]["code"], "not_found");

    // Oversized bodies are refused with a JSON 413.
    let big = format!("{{\"text\": \"{}\"}}", "a".repeat(3 << 20));
    let (status, v) = json(a, "POST", "/v1/match", Some(big.as_bytes()));
    assert_eq!(status, 413, "{v}");
    assert_eq!(v["error"]["code"], "too_large");

    // Every response carries a request id (the caller's if given) and the time spent.
    let (_, head, _) = request_with_head(a, "GET", "/v1/challenges/hh-c-002/matches?k=3", None);
    let head = head.to_lowercase();
    assert!(head.contains("x-request-id: "), "{head}");
    assert!(head.contains("x-inference-time: "), "{head}");
}

#[test]
fn records_are_created_updated_deleted_and_reads_continue_during_writes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    let server = start(&data);
    let a = server.addr.clone();

    let record = |one_liner: &str, desc: &str| {
        serde_json::json!({"id": "api-1", "name": "Pontis", "one_liner": one_liner,
                           "description": desc, "stage": "seed", "region": "hamburg"})
        .to_string()
    };
    let first = record(
        "Crawling robots for bridge cable inspection",
        "Magnetic crawler robots inspect steel bridge cables and detect corrosion.",
    );
    let (status, v) = json(&a, "POST", "/v1/startups", Some(first.as_bytes()));
    assert_eq!(
        (status, v["status"].as_str()),
        (201, Some("created")),
        "{v}"
    );
    let (status, v) = json(&a, "POST", "/v1/startups", Some(first.as_bytes()));
    assert_eq!((status, v["status"].as_str()), (200, Some("unchanged")));
    let (status, v) = json(&a, "GET", "/v1/startups/api-1", None);
    assert_eq!((status, v["name"].as_str()), (200, Some("Pontis")));
    let query = br#"{"text": "robots crawling on bridge cables to find corrosion", "k": 3}"#;
    let (_, v) = json(&a, "POST", "/v1/match", Some(query));
    assert_eq!(v["matches"][0]["id"], "api-1", "{v}");

    let updated = record("Sourdough bakery", "We bake sourdough bread for cafes.");
    let (status, v) = json(&a, "POST", "/v1/startups", Some(updated.as_bytes()));
    assert_eq!((status, v["status"].as_str()), (200, Some("updated")));
    let (_, v) = json(&a, "POST", "/v1/match", Some(query));
    assert_ne!(
        v["matches"][0]["id"], "api-1",
        "stale vector after update: {v}"
    );

    // Invalid records name the field.
    let (status, v) = json(
        &a,
        "POST",
        "/v1/startups",
        Some(br#"{"id": "x", "description": "d"}"#),
    );
    assert_eq!(status, 422);
    assert_error(&v, "invalid_record", "name");
    let (status, v) = json(
        &a,
        "POST",
        "/v1/startups",
        Some(br#"{"id": "x", "name": "n", "description": "d", "stage": "unicorn"}"#),
    );
    assert_eq!(status, 422);
    assert_error(&v, "invalid_record", "stage");
    let (status, v) = json(&a, "GET", "/v1/things/x", None);
    assert_eq!(status, 404);
    assert_error(&v, "not_found", "kind");

    // Reads keep answering, complete, while writes go on.
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let a = a.clone();
            std::thread::spawn(move || {
                for _ in 0..25 {
                    let (status, v) = json(&a, "GET", "/v1/challenges/hh-c-005/matches?k=10", None);
                    assert_eq!(status, 200);
                    assert_eq!(v["matches"].as_array().unwrap().len(), 10);
                }
            })
        })
        .collect();
    for i in 0..15 {
        let body = serde_json::json!({"id": format!("w-{i}"), "name": format!("Writer {i}"), "description": format!("Port crane telemetry number {i}.")});
        let (status, _) = json(
            &a,
            "POST",
            "/v1/startups",
            Some(body.to_string().as_bytes()),
        );
        assert_eq!(status, 201);
    }
    for r in readers {
        r.join().unwrap();
    }

    let (status, _) = request(&a, "DELETE", "/v1/startups/api-1", None);
    assert_eq!(status, 204);
    let (status, v) = json(&a, "DELETE", "/v1/startups/api-1", None);
    assert_eq!(status, 404);
    assert_error(&v, "not_found", "id");
    let (status, _) = json(&a, "GET", "/v1/startups/api-1", None);
    assert_eq!(status, 404);
    let (_, v) = json(
        &a,
        "POST",
        "/v1/match",
        Some(br#"{"text": "sourdough bread for cafes", "k": 50}"#),
    );
    assert!(
        v["matches"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["id"] != "api-1"),
        "deleted record returned"
    );

    // A restart serves what was written through the API.
    drop(server);
    let server = serve(&data);
    let (status, v) = json(&server.addr, "GET", "/v1/ready", None);
    assert_eq!(status, 200);
    assert_eq!(v["startups"], 300 + 15);
    let (status, _) = json(&server.addr, "GET", "/v1/startups/w-7", None);
    assert_eq!(status, 200);
}

fn send_json(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> (u16, serde_json::Value) {
    let (status, _, body) = send(addr, method, path, headers, body);
    let v = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {}", String::from_utf8_lossy(&body)));
    (status, v)
}

fn ids(v: &serde_json::Value) -> Vec<String> {
    v["matches"]
        .as_array()
        .unwrap_or_else(|| panic!("no matches: {v}"))
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn modes_explanations_feedback_audit_and_bulk_writes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    let server = start(&data);
    let a = server.addr.clone();
    let path = "/v1/challenges/hh-c-002/matches?k=10";

    // Three modes, three lists; each match explains itself.
    let mut lists = Vec::new();
    for mode in ["dense", "lexical", "hybrid"] {
        let (status, v) = json(&a, "GET", &format!("{path}&mode={mode}"), None);
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["mode"], mode);
        assert_eq!(ids(&v).len(), 10);
        for m in v["matches"].as_array().unwrap() {
            let e = &m["explanation"];
            assert!(e["summary"].as_str().is_some_and(|s| s.len() > 20), "{m}");
            let sentences = e["sentences"].as_array().unwrap();
            assert!((1..=3).contains(&sentences.len()), "{m}");
            let parts = &e["scores"];
            match mode {
                "dense" => assert!(parts["dense"].is_number() && parts["fused"].is_null()),
                "lexical" => assert!(parts["lexical"].is_number()),
                // Hybrid: the fused score over its maximum, 2 / 61 with the default weight 1.
                _ => assert!(
                    (m["score"].as_f64().unwrap() - parts["fused"].as_f64().unwrap() * 61.0 / 2.0)
                        .abs()
                        < 1e-4,
                    "{m}"
                ),
            }
        }
        lists.push(ids(&v));
    }
    assert_ne!(lists[0], lists[1], "lexical and dense rank alike");
    // Hub reduction is on by default: the dense score is the similarity less half the
    // record's hubness; switched off, the score is the similarity itself.
    let (_, v) = json(&a, "GET", path, None);
    for m in v["matches"].as_array().unwrap() {
        let parts = &m["explanation"]["scores"];
        let (dense, hub) = (
            parts["dense"].as_f64().unwrap(),
            parts["hubness"].as_f64().unwrap(),
        );
        assert!(hub > 0.0 && hub <= 1.0, "{m}");
        assert!(
            (m["score"].as_f64().unwrap() - (dense - 0.5 * hub)).abs() < 1e-5,
            "{m}"
        );
        assert_eq!(m["score"], parts["adjusted"]);
    }
    let (status, plain) = json(&a, "GET", &format!("{path}&hub_reduction=false"), None);
    assert_eq!(status, 200, "{plain}");
    for m in plain["matches"].as_array().unwrap() {
        let parts = &m["explanation"]["scores"];
        assert!(parts["hubness"].is_null(), "{m}");
        assert_eq!(m["score"], parts["dense"]);
    }
    let (status, plain_text) = json(
        &a,
        "POST",
        "/v1/match",
        Some(br#"{"text":"Verkehrsdaten in Echtzeit","hub_reduction":false}"#),
    );
    assert_eq!(status, 200, "{plain_text}");
    assert!(plain_text["matches"][0]["explanation"]["scores"]["hubness"].is_null());
    // Hybrid draws on both lists.
    assert!(lists[2].iter().any(|id| lists[0].contains(id)));
    assert!(lists[2].iter().any(|id| lists[1].contains(id)));
    // Terms shared by the challenge and the profile appear in the profile.
    let (_, v) = json(&a, "GET", &format!("{path}&mode=lexical"), None);
    let first = &v["matches"][0];
    let (_, profile) = json(
        &a,
        "GET",
        &format!("/v1/startups/{}", first["id"].as_str().unwrap()),
        None,
    );
    let profile_text = profile.to_string().to_lowercase();
    let terms = first["explanation"]["terms"].as_array().unwrap();
    assert!(!terms.is_empty(), "{first}");
    assert!(terms
        .iter()
        .all(|t| profile_text.contains(&t.as_str().unwrap().to_lowercase())));

    // Diversity reorders, explain=false drops explanations, min_score cuts.
    let (_, plain) = json(&a, "GET", &format!("{path}&explain=false"), None);
    assert!(plain["matches"][0].get("explanation").is_none());
    let (_, diverse) = json(
        &a,
        "GET",
        &format!("{path}&diversity=0.9&explain=false"),
        None,
    );
    assert_eq!(ids(&diverse).len(), 10);
    assert_eq!(
        ids(&diverse)[0],
        ids(&plain)[0],
        "the best match stays first"
    );
    assert_ne!(ids(&diverse), ids(&plain));
    let (_, v) = json(&a, "GET", &format!("{path}&min_score=0.99"), None);
    assert!(ids(&v).len() < 10);
    // More like these: steering towards a liked startup brings its neighbours; it is left out.
    let liked = ids(&plain)[5].clone();
    let (status, v) = json(
        &a,
        "GET",
        &format!("{path}&like={liked}&explain=false"),
        None,
    );
    assert_eq!(status, 200, "{v}");
    assert!(!ids(&v).contains(&liked));
    assert_ne!(ids(&v), ids(&plain));
    let (status, v) = json(&a, "GET", &format!("{path}&like=hh-s-nope"), None);
    assert_eq!(status, 422);
    assert_error(&v, "invalid", "like");
    let (status, v) = json(&a, "GET", &format!("{path}&diversity=2"), None);
    assert_eq!(status, 422);
    assert_error(&v, "invalid", "diversity");
    let (status, v) = json(&a, "GET", &format!("{path}&mode=fuzzy"), None);
    assert_eq!(status, 422, "a value of the wrong form, as in a body");
    assert_error(&v, "invalid", "mode");
    // open=true: only open challenges whose deadline has not passed.
    let (status, v) = json(
        &a,
        "GET",
        "/v1/startups/hh-s-001/matches?k=40&open=true&explain=false",
        None,
    );
    assert_eq!(status, 200);
    for id in ids(&v) {
        let (_, c) = json(&a, "GET", &format!("/v1/challenges/{id}"), None);
        assert_eq!(c["status"], "open", "{c}");
    }

    // Feedback refers to a served list and one of its items.
    let (_, head, body) = send(
        &a,
        "GET",
        &format!("{path}&explain=false"),
        &[("x-request-id", "judged-1")],
        None,
    );
    // The caller's id is kept beside the server's, which names the list (issue 24, point 7).
    assert!(
        head.to_lowercase()
            .contains("x-client-request-id: judged-1"),
        "{head}"
    );
    let served: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let rid = served["request_id"].as_str().unwrap().to_string();
    assert_ne!(rid, "judged-1");
    let item = ids(&served)[0].clone();
    let fb = |body: serde_json::Value| {
        json(
            &a,
            "POST",
            "/v1/feedback",
            Some(body.to_string().as_bytes()),
        )
    };
    let (status, v) = fb(
        serde_json::json!({"request_id": rid, "item": item, "label": 2, "comment": "exactly this"}),
    );
    assert_eq!(status, 201, "{v}");
    let (status, v) =
        fb(serde_json::json!({"request_id": "never-served", "item": item, "label": 1}));
    assert_eq!(status, 404);
    assert_error(&v, "not_found", "request_id");
    let (status, v) = fb(serde_json::json!({"request_id": rid, "item": "hh-s-nope", "label": 1}));
    assert_eq!(status, 422);
    assert_error(&v, "invalid", "item");
    let (status, v) = fb(serde_json::json!({"request_id": rid, "item": item, "label": 3}));
    assert_eq!(status, 422);
    assert_error(&v, "invalid", "label");

    // Bulk NDJSON: good lines stored, bad ones reported by line and field.
    let ndjson = b"{\"id\":\"bulk-1\",\"name\":\"Kranfunk\",\"one_liner\":\"Telemetry for port cranes\"}\n\n{\"id\":\"bulk-2\"}\n{oops\n{\"id\":\"bulk-1\",\"name\":\"Again\",\"one_liner\":\"x\"}\n{\"id\":\"bulk-3\",\"name\":\"Ufer\",\"one_liner\":\"Flood sensors\"}\n";
    let nd = [("Content-Type", "application/x-ndjson")];
    let (status, v) = send_json(&a, "POST", "/v1/startups", &nd, Some(ndjson));
    assert_eq!(status, 207, "partly stored: {v}");
    assert_eq!(
        (v["stored"].as_u64(), v["rejected"].as_u64()),
        (Some(2), Some(3)),
        "{v}"
    );
    let lines: Vec<(u64, serde_json::Value)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["field"].clone()))
        .collect();
    assert_eq!(
        lines,
        [
            (3, "name".into()),
            (4, serde_json::Value::Null),
            (5, "id".into())
        ]
    );
    let (status, _) = json(&a, "GET", "/v1/startups/bulk-3", None);
    assert_eq!(status, 200);
    let (status, v) = send_json(
        &a,
        "POST",
        "/v1/startups",
        &nd,
        Some(b"{\"id\":\"x\"}\n\xff\xfe\n"),
    );
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["stored"], 0);
    let (status, v) = send_json(
        &a,
        "POST",
        "/v1/startups",
        &[("Content-Type", "text/plain")],
        Some(b"hi"),
    );
    assert_eq!(status, 415);
    assert_eq!(v["error"]["code"], "content_type");

    // Prometheus metrics by route template.
    let (status, _, body) = send(&a, "GET", "/metrics", &[], None);
    assert_eq!(status, 200);
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains(r#"govmatch_http_requests_total{method="GET",route="/v1/{kind}/{id}/matches",status="200"}"#), "{text}");
    assert!(
        text.contains("govmatch_index_records{kind=\"startups\"} 302"),
        "{text}"
    );

    // SIGTERM: graceful stop, then the audit trail and the judgements are on disk.
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let mut server = server;
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let plain = |args: &[&str]| Command::new(common::bin()).args(args).output().unwrap();
    let out = plain(&["audit", "export", "--data-dir", &data]);
    assert!(out.status.success());
    let audit: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let judged = audit
        .iter()
        .find(|e| e["request_id"] == rid.as_str())
        .unwrap();
    assert_eq!(judged["client_request_id"], "judged-1");
    assert_eq!(judged["model"], "all-MiniLM-L6-v2");
    assert_eq!(judged["query"]["id"], "hh-c-002");
    assert_eq!(judged["params"]["k"], 10);
    assert_eq!(judged["results"][0]["id"], item.as_str());
    assert!(judged["index_version"]
        .as_str()
        .unwrap()
        .starts_with("startups@"));
    let out = plain(&["feedback", "export", "--qrels", "--data-dir", &data]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("hh-c-002 0 {item} 2\n")
    );
}

#[test]
fn api_keys_scope_reads_and_writes_and_a_full_queue_answers_429() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    for kind in ["startups", "challenges"] {
        let file = format!("data/hamburg/{kind}.jsonl");
        common::run_ok(&mut govmatch(&["ingest", kind, &file, "--data-dir", &data]));
    }
    // Without keys, only localhost.
    let out = govmatch(&["serve", "--addr", "0.0.0.0:0", "--data-dir", &data])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("without API keys"));

    let (read, write) = ("read-key-0123456789", "write-key-0123456789");
    let server = serve_with(
        &data,
        &[
            "--api-key",
            &format!("read:{read}"),
            "--api-key",
            &format!("write:{write}"),
            "--queue-capacity",
            "1",
        ],
    );
    let a = server.addr.as_str();
    let bearer = |k: &str| format!("Bearer {k}");
    let (rb, wb) = (bearer(read), bearer(write));
    let path = "/v1/challenges/hh-c-002/matches?k=3&explain=false";
    assert_eq!(send(a, "GET", "/v1/health", &[], None).0, 200);
    assert_eq!(send(a, "GET", "/v1/openapi.json", &[], None).0, 200);
    let (status, v) = send_json(a, "GET", path, &[], None);
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, _) = send_json(
        a,
        "GET",
        path,
        &[("Authorization", "Bearer wrong-key-0123456789")],
        None,
    );
    assert_eq!(status, 401);
    assert_eq!(send(a, "GET", path, &[("Authorization", &rb)], None).0, 200);
    assert_eq!(send(a, "GET", path, &[("x-api-key", read)], None).0, 200);
    // The scheme in any case; a wrong credential fails even beside a right one; 401 says how.
    let lower = format!("bearer {read}");
    assert_eq!(
        send(a, "GET", path, &[("Authorization", &lower)], None).0,
        200
    );
    let (status, head, _) = send(
        a,
        "GET",
        path,
        &[
            ("Authorization", "Bearer wrong-key-0123456789"),
            ("x-api-key", read),
        ],
        None,
    );
    assert_eq!(status, 401);
    assert!(
        head.to_lowercase().contains("www-authenticate: bearer"),
        "{head}"
    );
    let record = br#"{"id": "k-1", "name": "Keyed", "one_liner": "Written with a key"}"#;
    let json_read = [
        ("Authorization", rb.as_str()),
        ("Content-Type", "application/json"),
    ];
    let json_write = [
        ("Authorization", wb.as_str()),
        ("Content-Type", "application/json"),
    ];
    let (status, v) = send_json(a, "POST", "/v1/startups", &json_read, Some(record));
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    assert_eq!(
        send(a, "POST", "/v1/startups", &json_write, Some(record)).0,
        201
    );
    assert_eq!(
        send(
            a,
            "DELETE",
            "/v1/startups/k-1",
            &[("Authorization", &rb)],
            None
        )
        .0,
        403
    );
    assert_eq!(
        send(
            a,
            "DELETE",
            "/v1/startups/k-1",
            &[("Authorization", &wb)],
            None
        )
        .0,
        204
    );

    // A queue of one: a burst of long free-text queries gets some 429s, never an error.
    let text =
        "Wir suchen eine Lösung für die Erfassung von Verkehrsströmen an Kreuzungen. ".repeat(25);
    let body = serde_json::json!({"text": text, "k": 3, "explain": false}).to_string();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|_| s.spawn(|| send(a, "POST", "/v1/match", &json_read, Some(body.as_bytes())).0))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(statuses.contains(&200), "{statuses:?}");
}

/// One ranker everywhere: `govmatch search`, `govmatch batch` and the API return the same ids
/// in the same order (and the same scores) for the same options — served default (dense with
/// hub reduction) and hybrid alike.
#[test]
fn search_batch_and_the_api_rank_alike() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    for kind in ["startups", "challenges"] {
        let file = format!("data/hamburg/{kind}.jsonl");
        common::run_ok(&mut govmatch(&["ingest", kind, &file, "--data-dir", d]));
    }
    let challenges = ["hh-c-001", "hh-c-007", "hh-c-023"];
    let mut from_cli: Vec<(String, Vec<(String, f64)>)> = Vec::new();
    for mode in ["dense", "hybrid"] {
        let out = dir.path().join(format!("{mode}.jsonl"));
        let batch = common::run_ok(&mut govmatch(&[
            "batch",
            "--data-dir",
            d,
            "-k",
            "10",
            "--format",
            "jsonl",
            "--mode",
            mode,
            "--out",
            out.to_str().unwrap(),
        ]));
        let said = String::from_utf8_lossy(&batch.stderr);
        assert!(said.contains("ranked as the API serves it"), "{said}");
        let rows: Vec<serde_json::Value> = std::fs::read_to_string(&out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for c in challenges {
            let batch_list: Vec<(String, f64)> = rows
                .iter()
                .filter(|r| r["challenge_id"] == c)
                .map(|r| {
                    (
                        r["startup_id"].as_str().unwrap().to_string(),
                        r["score"].as_f64().unwrap(),
                    )
                })
                .collect();
            let like = format!("challenge:{c}");
            let search = common::run_ok(&mut govmatch(&[
                "search",
                "startups",
                "--like",
                &like,
                "-k",
                "10",
                "--exact",
                "--mode",
                mode,
                "--json",
                "--data-dir",
                d,
            ]));
            let search_list: Vec<(String, f64)> = String::from_utf8_lossy(&search.stdout)
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
                .map(|r| {
                    (
                        r["id"].as_str().unwrap().to_string(),
                        r["score"].as_f64().unwrap(),
                    )
                })
                .collect();
            assert_eq!(batch_list.len(), 10, "{c} {mode}");
            assert_same(
                &batch_list,
                &search_list,
                &format!("batch vs search, {c} {mode}"),
            );
            from_cli.push((format!("{c}?mode={mode}"), batch_list));
        }
    }
    let server = serve(d);
    for (query, cli) in &from_cli {
        let (c, mode) = query.split_once('?').unwrap();
        let (status, v) = json(
            &server.addr,
            "GET",
            &format!("/v1/challenges/{c}/matches?k=10&exact=true&explain=false&{mode}"),
            None,
        );
        assert_eq!(status, 200, "{v}");
        let api: Vec<(String, f64)> = v["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["id"].as_str().unwrap().to_string(),
                    m["score"].as_f64().unwrap(),
                )
            })
            .collect();
        assert_same(cli, &api, &format!("batch vs API, {query}"));
    }
}

fn assert_same(a: &[(String, f64)], b: &[(String, f64)], what: &str) {
    let ids = |l: &[(String, f64)]| l.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(a), ids(b), "{what}: different lists");
    for ((_, x), (_, y)) in a.iter().zip(b) {
        assert!((x - y).abs() < 1e-5, "{what}: scores {x} vs {y}");
    }
}

/// A data directory that is empty, or holds only startups, serves at once; matches come as
/// soon as both kinds exist. Bad parameters are 4xx naming the field.
#[test]
fn serves_any_data_directory_and_names_every_bad_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    let server = serve_with(empty.to_str().unwrap(), &[]);
    let a = server.addr.as_str();
    let (status, v) = json(a, "GET", "/v1/ready", None);
    assert_eq!((status, v["startups"].as_u64()), (200, Some(0)), "{v}");
    let (status, v) = json(a, "GET", "/v1/challenges/c-1/matches", None);
    assert_eq!(status, 404, "{v}");
    let startup = br#"{"id": "s-1", "name": "Pontis", "one_liner": "Robots that inspect bridge cables for cracks"}"#;
    let challenge = br#"{"id": "c-1", "title": "Bridge inspection", "description": "Find cracks in bridge cables early"}"#;
    assert_eq!(json(a, "POST", "/v1/startups", Some(startup)).0, 201);
    assert_eq!(json(a, "POST", "/v1/challenges", Some(challenge)).0, 201);
    let (status, v) = json(a, "GET", "/v1/challenges/c-1/matches?k=1", None);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["matches"][0]["id"], "s-1", "{v}");
    drop(server);

    // Startups only, given as a host name.
    let only = dir.path().join("startups-only");
    let o = only.to_str().unwrap();
    common::run_ok(&mut govmatch(&[
        "ingest",
        "startups",
        "data/hamburg/startups.jsonl",
        "--data-dir",
        o,
    ]));
    // `index status` only looks: with the saved index gone it says so and writes nothing.
    std::fs::remove_dir_all(only.join("index")).unwrap();
    let status = govmatch(&["index", "status", "--data-dir", o])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let said = String::from_utf8_lossy(&status.stdout);
    assert!(said.contains("index rebuild"), "{said}");
    assert!(!only.join("index").exists(), "status wrote an index");
    let server = serve_with(o, &["--addr", "localhost:0"]);
    let a = server.addr.as_str();
    let (status, v) = json(a, "GET", "/v1/ready", None);
    assert_eq!((status, v["startups"].as_u64()), (200, Some(300)), "{v}");
    let (status, v) = json(
        a,
        "POST",
        "/v1/match",
        Some(br#"{"text": "Drohnen inspizieren Br\u00fccken", "k": 2}"#),
    );
    assert_eq!(status, 200, "{v}");

    // Every bad value names its field, in the query string and in the body alike.
    for (query, field) in [
        ("deadline_from=2024-13-45", "deadline_from"),
        ("min_score=NaN", "min_score"),
        ("min_score=inf", "min_score"),
        ("k=-1", "k"),
        ("k=1.5", "k"),
        ("diversity=2", "diversity"),
    ] {
        let (status, v) = json(
            a,
            "GET",
            &format!("/v1/startups/hh-s-001/matches?{query}"),
            None,
        );
        assert_eq!(status, 422, "{query}: {v}");
        assert_eq!(v["error"]["field"], field, "{query}: {v}");
    }
    for (body, field) in [
        (r#"{"text": "x", "k": -1}"#, "k"),
        (r#"{"text": "x", "k": 1.5}"#, "k"),
        (r#"{"text": "x", "k": "abc"}"#, "k"),
        (r#"{"text": "x", "min_score": "NaN"}"#, "min_score"),
        (
            r#"{"text": "x", "filter": {"deadline_from": "2024-13-45"}}"#,
            "filter.deadline_from",
        ),
        (r#"{"text": "x", "filter": {"region": 5}}"#, "filter.region"),
        (r#"{"text": 5}"#, "text"),
    ] {
        let (status, v) = json(a, "POST", "/v1/match", Some(body.as_bytes()));
        assert_eq!(status, 422, "{body}: {v}");
        assert_eq!(v["error"]["field"], field, "{body}: {v}");
    }
}

/// A burst of 500 concurrent writes: each is stored or told to retry (429 with
/// `Retry-After`), nothing else; the server's threads stay bounded. Prints peak RSS and
/// threads (the burst figures of docs/performance.md).
#[test]
fn a_burst_of_writes_is_stored_or_told_to_retry() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    let server = start(&data);
    let status_file = format!("/proc/{}/status", server.child.id());
    let read_status = |field: &str| -> u64 {
        std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with(field))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse().ok())
            })
            .unwrap_or(0)
    };
    let before = (read_status("VmRSS:"), read_status("Threads:"));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (done, status_file) = (done.clone(), status_file.clone());
        std::thread::spawn(move || {
            let mut peak_threads = 0;
            while !done.load(std::sync::atomic::Ordering::Acquire) {
                if let Ok(s) = std::fs::read_to_string(&status_file) {
                    let threads = s
                        .lines()
                        .find(|l| l.starts_with("Threads:"))
                        .and_then(|l| l.split_whitespace().nth(1))
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(0);
                    peak_threads = peak_threads.max(threads);
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            peak_threads
        })
    };
    let addr = server.addr.clone();
    let writers: Vec<_> = (0..500)
        .map(|i| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                let body = format!(
                    r#"{{"id": "burst-1", "name": "Burst", "one_liner": "Version {i} of a profile written in a burst"}}"#
                );
                send(
                    &addr,
                    "POST",
                    "/v1/startups",
                    &[("Content-Type", "application/json")],
                    Some(body.as_bytes()),
                )
            })
        })
        .collect();
    let mut counts = std::collections::BTreeMap::new();
    for w in writers {
        let (status, head, body) = w.join().unwrap();
        assert!(
            matches!(status, 200 | 201 | 429),
            "{status} {}",
            String::from_utf8_lossy(&body)
        );
        if status == 429 {
            assert!(head.to_lowercase().contains("retry-after:"), "{head}");
        }
        *counts.entry(status).or_insert(0) += 1;
    }
    done.store(true, std::sync::atomic::Ordering::Release);
    let peak_threads = sampler.join().unwrap();
    let peak_rss_kb = read_status("VmHWM:");
    eprintln!(
        "burst of 500 writes: statuses {counts:?}; RSS {} MiB before, peak {} MiB; threads {} before, peak {peak_threads}",
        before.0 / 1024,
        peak_rss_kb / 1024,
        before.1
    );
    assert!(counts.get(&200).copied().unwrap_or(0) + counts.get(&201).copied().unwrap_or(0) > 0);
    assert!(peak_threads <= 64, "threads grew to {peak_threads}");
    // Readers still answer, and the record holds one of the written versions.
    let (status, v) = json(&addr, "GET", "/v1/startups/burst-1", None);
    assert_eq!(status, 200, "{v}");
    assert!(v["one_liner"].as_str().unwrap().starts_with("Version "));
}

/// Random match parameters and bodies (a fixed-seed generator, 400 requests): never a panic
/// or a 5xx, every refusal a 4xx that names a field, and nothing stored changes.
#[test]
fn random_inputs_are_answered_or_refused_by_field_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    let server = start(&data);
    let a = server.addr.as_str();
    let count = |kind: &str| {
        let (_, v) = json(a, "GET", "/v1/ready", None);
        v[kind].as_u64().unwrap()
    };
    let before = (count("startups"), count("challenges"));
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let names = [
        "k",
        "exact",
        "ef",
        "mode",
        "diversity",
        "min_score",
        "like",
        "unlike",
        "explain",
        "hub_reduction",
        "open",
        "region",
        "stage",
        "sector",
        "language",
        "status",
        "deadline_from",
        "colour",
        "",
    ];
    let values = [
        "",
        "0",
        "1",
        "-1",
        "1.5",
        "abc",
        "NaN",
        "inf",
        "-inf",
        "1e40",
        "true",
        "TRUE",
        "dense",
        "hybrid",
        "lexical",
        "fuzzy",
        "2024-02-29",
        "2024-13-45",
        "hh-s-001",
        "hh-s-001,hh-s-002",
        "%FF",
        "%00",
        "%E2%82%AC",
        "hamburg",
        "1001",
        "99999999999999999999",
    ];
    let json_values = [
        "0",
        "1",
        "-1",
        "1.5",
        "\"abc\"",
        "null",
        "true",
        "[]",
        "{}",
        "[\"hh-s-001\"]",
        "\"dense\"",
        "\"fuzzy\"",
        "1e38",
        "-1e38",
        "\"2024-13-45\"",
        "{\"region\": 5}",
        "{\"region\": [\"hamburg\"]}",
        "{\"colour\": 1}",
    ];
    for i in 0..400 {
        let (status, v, what) = if i % 2 == 0 {
            let query: Vec<String> = (0..1 + next(4))
                .map(|_| {
                    format!(
                        "{}={}",
                        names[next(names.len())],
                        values[next(values.len())]
                    )
                })
                .collect();
            let path = format!("/v1/challenges/hh-c-002/matches?{}", query.join("&"));
            let (status, v) = json(a, "GET", &path, None);
            (status, v, path)
        } else {
            let fields: Vec<String> = (0..next(4))
                .map(|_| {
                    let name = match names[next(names.len())] {
                        "region" | "stage" | "sector" | "language" | "status" => "filter",
                        other => other,
                    };
                    format!("\"{name}\": {}", json_values[next(json_values.len())])
                })
                .collect();
            let mut body = vec![String::from("\"text\": \"Drohnen für Brücken\"")];
            body.extend(fields);
            let body = format!("{{{}}}", body.join(", "));
            let (status, v) = json(a, "POST", "/v1/match", Some(body.as_bytes()));
            (status, v, body)
        };
        assert!(status < 500, "{what}: {status} {v}");
        if status >= 400 {
            assert!(
                v["error"]["field"].as_str().is_some_and(|f| !f.is_empty()),
                "{what}: {status} {v}"
            );
        }
    }
    // Rejected writes leave the store as it was.
    for body in [
        r#"{"id": "x"}"#,
        r#"{"id": "", "name": "A", "one_liner": "b"}"#,
        r#"{"id": "x", "name": "A", "one_liner": "b", "stage": "unicorn"}"#,
        r#"{"id": "x", "name": 5, "one_liner": "b"}"#,
        r#"{"id": "hh-s-001", "name": "A", "one_liner": "b", "colour": 1}"#,
    ] {
        let (status, v) = json(a, "POST", "/v1/startups", Some(body.as_bytes()));
        assert_eq!(status, 422, "{body}: {v}");
        assert!(v["error"]["field"].is_string(), "{body}: {v}");
    }
    assert_eq!((count("startups"), count("challenges")), before);
    let (_, v) = json(a, "GET", "/v1/startups/hh-s-001", None);
    assert_ne!(v["name"], "A");
}

/// Explanations a civil servant can use, on the sample's challenges: in the challenge's
/// language, no function words as key terms, "broadly worded" only where hub reduction
/// moved the record (and by how much), and one score scale in every mode: [0, 1], never
/// rising along the list.
#[test]
fn explanations_speak_the_challenges_language_and_scores_share_one_scale() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    let server = start(&data);
    let a = server.addr.as_str();
    let function_words = [
        "das", "der", "die", "den", "dem", "des", "von", "ein", "eine", "einem", "einer", "zur",
        "zum", "und", "oder", "sowie", "werden", "wird", "mit", "für", "auf", "the", "and", "for",
        "with", "that", "this", "are", "from",
    ];
    let mut demoted = 0;
    for (id, german) in [
        ("hh-c-001", true),
        ("hh-c-002", true),
        ("hh-c-003", true),
        ("hh-c-004", false),
        ("hh-c-007", false),
        ("hh-c-012", true),
    ] {
        let (status, v) = json(a, "GET", &format!("/v1/challenges/{id}/matches?k=10"), None);
        assert_eq!(status, 200, "{v}");
        for m in v["matches"].as_array().unwrap() {
            let e = &m["explanation"];
            let summary = e["summary"].as_str().unwrap();
            assert_eq!(summary.contains("Ähnlichkeit"), german, "{id}: {summary}");
            assert_eq!(summary.contains("similarity"), !german, "{id}: {summary}");
            assert!(!summary.contains(".."), "{summary}");
            for term in e["terms"].as_array().unwrap() {
                let t = term.as_str().unwrap().to_lowercase();
                assert!(
                    !function_words.contains(&t.as_str()),
                    "{id}: {t} in {summary}"
                );
            }
            let s = &e["scores"];
            let moved = match (s["similarity_rank"].as_u64(), s["dense_rank"].as_u64()) {
                (Some(by_similarity), Some(served)) => served.saturating_sub(by_similarity),
                _ => 0,
            };
            let broad = summary.contains("Broadly worded") || summary.contains("Breit formuliert");
            if broad {
                demoted += 1;
                assert!(moved > 0, "{id}: broad without a move: {e}");
                assert!(summary.contains(&format!(" {moved} ")), "{id}: {summary}");
            }
        }
    }
    assert!(
        demoted > 0,
        "hub reduction moved some broad profile in these lists"
    );
    for query in [
        "k=20",
        "k=20&hub_reduction=false",
        "k=20&mode=hybrid",
        "k=20&mode=lexical",
        "k=20&diversity=0.5",
        "k=20&mode=hybrid&diversity=0.3",
    ] {
        let (status, v) = json(
            a,
            "GET",
            &format!("/v1/challenges/hh-c-002/matches?explain=false&{query}"),
            None,
        );
        assert_eq!(status, 200, "{v}");
        let scores: Vec<f64> = v["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["score"].as_f64().unwrap())
            .collect();
        assert!(!scores.is_empty(), "{query}");
        assert!(
            scores.iter().all(|s| (0.0..=1.0).contains(s)),
            "{query}: {scores:?}"
        );
        assert!(
            scores.windows(2).all(|w| w[0] >= w[1]),
            "{query}: {scores:?}"
        );
    }
}

/// `serve --demo` on an empty directory listens at once, stores the sample in the background
/// (503 meanwhile), then serves it.
#[test]
fn the_demo_server_listens_before_it_stores_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let server = spawn_server(data.to_str().unwrap(), &["--demo"]);
    let (status, _) = json(&server.addr, "GET", "/v1/ready", None);
    assert_eq!(status, 503, "still storing the sample");
    for _ in 0..600 {
        let (status, v) = json(&server.addr, "GET", "/v1/ready", None);
        if status == 200 {
            assert_eq!(
                (v["startups"].as_u64(), v["challenges"].as_u64()),
                (Some(300), Some(40))
            );
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("demo server not ready after 60 s");
}

#[test]
fn shortlists_and_the_exposure_report_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    for kind in ["startups", "challenges"] {
        let file = format!("data/hamburg/{kind}.jsonl");
        common::run_ok(&mut govmatch(&["ingest", kind, &file, "--data-dir", &data]));
    }
    let (read, write) = ("read-key-0123456789", "write-key-0123456789");
    let server = serve_with(
        &data,
        &[
            "--api-key",
            &format!("read:{read}"),
            "--api-key",
            &format!("write:{write}"),
        ],
    );
    let a = server.addr.as_str();
    let (rb, wb) = (format!("Bearer {read}"), format!("Bearer {write}"));
    let as_reader = [
        ("Authorization", rb.as_str()),
        ("Content-Type", "application/json"),
    ];
    let as_writer = [
        ("Authorization", wb.as_str()),
        ("Content-Type", "application/json"),
    ];
    let path = "/v1/challenges/hh-c-001/shortlist";
    let (status, v) = send_json(a, "GET", path, &as_reader, None);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["shortlist"].as_array().unwrap().len(), 0);
    let put = |headers: &[(&str, &str)], startup: &str, body: &str| {
        send_json(
            a,
            "PUT",
            &format!("{path}/{startup}"),
            headers,
            Some(body.as_bytes()),
        )
    };
    // A read key may look but not change.
    let (status, v) = put(&as_reader, "hh-s-001", r#"{"stage": "proposed"}"#);
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    // Bad input is named and changes nothing.
    let (status, v) = put(&as_writer, "hh-s-001", r#"{"stage": "verhandelt"}"#);
    assert_error(&v, "invalid", "stage");
    assert_eq!(status, 422);
    let (status, v) = put(&as_writer, "hh-s-001", r#"{"stage": "rejected"}"#);
    assert_eq!(status, 422);
    assert_error(&v, "invalid", "reason");
    let long = format!(r#"{{"stage": "proposed", "note": "{}"}}"#, "x".repeat(2001));
    let (status, v) = put(&as_writer, "hh-s-001", &long);
    assert_eq!(status, 422);
    assert_error(&v, "invalid", "note");
    let (status, v) = put(&as_writer, "no-such-startup", r#"{"stage": "proposed"}"#);
    assert_eq!(status, 404, "{v}");
    let (_, v) = send_json(a, "GET", path, &as_reader, None);
    assert_eq!(v["history"].as_array().unwrap().len(), 0, "{v}");
    // The pipeline: proposed, then contacted, with who and when.
    let (status, v) = put(
        &as_writer,
        "hh-s-001",
        r#"{"stage": "proposed", "changed_by": "Scout A"}"#,
    );
    assert_eq!(status, 200, "{v}");
    assert!(v["changed_by"]
        .as_str()
        .unwrap()
        .starts_with("Scout A (write key"));
    let (status, _) = put(
        &as_writer,
        "hh-s-001",
        r#"{"stage": "kontaktiert", "note": "Call on Monday"}"#,
    );
    assert_eq!(status, 200);
    let (_, v) = send_json(a, "GET", path, &as_reader, None);
    assert_eq!(v["shortlist"][0]["stage"], "contacted");
    assert_eq!(v["shortlist"][0]["note"], "Call on Monday");
    assert_eq!(v["history"].as_array().unwrap().len(), 2);
    assert_eq!(v["history"][0]["stage"], "proposed");

    // Exposure, read scope; the same figures as the command line gives.
    let (status, v) = send_json(
        a,
        "GET",
        "/v1/reports/exposure?k=5&exact=true",
        &as_reader,
        None,
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["k"], 5);
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    let gini = runs[0]["summary"]["gini"].as_f64().unwrap();
    assert!((0.0..1.0).contains(&gini));
    let (status, _) = send_json(a, "GET", "/v1/reports/exposure", &[], None);
    assert_eq!(status, 401);
    let (status, v) = send_json(a, "GET", "/v1/reports/exposure?k=0", &as_reader, None);
    assert_eq!(status, 422, "{v}");
    drop(server);
    let out = common::run_ok(&mut govmatch(&[
        "report",
        "exposure",
        "-k",
        "5",
        "--exact",
        "--data-dir",
        &data,
        "--json",
        dir.path().join("exposure.json").to_str().unwrap(),
    ]));
    assert!(out.status.success());
    let cli: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("exposure.json")).unwrap()).unwrap();
    assert_eq!(cli["runs"][0]["summary"]["gini"].as_f64().unwrap(), gini);
    // The shortlist changes are in the audit export, oldest first.
    let out = common::run_ok(Command::new(common::bin()).args([
        "audit",
        "shortlists",
        "--data-dir",
        &data,
    ]));
    let changes: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(changes.len(), 2);
    assert_eq!(
        (&changes[0]["stage"], &changes[1]["stage"]),
        (
            &serde_json::json!("proposed"),
            &serde_json::json!("contacted")
        )
    );
}
