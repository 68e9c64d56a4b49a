//! The store contract's conformance suite: what every backend must do, written against the
//! traits of `govmatch::store::contract` only, so a new backend (PostgreSQL) proves itself by
//! passing it unchanged — one `conformance!` line per backend. It covers records, vectors,
//! quality flags, the audit trail, feedback, the scouting record, shortlists, migrations,
//! concurrent writers and a crash between two statements of a write. A backend that drops
//! a write fails it (the last test shows that).

use std::collections::HashMap;
use std::sync::Mutex;

use govmatch::domain::{Kind, ShortlistEntry, Stage};
use govmatch::store::contract::*;
use govmatch::store::{RecordWithVector, StoreError, StoredRecord, UpsertCounts};

/// How the suite reaches a backend.
pub trait Harness: Sync {
    /// A new, empty location (a directory, a database).
    fn fresh(&self) -> String;
    /// Opens (creating, migrating) the store at a location.
    fn try_open(&self, at: &str) -> Result<Box<dyn Store>, StoreError>;
    /// Sets the schema version a location says it has, as a newer govmatch would leave it.
    fn force_schema_version(&self, at: &str, version: i64);
    fn open(&self, at: &str) -> Box<dyn Store> {
        self.try_open(at).expect("store opens")
    }
}

/// SQLite in a temporary directory per location.
#[derive(Default)]
pub struct Sqlite {
    dirs: Mutex<Vec<tempfile::TempDir>>,
}

impl Harness for Sqlite {
    fn fresh(&self) -> String {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().to_str().unwrap().to_string();
        self.dirs.lock().unwrap().push(dir);
        at
    }
    fn try_open(&self, at: &str) -> Result<Box<dyn Store>, StoreError> {
        govmatch::store::open(std::path::Path::new(at))
    }
    fn force_schema_version(&self, at: &str, version: i64) {
        let path = std::path::Path::new(at).join("govmatch.db");
        rusqlite::Connection::open(path)
            .and_then(|c| c.pragma_update(None, "user_version", version))
            .unwrap();
    }
}

fn record(id: &str, text: &str) -> StoredRecord {
    StoredRecord {
        id: id.into(),
        data: format!("{{\"id\":\"{id}\",\"text\":\"{text}\"}}"),
        text_hash: format!("h-{text}"),
    }
}

fn flags(id: &str) -> QualityRow {
    QualityRow {
        id: id.into(),
        informative_words: 7,
        contentless: None,
        missing: vec!["stage".into(), "region".into()],
        website_key: Some("example.org".into()),
        text_key: None,
    }
}

fn vector(seed: f32) -> Vec<f32> {
    vec![seed, -seed / 3.0, 1e-38, f32::MIN_POSITIVE, -0.0, 123.456]
}

fn entry(challenge: &str, startup: &str, stage: Stage, at: &str) -> ShortlistEntry {
    ShortlistEntry {
        challenge: challenge.into(),
        startup: startup.into(),
        stage,
        reason: (stage == Stage::Rejected).then(|| "does not fit".into()),
        note: "Gespräch am Montag".into(),
        changed_by: "scout".into(),
        changed_at: at.into(),
    }
}

fn audit_entry(request_id: &str, challenge: &str, results: &[&str]) -> AuditEntry {
    AuditEntry {
        request_id: request_id.into(),
        client_request_id: Some(format!("client-{request_id}")),
        served_at: "2026-12-07T10:00:00Z".into(),
        route: "/v1/challenges/{id}/matches".into(),
        model: "m".into(),
        index_version: "startups@1".into(),
        query: serde_json::json!({"kind": "challenges", "id": challenge}),
        params: serde_json::json!({"k": results.len()}),
        results: results
            .iter()
            .enumerate()
            .map(|(i, id)| AuditResult {
                id: id.to_string(),
                score: 0.9 - i as f32 / 10.0,
            })
            .collect(),
    }
}

