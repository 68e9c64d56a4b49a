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

/// Starts `govmatch serve` on a free port over `data` and waits for its address.
fn serve(data: &str) -> Server {
    let mut child = govmatch(&["serve", "--addr", "127.0.0.1:0", "--data-dir", data])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
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
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n").into_bytes();
    if let Some(b) = body {
        req.extend(
            format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            )
            .bytes(),
        );
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
