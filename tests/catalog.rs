//! The store and the HNSW index as users rely on them: bad records reported, good ones kept,
//! no stale results after updates and deletes, filters honoured, restarts and damage survived.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use govmatch::domain::Kind;
use govmatch::embed::{role_for, Embedder, LongText, Role};
use govmatch::index::{
    index_dir, open_synced, Filter, HnswIndex, HnswParams, Origin, Save, SyncReport,
};
use govmatch::ingest::{read_file, store_records};
use govmatch::store::Store;

const MODEL: &str = "all-MiniLM-L6-v2";

fn embedder() -> &'static Embedder {
    static E: OnceLock<Embedder> = OnceLock::new();
    E.get_or_init(|| common::embedder(MODEL, LongText::Window { overlap: 32 }))
}

/// A data directory holding the Hamburg sample's startups, ingested once and copied per test.
fn sample_store() -> tempfile::TempDir {
    static TEMPLATE: OnceLock<tempfile::TempDir> = OnceLock::new();
    let template = TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut store = govmatch::store::open(dir.path()).unwrap();
        let path = common::root().join("data/hamburg/startups.jsonl");
        let read = read_file(Kind::Startup, &path, None).unwrap();
        let (records, issues) = (read.records, read.issues);
        assert!(issues.is_empty(), "{issues:?}");
        store_records(&mut *store, embedder(), &records, &|_| {}).unwrap();
        dir
    });
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(template.path()).unwrap() {
        let f = f.unwrap();
        if f.file_type().unwrap().is_file() {
            std::fs::copy(f.path(), dir.path().join(f.file_name())).unwrap();
        }
    }
    dir
}

fn open(dir: &Path) -> (Box<dyn Store>, HnswIndex, SyncReport) {
    let store = govmatch::store::open(dir).unwrap();
    let key = embedder().key(role_for(Kind::Startup));
    let (index, report) = open_synced(
        &*store,
        Kind::Startup,
        &key,
        384,
        dir,
        HnswParams::default(),
        Save::IfChanged,
    )
    .unwrap();
    (store, index, report)
}

fn ids(index: &HnswIndex, hits: &[govmatch::index::Hit]) -> Vec<String> {
    hits.iter().map(|h| index.entry(h.row).id.clone()).collect()
}