/// Records: counts of an upsert, reads by id and kind in id order, vectors by text hash
/// (bit for bit), deletes that name what existed and take unused vectors with them.
pub fn records(h: &dyn Harness) {
    let mut s = h.open(&h.fresh());
    let c = s
        .upsert(
            Kind::Startup,
            &[record("b", "two"), record("a", "one")],
            &[flags("b"), flags("a")],
            "k",
            &[("h-one".into(), vector(1.0)), ("h-two".into(), vector(2.0))],
        )
        .unwrap();
    assert_eq!(
        c,
        UpsertCounts {
            inserted: 2,
            updated: 0,
            unchanged: 0
        }
    );
    let c = s
        .upsert(
            Kind::Startup,
            &[record("a", "one"), record("b", "three")],
            &[flags("a"), flags("b")],
            "k",
            &[("h-three".into(), vector(3.0))],
        )
        .unwrap();
    assert_eq!((c.inserted, c.updated, c.unchanged), (0, 1, 1));
    assert_eq!(s.count(Kind::Startup).unwrap(), 2);
    assert_eq!(s.count(Kind::Challenge).unwrap(), 0, "kinds are apart");
    assert_eq!(
        s.get(Kind::Startup, "b").unwrap(),
        Some(record("b", "three"))
    );
    assert_eq!(s.get(Kind::Challenge, "b").unwrap(), None);
    let ids: Vec<String> = s
        .records(Kind::Startup)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["a", "b"], "ordered by id");
    let got = s.vector_by_hash("k", "h-three").unwrap().unwrap();
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(&got),
        bits(&vector(3.0)),
        "vectors round-trip bit for bit"
    );
    assert_eq!(s.vector_by_hash("other-model", "h-three").unwrap(), None);
    let with: Vec<RecordWithVector> = s.records_with_vectors(Kind::Startup, "k").unwrap();
    assert!(with.iter().all(|(_, v)| v.is_some()));
    let without = s.records_with_vectors(Kind::Startup, "other").unwrap();
    assert_eq!(without.len(), 2);
    assert!(without.iter().all(|(_, v)| v.is_none()));
    let deleted = s
        .delete(Kind::Startup, &["a".into(), "nope".into()], "tester")
        .unwrap();
    assert_eq!(deleted, ["a"]);
    assert_eq!(s.get(Kind::Startup, "a").unwrap(), None);
    assert_eq!(
        s.vector_by_hash("k", "h-one").unwrap(),
        None,
        "unused vector goes"
    );
    assert!(s.vector_by_hash("k", "h-three").unwrap().is_some());
    // Sentence vectors: kept by key, replaced when written again.
    s.put_sentence_vectors(&[("s1".into(), vector(1.0)), ("s2".into(), vector(2.0))])
        .unwrap();
    s.put_sentence_vectors(&[("s1".into(), vector(5.0))])
        .unwrap();
    let mut sv = s.sentence_vectors().unwrap();
    sv.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        sv,
        vec![("s1".into(), vector(5.0)), ("s2".into(), vector(2.0))]
    );
}

/// Quality flags: stored with their record, gone with it, listed by kind; records without
/// flags found and flagged later.
pub fn quality(h: &dyn Harness) {
    let mut s = h.open(&h.fresh());
    s.upsert(
        Kind::Challenge,
        &[record("c1", "x")],
        &[flags("c1")],
        "k",
        &[],
    )
    .unwrap();
    s.upsert(Kind::Challenge, &[record("c2", "y")], &[], "k", &[])
        .unwrap();
    assert_eq!(s.quality(Kind::Challenge).unwrap(), [flags("c1")]);
    let unflagged: Vec<String> = s
        .records_without_quality(Kind::Challenge)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(unflagged, ["c2"]);
    let mut contentless = flags("c2");
    contentless.contentless = Some("placeholder wording".into());
    s.put_quality(Kind::Challenge, std::slice::from_ref(&contentless))
        .unwrap();
    assert_eq!(
        s.quality(Kind::Challenge).unwrap(),
        [flags("c1"), contentless]
    );
    assert!(s
        .records_without_quality(Kind::Challenge)
        .unwrap()
        .is_empty());
    s.delete(Kind::Challenge, &["c1".into()], "tester").unwrap();
    assert_eq!(s.quality(Kind::Challenge).unwrap().len(), 1);
    assert!(s.quality(Kind::Startup).unwrap().is_empty());
}

