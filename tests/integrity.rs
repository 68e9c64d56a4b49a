//! Nothing stored is lost, forged or turned against its reader: each test is one point of
//! the probe in issue 24 (its number leads the test's name), run as the probe ran it — on
//! the release binary over a data directory holding the Hamburg sample (MiniLM), through
//! real HTTP or the command line.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{http, ServerProcess};
use serde_json::{json, Value};

const MODEL: &str = "all-MiniLM-L6-v2";

fn govmatch(args: &[&str]) -> Command {
    common::govmatch(args, MODEL)
}

/// The binary without a model (for commands that load none).
fn plain(args: &[&str]) -> Command {
    let mut c = Command::new(common::bin());
    c.args(args)
        .env("RUST_LOG", "warn")
        .current_dir(common::root());
    c
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A fresh copy of a data directory with the Hamburg sample ingested (made once per run).
fn sample() -> tempfile::TempDir {
    static TEMPLATE: OnceLock<tempfile::TempDir> = OnceLock::new();
    let template = TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("base");
        for kind in ["startups", "challenges"] {
            let file = format!("data/hamburg/{kind}.jsonl");
            common::run_ok(&mut govmatch(&[
                "ingest",
                kind,
                &file,
                "--data-dir",
                data.to_str().unwrap(),
            ]));
        }
        dir
    });
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&template.path().join("base"), &dir.path().join("base"));
    dir
}

fn base(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("base")
}

fn serve(data: &Path, extra: &[&str]) -> ServerProcess {
    ServerProcess::spawn(MODEL, data, extra).wait_ready()
}