fn query(text: &str) -> Vec<f32> {
    embedder().embed_one(text, Role::Query).unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn govmatch(args: &[&str]) -> Command {
    common::govmatch(args, MODEL)
}

#[test]
fn bad_records_are_reported_with_line_and_field_and_good_ones_stored() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let long = "x".repeat(60_000);
    let mut file = Vec::new();
    file.extend_from_slice(
        br#"{"id":"good-1","name":"Parkly","description":"Parking sensors for cities."}"#,
    );
    file.extend_from_slice(b"\n");
    file.extend_from_slice(br#"{"id":"bad-type","name":"X","description":"ok","sectors":5}"#);
    file.extend_from_slice(b"\n");
    file.extend_from_slice(b"{\"id\":\"bad-utf8\",\"name\":\"\xff\",\"description\":\"d\"}\n");
    file.extend_from_slice(
        format!("{{\"id\":\"bad-long\",\"name\":\"L\",\"description\":\"{long}\"}}\n").as_bytes(),
    );
    file.extend_from_slice(br#"{"id":"good-1","name":"Dup","description":"again"}"#);
    file.extend_from_slice(b"\n");
    file.extend_from_slice(br#"{"id":"bad-field","name":"Y","descripton":"typo"}"#);
    file.extend_from_slice(b"\n");
    file.extend_from_slice(
        br#"{"id":"good-2","name":"Schulweg","one_liner":"Sichere Schulwege planen."}"#,
    );
    file.extend_from_slice(b"\n");
    file.extend_from_slice(br#"{"name":"no id","description":"d"}"#);
    file.extend_from_slice(b"\n");
    let path = write(dir.path(), "mixed.jsonl", &file);
    let out = govmatch(&[
        "ingest",
        "startups",
        path.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for (line, what) in [
        ("line 2", "field `sectors`"),
        ("line 3", "invalid UTF-8"),
        ("line 4", "field `description`: is too long"),
        ("line 5", "duplicate id `good-1` (first at line 1)"),
        ("line 6", "descripton"),
        ("line 8", "field `id`"),
    ] {
        assert!(
            err.lines()
                .any(|l| l.contains(&format!("mixed.jsonl: {line}: ")) && l.contains(what)),
            "no report of {what} at {line} in:\n{err}"
        );
    }
    let (store, index, _) = open(&data);
    assert_eq!(store.count(Kind::Startup).unwrap(), 2);
    let hits = index.search(&query("parking sensors"), 5, None, &Filter::default());
    assert_eq!(ids(&index, &hits), vec!["good-1", "good-2"]);
}

#[test]
fn updates_and_deletes_never_return_stale_records() {
    let dir = sample_store();
    let (mut store, index, _) = open(dir.path());
    let q = query("drones inspecting bridges for damage");
    let top = ids(&index, &index.search(&q, 3, None, &Filter::default()));
    let first = top[0].clone();
    // Update the best match to something unrelated: it must drop out; delete the second.
    let mut rec: serde_json::Value =
        serde_json::from_str(&store.get(Kind::Startup, &first).unwrap().unwrap().data).unwrap();
    rec["description"] = "We sell artisanal pet food subscriptions.".into();
    rec["one_liner"] = "Pet food.".into();
    let path = write(
        dir.path(),
        "update.json",
        serde_json::to_string(&vec![rec]).unwrap().as_bytes(),
    );
    let records = read_file(Kind::Startup, &path, None).unwrap().records;
    let counts = store_records(&mut *store, embedder(), &records, &|_| {}).unwrap();
    assert_eq!((counts.stored.updated, counts.embedded), (1, 1));
    store
        .delete(Kind::Startup, &[top[1].clone()], "test")
        .unwrap();
    drop(index);
    let (_, index, report) = open(dir.path());
    assert_eq!(report.origin, Origin::Loaded, "incremental, not rebuilt");
    assert_eq!((report.inserted, report.removed), (1, 1));
    for exact in [false, true] {
        let hits = if exact {
            index.search_exact(&q, 300, &Filter::default())
        } else {
            index.search(&q, 300, Some(400), &Filter::default())
        };
        let got = ids(&index, &hits);
        assert!(
            !got.contains(&top[1]),
            "deleted record returned (exact={exact})"
        );
        assert_eq!(
            got.iter().filter(|i| **i == first).count(),
            1,
            "one live copy of the updated record"
        );
        let pos = got.iter().position(|i| *i == first).unwrap();
        assert!(
            pos > 20,
            "updated record still ranks by its old text (exact={exact})"
        );
        let unique: std::collections::HashSet<_> = got.iter().collect();
        assert_eq!(unique.len(), got.len(), "duplicate ids in results");
    }
}

#[test]
fn filtered_search_returns_only_matches_and_as_many_as_asked() {
    let dir = sample_store();
    let (_, index, _) = open(dir.path());
    let q = query("software for public administration");
    let live: Vec<_> = index.entries().iter().filter(|e| e.alive).collect();
    let filters = [
        Filter {
            region: vec!["hamburg".into()],
            ..Filter::default()
        },
        Filter {
            stage: vec!["seed".into()],
            ..Filter::default()
        },
        Filter {
            sectors: vec!["mobility".into(), "logistics".into()],
            ..Filter::default()
        },
        Filter {
            language: vec!["de".into()],
            stage: vec!["series-a".into(), "growth".into()],
            ..Filter::default()
        },
        Filter {
            region: vec!["nowhere".into()],
            ..Filter::default()
        },
    ];
    for filter in filters {
        let matching = live.iter().filter(|e| filter.matches(&e.facets)).count();
        for k in [5, 20] {
            let hits = index.search(&q, k, None, &filter);
            assert_eq!(hits.len(), k.min(matching), "{filter:?} k={k}");
            assert!(hits
                .iter()
                .all(|h| filter.matches(&index.entry(h.row).facets)));
            let exact = index.search_exact(&q, k, &filter);
            let overlap = ids(&index, &hits)
                .iter()
                .filter(|i| ids(&index, &exact).contains(i))
                .count();
            assert!(
                overlap * 10 >= exact.len() * 9,
                "filtered HNSW recall too low for {filter:?}"
            );
        }
    }
}

#[test]
fn reload_gives_the_same_results_and_a_damaged_index_is_rebuilt() {
    let dir = sample_store();
    let (_, index, first) = open(dir.path());
    assert!(matches!(first.origin, Origin::Rebuilt(_)));
    let queries: Vec<Vec<f32>> = [
        "traffic counting cameras",
        "Pflegekräfte Dienstplanung",
        "port logistics",
    ]
    .iter()
    .map(|q| query(q))
    .collect();
    let before: Vec<Vec<String>> = queries
        .iter()
        .map(|q| ids(&index, &index.search(q, 10, None, &Filter::default())))
        .collect();
    drop(index);

    let (_, index, report) = open(dir.path());
    assert_eq!(report.origin, Origin::Loaded);
    let after: Vec<Vec<String>> = queries
        .iter()
        .map(|q| ids(&index, &index.search(q, 10, None, &Filter::default())))
        .collect();
    assert_eq!(before, after);
    drop(index);

    let key = embedder().key(role_for(Kind::Startup));
    let graph = index_dir(dir.path(), Kind::Startup, &key).join("graph.hnsw.graph");
    let len = std::fs::metadata(&graph).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&graph)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let (_, index, report) = open(dir.path());
    match &report.origin {
        Origin::Rebuilt(why) => assert!(why.contains("damaged"), "{why}"),
        other => panic!("expected a rebuild, got {other:?}"),
    }
    let rebuilt: Vec<Vec<String>> = queries
        .iter()
        .map(|q| ids(&index, &index.search_exact(q, 10, &Filter::default())))
        .collect();
    assert_eq!(before, rebuilt);
}

#[test]
fn kill_during_a_large_ingest_keeps_everything_committed_before() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let sample = common::root().join("data/hamburg/startups.jsonl");
    common::run_ok(&mut govmatch(&[
        "ingest",
        "startups",
        sample.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]));
    // A large file of distinct startups, killed part-way.
    let big: String = (0..4000)
        .map(|i| {
            format!(
                "{{\"id\":\"big-{i}\",\"name\":\"Company {i}\",\"description\":\"Company number {i} builds tool {} for sector {}.\"}}\n",
                i * 7919 % 10007,
                i % 97
            )
        })
        .collect();
    let big = write(dir.path(), "big.jsonl", big.as_bytes());
    let mut child = govmatch(&[
        "ingest",
        "startups",
        big.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ])
    .spawn()
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let n = govmatch::store::open(&data)
            .unwrap()
            .count(Kind::Startup)
            .unwrap();
        if n > 300 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "ingest made no progress"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let store = govmatch::store::open(&data).unwrap();
    let n = store.count(Kind::Startup).unwrap();
    assert!(n > 300 && n < 4300, "{n}");
    assert_eq!(
        (n - 300) % govmatch::ingest::CHUNK,
        0,
        "only whole chunks are committed"
    );
    let records = read_file(Kind::Startup, &sample, None).unwrap().records;
    for r in &records {
        let stored = store
            .get(Kind::Startup, r.id())
            .unwrap()
            .expect("committed record kept");
        assert_eq!(stored.data, r.to_json());
    }
    drop(store);
    // Resuming stores the rest and re-embeds nothing already committed.
    let out = govmatch(&[
        "ingest",
        "startups",
        big.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        stdout.contains(&format!("reused {} stored vectors", n - 300)),
        "{stdout}"
    );
    let (store, index, _) = open(&data);
    assert_eq!(store.count(Kind::Startup).unwrap(), 4300);
    assert_eq!(index.len(), 4300);
}