/// The audit trail in write order, the latest entry per request id with the caller's id
/// beside it; feedback with its time; identical lists folded in the scouting record.
pub fn audit_and_feedback(h: &dyn Harness) {
    let mut s = h.open(&h.fresh());
    s.append_audit(&[
        audit_entry("r1", "c1", &["s1", "s2"]),
        audit_entry("r2", "c1", &["s1", "s2"]),
        audit_entry("r3", "c1", &["s3"]),
    ])
    .unwrap();
    s.append_audit(&[audit_entry("r4", "c2", &["s9"])]).unwrap();
    let ids: Vec<String> = s
        .audit()
        .unwrap()
        .into_iter()
        .map(|e| e.request_id)
        .collect();
    assert_eq!(ids, ["r1", "r2", "r3", "r4"]);
    assert_eq!(
        s.audit_entry("r3").unwrap(),
        Some(audit_entry("r3", "c1", &["s3"]))
    );
    assert_eq!(s.audit_entry("nope").unwrap(), None);
    s.add_feedback(&Feedback {
        request_id: "r2".into(),
        item: "s2".into(),
        label: 2,
        comment: Some("genau das".into()),
        given_at: None,
    })
    .unwrap();
    let fb = s.feedback().unwrap();
    assert_eq!(fb.len(), 1);
    assert_eq!((fb[0].item.as_str(), fb[0].label), ("s2", 2));
    assert!(fb[0]
        .given_at
        .as_deref()
        .is_some_and(|t| t.starts_with("20")));
    let (searches, judged) = s.searches_for("challenges", "c1").unwrap();
    assert_eq!(searches.len(), 2, "the two identical lists are one search");
    assert_eq!(searches[0].times, 2);
    assert_eq!(searches[1].times, 1);
    assert_eq!(judged.len(), 1);
    assert_eq!(judged[0].search, 0);
    assert!(s.searches_for("challenges", "c9").unwrap().0.is_empty());
}

/// Shortlists: the current stage per startup in the order first added, every change in the
/// history, counts without rejected ones; a deleted record's entries closed, and a challenge
/// created again under its id starting clean.
pub fn shortlists(h: &dyn Harness) {
    let mut s = h.open(&h.fresh());
    s.upsert(Kind::Challenge, &[record("c1", "c")], &[], "k", &[])
        .unwrap();
    s.upsert(
        Kind::Startup,
        &[record("s1", "a"), record("s2", "b")],
        &[],
        "k",
        &[],
    )
    .unwrap();
    s.put_shortlist(&entry("c1", "s2", Stage::Proposed, "t1"))
        .unwrap();
    s.put_shortlist(&entry("c1", "s1", Stage::Proposed, "t2"))
        .unwrap();
    s.put_shortlist(&entry("c1", "s2", Stage::Pilot, "t3"))
        .unwrap();
    let list = s.shortlist("c1").unwrap();
    assert_eq!(
        list.iter()
            .map(|e| (e.startup.as_str(), e.stage))
            .collect::<Vec<_>>(),
        [("s2", Stage::Pilot), ("s1", Stage::Proposed)]
    );
    assert_eq!(s.shortlist_history("c1").unwrap().len(), 3);
    assert_eq!(
        s.shortlist_entry("c1", "s2").unwrap(),
        Some(entry("c1", "s2", Stage::Pilot, "t3"))
    );
    s.put_shortlist(&entry("c1", "s1", Stage::Rejected, "t4"))
        .unwrap();
    assert_eq!(
        s.shortlist_counts().unwrap(),
        HashMap::from([("c1".to_string(), 1)])
    );
    // Deleting a startup closes its entry, with the actor and why.
    s.delete(Kind::Startup, &["s2".into()], "deleter").unwrap();
    assert!(s.shortlist_entry("c1", "s2").unwrap().is_none());
    let last = s.shortlist_history("c1").unwrap().pop().unwrap();
    assert_eq!((last.startup.as_str(), last.stage), ("s2", Stage::Rejected));
    assert_eq!(last.changed_by, "deleter");
    assert!(last.reason.unwrap().contains("deleted"));
    // A challenge deleted and created again starts clean; the export keeps everything.
    s.delete(Kind::Challenge, &["c1".into()], "deleter")
        .unwrap();
    s.upsert(Kind::Challenge, &[record("c1", "c")], &[], "k", &[])
        .unwrap();
    assert!(s.shortlist("c1").unwrap().is_empty());
    assert!(s.shortlist_history("c1").unwrap().is_empty());
    assert!(s.all_shortlist_history().unwrap().len() >= 5);
}