/// Sends a JSON body (raw text, so tests can write what serde would not) and returns the
/// status and the parsed answer.
fn post_raw(s: &ServerProcess, path: &str, content_type: &str, body: &str) -> (u16, Value) {
    let r = http()
        .post(s.url(path))
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn get_json(s: &ServerProcess, path: &str) -> (u16, Value) {
    let r = http().get(s.url(path)).send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn error_field(v: &Value) -> Option<&str> {
    v["error"]["field"].as_str()
}

/// Waits for a process to exit (at most 120 s) and returns its output.
fn finish(mut child: std::process::Child) -> std::process::Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("process did not exit in 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

/// Every file below `dir` with its bytes, to prove a command touched nothing.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(snapshot(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn p01_an_empty_or_missing_database_beside_saved_indexes_is_refused_touching_nothing() {
    let dir = sample();
    let data = base(&dir);
    let index = snapshot(&data.join("index"));
    assert!(!index.is_empty(), "ingest saved the indexes");
    for damage in ["empty", "missing"] {
        let db = data.join("govmatch.db");
        match damage {
            "empty" => std::fs::write(&db, b"").unwrap(),
            _ => {
                let _ = std::fs::remove_file(&db);
            }
        }
        for f in ["govmatch.db-wal", "govmatch.db-shm"] {
            let _ = std::fs::remove_file(data.join(f));
        }
        let out = finish(
            govmatch(&[
                "serve",
                "--data-dir",
                data.to_str().unwrap(),
                "--addr",
                "127.0.0.1:0",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "serve over a {damage} database started"
        );
        assert!(err.contains("refusing to open it"), "{err}");
        let out = govmatch(&["index", "status", "--data-dir", data.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "index status over a {damage} database"
        );
        assert_eq!(
            snapshot(&data.join("index")),
            index,
            "the saved indexes are untouched"
        );
        let size = std::fs::metadata(&db).map(|m| m.len()).ok();
        assert!(
            matches!(size, None | Some(0)),
            "nothing written into the database"
        );
    }
}

#[test]
fn p02_an_ndjson_upload_killed_mid_way_stores_all_or_nothing_and_a_partial_answer_is_exact() {
    let dir = sample();
    let data = base(&dir);
    // Counted through the server itself, so the test reads any build's store alike.
    let startups = |s: &ServerProcess| get_json(s, "/v1/ready").1["startups"].as_u64().unwrap();
    let body: String = (0..1500)
        .map(|i| {
            json!({"id": format!("bulk-{i}"), "name": format!("Bulk {i}"),
                   "one_liner": format!("Sensor network number {i} for counting parked bicycles in district {}", i % 37)})
            .to_string()
                + "\n"
        })
        .collect();
    let server = serve(&data, &[]);
    let before = startups(&server);
    let url = server.url("/v1/startups");
    let sender = std::thread::spawn(move || {
        http()
            .post(url)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .map(|r| r.status().as_u16())
    });
    // Mid-way through embedding 1,500 texts (several seconds with MiniLM on two cores).
    std::thread::sleep(Duration::from_millis(1500));
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let answered = sender.join().unwrap();
    let server = serve(&data, &[]);
    let after = startups(&server);
    match answered {
        Ok(200) => assert_eq!(after, before + 1500),
        _ => assert!(
            after == before || after == before + 1500,
            "a killed upload left {} of 1,500 records",
            after - before
        ),
    }
    drop(server);
    // A body with good and bad lines stores exactly the good ones and says so.
    let server = serve(&data, &[]);
    let start = startups(&server);
    let mixed = "{\"id\":\"good-1\",\"name\":\"G\",\"one_liner\":\"counts bikes\"}\n\
                 {\"id\":\"bad 1\",\"name\":\"B\",\"one_liner\":\"x\"}\n\
                 {\"id\":\"good-2\",\"name\":\"H\",\"one_liner\":\"counts cars\"}\n";
    let (status, v) = post_raw(&server, "/v1/startups", "application/x-ndjson", mixed);
    assert_eq!(status, 207, "{v}");
    assert_eq!(v["stored"], 2);
    assert_eq!(v["rejected"], 1);
    assert_eq!(v["errors"][0]["line"], 2);
    assert_eq!(v["errors"][0]["field"], "id");
    assert_eq!(startups(&server), start + 2);
}

#[test]
fn p03_a_deleted_record_leaves_the_shortlist_and_a_reused_id_starts_clean() {
    let dir = sample();
    let server = serve(&base(&dir), &[]);
    let client = http();
    let put = |challenge: &str, startup: &str| {
        let r = client
            .put(server.url(&format!("/v1/challenges/{challenge}/shortlist/{startup}")))
            .json(&json!({"stage": "pilot", "note": "promising"}))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    };
    put("hh-c-001", "hh-s-001");
    let r = client
        .delete(server.url("/v1/startups/hh-s-001"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    let (_, list) = get_json(&server, "/v1/challenges/hh-c-001/shortlist");
    assert_eq!(list["shortlist"], json!([]), "{list}");
    let history = list["history"].as_array().unwrap();
    let last = history.last().unwrap();
    assert_eq!(last["startup"], "hh-s-001");
    assert_eq!(last["stage"], "rejected");
    assert!(
        last["reason"].as_str().unwrap().contains("deleted"),
        "{last}"
    );

    // A challenge deleted and created again under its id has an empty shortlist.
    put("hh-c-002", "hh-s-002");
    let (_, old) = get_json(&server, "/v1/challenges/hh-c-002");
    let r = client
        .delete(server.url("/v1/challenges/hh-c-002"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = client
        .post(server.url("/v1/challenges"))
        .json(&old)
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let (_, list) = get_json(&server, "/v1/challenges/hh-c-002/shortlist");
    assert_eq!(list["history"], json!([]), "{list}");
    assert_eq!(list["shortlist"], json!([]), "{list}");
}

#[test]
fn p04_impossible_dates_are_refused_naming_the_field() {
    let dir = sample();
    let server = serve(&base(&dir), &[]);
    for (body, field) in [
        (
            json!({"id": "d-1", "title": "T", "deadline": "2027-02-30"}),
            "deadline",
        ),
        (
            json!({"id": "d-2", "title": "T", "deadline": "2027-02-03T25:00:00Z"}),
            "deadline",
        ),
        (
            json!({"id": "d-3", "title": "T", "updated_at": "yesterday"}),
            "updated_at",
        ),
    ] {
        let (status, v) = post_raw(
            &server,
            "/v1/challenges",
            "application/json",
            &body.to_string(),
        );
        assert_eq!(status, 422, "{body}: {v}");
        assert_eq!(error_field(&v), Some(field));
    }
    let (status, _) = get_json(&server, "/v1/challenges/d-1");
    assert_eq!(status, 404);
}

#[test]
fn p05_read_commands_refuse_a_mistyped_directory_and_a_fully_rejected_ingest_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("mistyped-dir");
    let m = missing.to_str().unwrap();
    let out_file = dir.path().join("out.csv");
    for (args, model) in [
        (vec!["audit", "export", "--data-dir", m], false),
        (vec!["audit", "shortlists", "--data-dir", m], false),
        (vec!["feedback", "export", "--data-dir", m], false),
        (vec!["search", "startups", "sensors", "--data-dir", m], true),
        (
            vec![
                "batch",
                "--out",
                out_file.to_str().unwrap(),
                "--data-dir",
                m,
            ],
            true,
        ),
        (vec!["delete", "startups", "x", "--data-dir", m], true),
        (vec!["index", "status", "--data-dir", m], true),
    ] {
        let out = if model { govmatch(&args) } else { plain(&args) }
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(err.contains("holds no govmatch store"), "{args:?}: {err}");
        assert!(!missing.exists(), "{args:?} created the directory");
    }
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"id\":\"a\"}\n{\"id\":\"/..\",\"name\":\"B\",\"one_liner\":\"x\"}\n",
    )
    .unwrap();
    let out = govmatch(&["ingest", "startups", bad.to_str().unwrap(), "--data-dir", m])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("nothing was stored"), "{err}");
    assert!(!err.contains("the others were stored"), "{err}");
    assert!(!missing.exists(), "a fully rejected ingest created a store");
}

#[test]
fn p06_an_index_that_cannot_be_saved_is_served_from_memory() {
    let dir = sample();
    let data = base(&dir);
    // Saving needs `index/` to be a directory; a file there fails every save, as a full
    // disk does, while the store is intact.
    std::fs::remove_dir_all(data.join("index")).unwrap();
    std::fs::write(data.join("index"), b"not a directory").unwrap();
    let server = serve(&data, &[]);
    let (status, v) = get_json(&server, "/v1/challenges/hh-c-001/matches?k=3");
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["matches"].as_array().unwrap().len(), 3);
}

#[test]
fn p07_audit_ids_are_made_by_the_server_and_unique() {
    let dir = sample();
    let server = serve(&base(&dir), &[]);
    let client = http();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = client
            .get(server.url("/v1/challenges/hh-c-001/matches?k=3"))
            .header("x-request-id", "dup-rid")
            .send()
            .unwrap();
        assert_eq!(r.headers()["x-client-request-id"], "dup-rid");
        let header = r.headers()["x-request-id"].to_str().unwrap().to_string();
        let v: Value = r.json().unwrap();
        assert_eq!(v["request_id"], header.as_str());
        ids.push((header, v["matches"][0]["id"].as_str().unwrap().to_string()));
    }
    assert_ne!(ids[0].0, ids[1].0);
    assert!(ids.iter().all(|(id, _)| id != "dup-rid"));
    // Feedback must name the server's id; the caller's is not a key to any list.
    let feedback = |request_id: &str, item: &str| {
        post_raw(
            &server,
            "/v1/feedback",
            "application/json",
            &json!({"request_id": request_id, "item": item, "label": 2}).to_string(),
        )
    };
    assert_eq!(feedback("dup-rid", &ids[0].1).0, 404);
    assert_eq!(feedback(&ids[0].0, &ids[0].1).0, 201);
    // A forged log field in the caller's id is not kept.
    let r = client
        .get(server.url("/v1/health"))
        .header("x-request-id", "a\" b=c\tlevel=ERROR msg=forged")
        .send()
        .unwrap();
    assert!(r.headers().get("x-client-request-id").is_none());
}

#[test]
fn p08_redirect_targets_with_control_characters_are_refused_before_anything_is_written() {
    let dir = sample();
    let server = serve(&base(&dir), &[]);
    let client = http();
    let page = client
        .get(server.url("/challenges/hh-c-001"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the page has a CSRF token")
        .to_string();
    let r = client
        .post(server.url("/challenges/hh-c-001/shortlist"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("startup", "hh-s-001"),
            ("stage", "proposed"),
            ("back", "k=5\r\nSet-Cookie: x=1"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 422);
    let (_, list) = get_json(&server, "/v1/challenges/hh-c-001/shortlist");
    assert_eq!(list["history"], json!([]), "nothing was stored: {list}");
    for path in [
        "/signin?next=/%0d%0a/x",
        "/language?to=en&next=/%0d%0a/x",
        "/language?to=en&next=/%09/evil.example",
    ] {
        let r = client.get(server.url(path)).send().unwrap();
        assert!(r.status().as_u16() < 500, "{path}: {}", r.status());
        if let Some(location) = r.headers().get("location") {
            assert_eq!(location, "/", "{path}");
        }
    }
}

#[test]
fn p09_p11_lookalike_ids_and_invisible_text_are_refused_by_field() {
    let dir = sample();
    let server = serve(&base(&dir), &[]);
    for id in [
        "hh-s-001\u{200b}",
        "\u{202e}evil",
        "sp ace",
        "a/b",
        "..",
        "x\u{1b}",
    ] {
        let body = json!({"id": id, "name": "Lookalike", "one_liner": "Anonyme Verkehrszählung"});
        let (status, v) = post_raw(
            &server,
            "/v1/startups",
            "application/json",
            &body.to_string(),
        );
        assert_eq!(status, 422, "{id:?}: {v}");
        assert_eq!(error_field(&v), Some("id"), "{id:?}");
    }
    // Point 10: a control character in a name is refused.
    let body = json!({"id": "red-1", "name": "\u{1b}[31mRED", "one_liner": "x"});
    let (status, v) = post_raw(
        &server,
        "/v1/startups",
        "application/json",
        &body.to_string(),
    );
    assert_eq!((status, error_field(&v)), (422, Some("name")), "{v}");
    // Point 11: text of zero-width characters only is no query, no reason.
    let (status, v) = post_raw(
        &server,
        "/v1/match",
        "application/json",
        &json!({"text": "\u{200b}\u{200b}\u{feff}"}).to_string(),
    );
    assert_eq!((status, error_field(&v)), (422, Some("text")), "{v}");
    let r = http()
        .put(server.url("/v1/challenges/hh-c-001/shortlist/hh-s-002"))
        .json(&json!({"stage": "rejected", "reason": "\u{a0}\u{200b}"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 422);
    let v: Value = r.json().unwrap();
    assert_eq!(error_field(&v), Some("reason"));
}

#[test]
fn p12_csv_exports_never_start_a_formula() {
    let dir = sample();
    let data = base(&dir);
    // A startup whose text is the challenge's own, so it leads that challenge's list.
    let challenges =
        std::fs::read_to_string(common::root().join("data/hamburg/challenges.jsonl")).unwrap();
    let c: Value = challenges
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|c| c["id"] == "hh-c-001")
        .unwrap();
    let file = dir.path().join("formula.jsonl");
    std::fs::write(
        &file,
        json!({"id": "formula-1", "name": "=HYPERLINK(\"http://x\")",
               "one_liner": c["title"],
               "description": format!("{}. {}", c["description"].as_str().unwrap(), c["desired_outcome"].as_str().unwrap())})
        .to_string(),
    )
    .unwrap();
    let d = data.to_str().unwrap();
    common::run_ok(&mut govmatch(&[
        "ingest",
        "startups",
        file.to_str().unwrap(),
        "--data-dir",
        d,
    ]));
    let out = dir.path().join("batch.csv");
    common::run_ok(&mut govmatch(&[
        "batch",
        "--out",
        out.to_str().unwrap(),
        "-k",
        "3",
        "--data-dir",
        d,
    ]));
    let csv = std::fs::read_to_string(&out).unwrap();
    let line = csv
        .lines()
        .find(|l| l.contains("formula-1"))
        .expect("formula-1 is listed");
    assert!(line.contains("\"'=HYPERLINK("), "{line}");
    assert!(!line.contains(",\"=HYPERLINK"), "{line}");

    // The scouting report's CSV: the name and a rejection reason.
    let server = serve(&data, &[]);
    let client = http();
    client
        .get(server.url("/challenges/hh-c-001"))
        .send()
        .unwrap();
    let r = client
        .put(server.url("/v1/challenges/hh-c-001/shortlist/formula-1"))
        .json(&json!({"stage": "rejected", "reason": "=1+2"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let report = client
        .get(server.url("/challenges/hh-c-001/report.csv"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let line = report
        .lines()
        .find(|l| l.contains("formula-1"))
        .expect("listed");
    assert!(
        line.contains("'=HYPERLINK(") && line.contains("'=1+2"),
        "{line}"
    );
    assert!(!line.split(',').any(|cell| cell.starts_with('=')), "{line}");
}

#[test]
fn p13_p14_repeated_keys_are_refused_a_bom_is_skipped_and_type_errors_name_the_field() {
    let dir = sample();
    let server = serve(&base(&dir), &[]);
    let (status, v) = post_raw(
        &server,
        "/v1/startups",
        "application/json",
        r#"{"id":"dup-1","id":"dup-2","name":"D","one_liner":"x"}"#,
    );
    assert_eq!((status, error_field(&v)), (422, Some("id")), "{v}");
    assert_eq!(get_json(&server, "/v1/startups/dup-2").0, 404);
    let (status, v) = post_raw(
        &server,
        "/v1/match",
        "application/json",
        r#"{"text":"Radverkehr","text":"Ladesäulen"}"#,
    );
    assert_eq!((status, error_field(&v)), (422, Some("text")), "{v}");
    let (status, v) = post_raw(
        &server,
        "/v1/startups",
        "application/x-ndjson",
        "\u{feff}{\"id\":\"bom-1\",\"name\":\"B\",\"one_liner\":\"counts bikes\"}\n",
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(get_json(&server, "/v1/startups/bom-1").0, 200);

    // Point 14: the field is named, not the value.
    let (_, listed) = get_json(&server, "/v1/challenges/hh-c-001/matches?k=1");
    let rid = listed["request_id"].as_str().unwrap();
    for (label, _) in [("1.5", ()), ("null", ())] {
        let body = format!(r#"{{"request_id":"{rid}","item":"x","label":{label}}}"#);
        let (status, v) = post_raw(&server, "/v1/feedback", "application/json", &body);
        assert_eq!(
            (status, error_field(&v)),
            (422, Some("label")),
            "{label}: {v}"
        );
    }
    let (status, v) = post_raw(
        &server,
        "/v1/match",
        "application/json",
        r#"{"text":"Radverkehr","min_score":1e999}"#,
    );
    assert_eq!((status, error_field(&v)), (422, Some("min_score")), "{v}");
    let r = http()
        .put(server.url("/v1/challenges/hh-c-001/shortlist/hh-s-001"))
        .header("content-type", "application/json")
        .body(r#"{"stage":null}"#)
        .send()
        .unwrap();
    assert_eq!(r.status(), 422);
    let v: Value = r.json().unwrap();
    assert_eq!(error_field(&v), Some("stage"), "{v}");
}

#[test]
fn p15_the_error_list_of_a_bad_upload_is_capped() {
    let dir = sample();
    let server = serve(&base(&dir), &[]);
    let body = "{\"id\":\"no name\"}\n".repeat(20_000);
    let r = http()
        .post(server.url("/v1/startups"))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(r.status(), 422);
    let text = r.text().unwrap();
    assert!(text.len() < 64 * 1024, "answer of {} bytes", text.len());
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["rejected"], 20_000);
    assert_eq!(v["errors"].as_array().unwrap().len(), 100);
    assert_eq!(v["errors_omitted"], 19_900);
    assert_eq!(v["stored"], 0);
}

#[test]
fn p16_connections_that_never_finish_their_headers_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::spawn(MODEL, dir.path(), &["--header-timeout", "1"]);
    let mut streams: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut s = TcpStream::connect(&server.addr).unwrap();
            s.write_all(b"GET /v1/health HTTP/1.1\r\nHost: localhost\r\n")
                .unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_secs(3));
    let mut closed = 0;
    for s in &mut streams {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = Vec::new();
        // The server closes the connection (perhaps after a 408): the read ends.
        match s.read_to_end(&mut buf) {
            Ok(_) => closed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => closed += 1,
            Err(_) => {}
        }
    }
    assert_eq!(
        closed, 200,
        "connections still open after the header timeout"
    );
    // A complete request is still answered.
    let r = http().get(server.url("/v1/health")).send().unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn p02_a_server_killed_during_a_stream_of_shortlist_changes_keeps_every_acknowledged_one() {
    let dir = sample();
    let data = base(&dir);
    let mut server = serve(&data, &[]);
    let url = server.url("/v1/challenges/hh-c-001/shortlist");
    let writer = std::thread::spawn(move || {
        let client = http();
        let mut acknowledged = Vec::new();
        for i in 0..100_000 {
            let startup = format!("hh-s-{:03}", 1 + i % 20);
            let sent = client
                .put(format!("{url}/{startup}"))
                .timeout(Duration::from_secs(5))
                .json(&json!({"stage": "contacted", "note": format!("change {i}")}))
                .send();
            match sent {
                Ok(r) if r.status() == 200 => acknowledged.push(format!("change {i}")),
                Ok(r) => panic!("change {i}: {}", r.status()),
                Err(_) => break, // the server is gone
            }
        }
        acknowledged
    });
    std::thread::sleep(Duration::from_millis(1500));
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let acknowledged = writer.join().unwrap();
    assert!(
        acknowledged.len() > 10,
        "only {} changes before the kill",
        acknowledged.len()
    );
    let store = govmatch::store::open(&data).unwrap();
    let notes: std::collections::HashSet<String> = store
        .shortlist_history("hh-c-001")
        .unwrap()
        .into_iter()
        .map(|e| e.note)
        .collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|n| !notes.contains(*n))
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
}