/// Migrations: a new store reports its schema version, a reopened one keeps data and
/// version, and a store of a newer schema is refused, unchanged.
pub fn migrations(h: &dyn Harness) {
    let at = h.fresh();
    let mut s = h.open(&at);
    let version = s.schema_version().unwrap();
    assert!(version > 0);
    s.upsert(Kind::Startup, &[record("a", "one")], &[], "k", &[])
        .unwrap();
    drop(s);
    let s = h.open(&at);
    assert_eq!(
        s.schema_version().unwrap(),
        version,
        "no migration runs twice"
    );
    assert_eq!(s.count(Kind::Startup).unwrap(), 1);
    drop(s);
    h.force_schema_version(&at, version + 1);
    match h.try_open(&at) {
        Err(StoreError::TooNew { found, known, .. }) => {
            assert_eq!((found, known), (version + 1, version))
        }
        Err(e) => panic!("a newer schema must be refused as too new, not: {e}"),
        Ok(_) => panic!("a newer schema was opened"),
    }
}

/// Two handles writing at once: every write lands, none fails for the other's lock.
pub fn concurrent_writers(h: &dyn Harness) {
    let at = h.fresh();
    drop(h.open(&at));
    std::thread::scope(|scope| {
        for w in 0..2 {
            let at = at.clone();
            scope.spawn(move || {
                let mut s = h.open(&at);
                for i in 0..25 {
                    let recs: Vec<StoredRecord> = (0..10)
                        .map(|j| record(&format!("w{w}-{i}-{j}"), &format!("t{w}-{i}-{j}")))
                        .collect();
                    let vecs: Vec<(String, Vec<f32>)> = recs
                        .iter()
                        .map(|r| (r.text_hash.clone(), vector(i as f32)))
                        .collect();
                    s.upsert(Kind::Startup, &recs, &[], "k", &vecs)
                        .unwrap_or_else(|e| panic!("writer {w}, write {i}: {e}"));
                    s.append_audit(&[audit_entry(&format!("r{w}-{i}"), "c", &["x"])])
                        .unwrap_or_else(|e| panic!("writer {w}, audit {i}: {e}"));
                }
            });
        }
    });
    let s = h.open(&at);
    assert_eq!(s.count(Kind::Startup).unwrap(), 500);
    assert_eq!(s.audit().unwrap().len(), 50);
    assert!(s
        .records_with_vectors(Kind::Startup, "k")
        .unwrap()
        .iter()
        .all(|(_, v)| v.is_some()));
}

/// Records per write in [`child_writes`]: a crash leaves a multiple of it.
const CRASH_CHUNK: usize = 25;

/// The child's side of [`crash_mid_write`]: writes chunks until it is killed.
pub fn child_writes(h: &dyn Harness, at: &str) {
    let mut s = h.open(at);
    for i in 0..100_000 {
        let recs: Vec<StoredRecord> = (0..CRASH_CHUNK)
            .map(|j| record(&format!("c{i:06}-{j:02}"), &format!("t{i}-{j}")))
            .collect();
        let q: Vec<QualityRow> = recs.iter().map(|r| flags(&r.id)).collect();
        let vecs: Vec<(String, Vec<f32>)> = recs
            .iter()
            .map(|r| (r.text_hash.clone(), vector(i as f32)))
            .collect();
        s.upsert(Kind::Startup, &recs, &q, "k", &vecs).unwrap();
    }
}

/// A process killed in the middle of writes (between any two of a write's statements)
/// leaves whole writes only: every record with its vector and its flags.
pub fn crash_mid_write(h: &dyn Harness, backend: &str) {
    let at = h.fresh();
    drop(h.open(&at));
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            &format!("{backend}::child_writer"),
            "--exact",
            "--nocapture",
        ])
        .env("GOVMATCH_CONFORMANCE_CHILD", &at)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let n = h.open(&at).count(Kind::Startup).unwrap();
        if n >= 20 * CRASH_CHUNK {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 60,
            "the child wrote {n} records in 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no rollback by the process
    child.wait().unwrap();
    let s = h.open(&at);
    let n = s.count(Kind::Startup).unwrap();
    assert_eq!(n % CRASH_CHUNK, 0, "{n} records: a write was cut in half");
    let with = s.records_with_vectors(Kind::Startup, "k").unwrap();
    assert!(
        with.iter().all(|(_, v)| v.is_some()),
        "a record without its vector"
    );
    assert_eq!(
        s.quality(Kind::Startup).unwrap().len(),
        n,
        "a record without its flags"
    );
}

/// One `#[test]` per part of the suite for a backend, plus the child writer its crash test
/// starts (it does nothing unless started so).
macro_rules! conformance {
    ($backend:ident, $harness:expr) => {
        mod $backend {
            use super::*;
            fn harness() -> impl Harness {
                $harness
            }
            #[test]
            fn records() {
                super::records(&harness())
            }
            #[test]
            fn quality() {
                super::quality(&harness())
            }
            #[test]
            fn audit_and_feedback() {
                super::audit_and_feedback(&harness())
            }
            #[test]
            fn shortlists() {
                super::shortlists(&harness())
            }
            #[test]
            fn migrations() {
                super::migrations(&harness())
            }
            #[test]
            fn concurrent_writers() {
                super::concurrent_writers(&harness())
            }
            #[test]
            fn crash_mid_write() {
                super::crash_mid_write(&harness(), stringify!($backend))
            }
            #[test]
            fn child_writer() {
                if let Ok(at) = std::env::var("GOVMATCH_CONFORMANCE_CHILD") {
                    super::child_writes(&harness(), &at);
                }
            }
        }
    };
}

conformance!(sqlite, Sqlite::default());

/// A backend that loses the last record of every upsert: what the suite must catch.
struct DropsAWrite(Box<dyn Store>);

impl Catalogue for DropsAWrite {
    fn vector_by_hash(&self, k: &str, h: &str) -> Result<Option<Vec<f32>>, StoreError> {
        self.0.vector_by_hash(k, h)
    }
    fn upsert(
        &mut self,
        kind: Kind,
        records: &[StoredRecord],
        quality: &[QualityRow],
        embed_key: &str,
        vectors: &[(String, Vec<f32>)],
    ) -> Result<UpsertCounts, StoreError> {
        let kept = &records[..records.len().saturating_sub(1)];
        let q = &quality[..quality.len().min(kept.len())];
        self.0.upsert(kind, kept, q, embed_key, vectors)
    }
    fn delete(&mut self, kind: Kind, ids: &[String], a: &str) -> Result<Vec<String>, StoreError> {
        self.0.delete(kind, ids, a)
    }
    fn get(&self, kind: Kind, id: &str) -> Result<Option<StoredRecord>, StoreError> {
        self.0.get(kind, id)
    }
    fn count(&self, kind: Kind) -> Result<usize, StoreError> {
        self.0.count(kind)
    }
    fn records(&self, kind: Kind) -> Result<Vec<StoredRecord>, StoreError> {
        self.0.records(kind)
    }
    fn records_with_vectors(
        &self,
        kind: Kind,
        k: &str,
    ) -> Result<Vec<RecordWithVector>, StoreError> {
        self.0.records_with_vectors(kind, k)
    }
    fn sentence_vectors(&self) -> Result<Vec<(String, Vec<f32>)>, StoreError> {
        self.0.sentence_vectors()
    }
    fn put_sentence_vectors(&mut self, items: &[(String, Vec<f32>)]) -> Result<(), StoreError> {
        self.0.put_sentence_vectors(items)
    }
}

impl QualityFlags for DropsAWrite {
    fn quality(&self, kind: Kind) -> Result<Vec<QualityRow>, StoreError> {
        self.0.quality(kind)
    }
    fn records_without_quality(&self, kind: Kind) -> Result<Vec<StoredRecord>, StoreError> {
        self.0.records_without_quality(kind)
    }
    fn put_quality(&mut self, kind: Kind, rows: &[QualityRow]) -> Result<(), StoreError> {
        self.0.put_quality(kind, rows)
    }
}

impl AuditTrail for DropsAWrite {
    fn append_audit(&mut self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        self.0.append_audit(entries)
    }
    fn audit(&self) -> Result<Vec<AuditEntry>, StoreError> {
        self.0.audit()
    }
    fn audit_entry(&self, id: &str) -> Result<Option<AuditEntry>, StoreError> {
        self.0.audit_entry(id)
    }
    fn add_feedback(&mut self, f: &Feedback) -> Result<(), StoreError> {
        self.0.add_feedback(f)
    }
    fn feedback(&self) -> Result<Vec<Feedback>, StoreError> {
        self.0.feedback()
    }
}

impl ScoutingRecord for DropsAWrite {
    fn searches_for(&self, kind: &str, id: &str) -> Result<(Vec<Search>, Vec<Judged>), StoreError> {
        self.0.searches_for(kind, id)
    }
}

impl Shortlists for DropsAWrite {
    fn put_shortlist(&mut self, e: &ShortlistEntry) -> Result<(), StoreError> {
        self.0.put_shortlist(e)
    }
    fn shortlist(&self, c: &str) -> Result<Vec<ShortlistEntry>, StoreError> {
        self.0.shortlist(c)
    }
    fn shortlist_history(&self, c: &str) -> Result<Vec<ShortlistEntry>, StoreError> {
        self.0.shortlist_history(c)
    }
    fn all_shortlist_history(&self) -> Result<Vec<ShortlistEntry>, StoreError> {
        self.0.all_shortlist_history()
    }
    fn shortlist_entry(&self, c: &str, s: &str) -> Result<Option<ShortlistEntry>, StoreError> {
        self.0.shortlist_entry(c, s)
    }
    fn shortlist_counts(&self) -> Result<HashMap<String, usize>, StoreError> {
        self.0.shortlist_counts()
    }
}

impl Store for DropsAWrite {
    fn location(&self) -> String {
        self.0.location()
    }
    fn schema_version(&self) -> Result<i64, StoreError> {
        self.0.schema_version()
    }
}

#[derive(Default)]
struct Broken(Sqlite);

impl Harness for Broken {
    fn fresh(&self) -> String {
        self.0.fresh()
    }
    fn try_open(&self, at: &str) -> Result<Box<dyn Store>, StoreError> {
        Ok(Box::new(DropsAWrite(self.0.try_open(at)?)))
    }
    fn force_schema_version(&self, at: &str, v: i64) {
        self.0.force_schema_version(at, v)
    }
}

#[test]
fn a_backend_that_drops_a_write_fails_the_suite() {
    for (part, run) in [
        ("records", records as fn(&dyn Harness)),
        ("concurrent_writers", concurrent_writers),
        ("shortlists", shortlists),
    ] {
        let failed = std::panic::catch_unwind(|| run(&Broken::default())).is_err();
        assert!(
            failed,
            "the suite's `{part}` passed a backend that drops writes"
        );
    }
}
