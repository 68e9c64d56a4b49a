//! An index that many readers share while writers change it and a rebuild runs.
//!
//! Readers take a [`Snapshot`] (two `Arc`s, a lock held only to clone them) and never wait for
//! a write or a rebuild. The graph itself is immutable: writes go to a small copy-on-write
//! delta (records added since the graph was built, searched exactly; ids removed from the
//! graph, filtered out during its walk). When the delta grows, a background thread builds a
//! new graph from a snapshot and swaps it in, replaying the writes that arrived meanwhile.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use super::exact::dot;
use super::filter::Filter;
use super::hnsw::{Entry, HnswIndex};

#[derive(Debug, Clone)]
enum Op {
    Upsert(Box<Entry>, Arc<Vec<f32>>),
    Remove(String),
}

/// Writes since the graph was built.
#[derive(Debug, Clone, Default)]
struct Delta {
    ops: Vec<Op>,
    /// Live records not in the graph (newest version of each id).
    added: Vec<(Entry, Arc<Vec<f32>>)>,
    /// Graph ids that are deleted or replaced.
    removed: HashSet<String>,
}

impl Delta {
    fn apply(&mut self, base: &HnswIndex, op: Op) {
        let id = match &op {
            Op::Upsert(e, _) => e.id.clone(),
            Op::Remove(id) => id.clone(),
        };
        self.added.retain(|(e, _)| e.id != id);
        if base.get(&id).is_some() {
            self.removed.insert(id);
        }
        if let Op::Upsert(e, v) = &op {
            self.added.push((e.as_ref().clone(), v.clone()));
        }
        self.ops.push(op);
    }
}

/// What readers see: one consistent version of the index.
pub struct Snapshot {
    base: Arc<HnswIndex>,
    delta: Delta,
    /// Writes applied since the index was opened: names this version in audit trails.
    version: u64,
}

/// One result: record id and similarity.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub id: String,
    pub score: f32,
}

impl Snapshot {
    pub fn len(&self) -> usize {
        self.base.len() - self.delta.removed.len() + self.delta.added.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes applied since the index was opened; equal versions answer identically.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The live record `id` and its vector.
    pub fn get(&self, id: &str) -> Option<(Entry, Vec<f32>)> {
        if let Some((e, v)) = self.delta.added.iter().find(|(e, _)| e.id == id) {
            return Some((e.clone(), v.to_vec()));
        }
        if self.delta.removed.contains(id) {
            return None;
        }
        self.base.get(id).map(|(e, v)| (e.clone(), v.to_vec()))
    }

    /// Every live record with its vector, by id.
    pub fn items(&self) -> Vec<(Entry, Vec<f32>)> {
        let mut items: Vec<(Entry, Vec<f32>)> = self
            .base
            .entries()
            .iter()
            .filter(|e| e.alive && !self.delta.removed.contains(&e.id))
            .filter_map(|e| self.base.get(&e.id).map(|(e, v)| (e.clone(), v.to_vec())))
            .chain(
                self.delta
                    .added
                    .iter()
                    .map(|(e, v)| (e.clone(), v.to_vec())),
            )
            .collect();
        items.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        items
    }

    /// Top `k` by similarity among records passing `filter`; `exact` skips the graph.
    pub fn search(
        &self,
        query: &[f32],
        k: usize,
        ef: Option<usize>,
        filter: &Filter,
        exact: bool,
    ) -> Vec<Scored> {
        let removed = &self.delta.removed;
        let keep = |e: &Entry| !removed.contains(&e.id) && filter.matches(&e.facets);
        let hits = if exact {
            self.base.search_exact_where(query, k, &keep)
        } else if removed.is_empty() && self.base.passes_all(filter) {
            self.base.search_where(query, k, ef, None)
        } else {
            self.base.search_where(query, k, ef, Some(&keep))
        };
        let mut q = query.to_vec();
        crate::embed::normalize(&mut q);
        let mut out: Vec<Scored> = hits
            .into_iter()
            .map(|h| Scored {
                id: self.base.entry(h.row).id.clone(),
                score: h.score,
            })
            .chain(
                self.delta
                    .added
                    .iter()
                    .filter(|(e, _)| filter.matches(&e.facets))
                    .map(|(e, v)| Scored {
                        id: e.id.clone(),
                        score: dot(&q, v),
                    }),
            )
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        out.truncate(k);
        out
    }
}

/// A shared, updatable index; see the module docs.
pub struct LiveIndex {
    current: RwLock<Arc<Snapshot>>,
    writer: Mutex<()>,
    rebuilding: AtomicBool,
    /// Rebuild once the delta holds this many writes.
    rebuild_after: usize,
}

impl LiveIndex {
    pub fn new(base: HnswIndex, rebuild_after: usize) -> Arc<Self> {
        Arc::new(LiveIndex {
            current: RwLock::new(Arc::new(Snapshot {
                base: Arc::new(base),
                delta: Delta::default(),
                version: 0,
            })),
            writer: Mutex::new(()),
            rebuilding: AtomicBool::new(false),
            rebuild_after: rebuild_after.max(1),
        })
    }

    /// The current version; cheap, never blocked by writers or rebuilds.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// True while a background rebuild runs.
    pub fn is_rebuilding(&self) -> bool {
        self.rebuilding.load(Ordering::Acquire)
    }

    fn write(self: &Arc<Self>, op: Op) {
        let _guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.snapshot();
        let mut delta = old.delta.clone();
        delta.apply(&old.base, op);
        let due = delta.ops.len() >= self.rebuild_after;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(Snapshot {
            base: old.base.clone(),
            delta,
            version: old.version + 1,
        });
        if due && !self.rebuilding.swap(true, Ordering::AcqRel) {
            let this = Arc::clone(self);
            std::thread::spawn(move || this.rebuild());
        }
    }

    pub fn upsert(self: &Arc<Self>, entry: Entry, vector: Vec<f32>) {
        self.write(Op::Upsert(Box::new(entry), Arc::new(vector)));
    }

    pub fn remove(self: &Arc<Self>, id: &str) {
        self.write(Op::Remove(id.to_string()));
    }

    /// Builds a new graph from the current snapshot and swaps it in; writes that arrive
    /// meanwhile are replayed on top. Runs on the caller's thread (the background thread when
    /// triggered by writes).
    pub fn rebuild(&self) {
        let snap = self.snapshot();
        let items = snap.items();
        let base = Arc::new(HnswIndex::build(snap.base.dim(), snap.base.params(), items));
        {
            let _guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            let now = self.snapshot();
            let mut delta = Delta::default();
            for op in now.delta.ops[snap.delta.ops.len()..].iter().cloned() {
                delta.apply(&base, op);
            }
            *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(Snapshot {
                base,
                delta,
                version: now.version,
            });
        }
        self.rebuilding.store(false, Ordering::Release);
        tracing::info!("index rebuilt in the background");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::HnswParams;

    #[test]
    fn an_empty_index_answers_with_nothing() {
        // An empty store still opens and serves (hnsw_rs itself panics on an empty graph).
        let live = LiveIndex::new(HnswIndex::build(3, HnswParams::default(), Vec::new()), 10);
        let snap = live.snapshot();
        assert!(snap.is_empty());
        let none = Filter::default();
        assert!(snap
            .search(&[1.0, 0.0, 0.0], 5, None, &none, false)
            .is_empty());
        assert!(snap
            .search(&[1.0, 0.0, 0.0], 5, None, &none, true)
            .is_empty());
        live.upsert(entry("a"), vec![1.0, 0.0, 0.0]);
        assert_eq!(
            live.snapshot()
                .search(&[1.0, 0.0, 0.0], 5, None, &none, false)
                .len(),
            1
        );
    }

    fn entry(id: &str) -> Entry {
        Entry::bare(id)
    }

    fn v(x: f32, y: f32) -> Vec<f32> {
        vec![x, y, 0.0, 0.0]
    }

    #[test]
    fn writes_are_visible_and_old_snapshots_stay_consistent() {
        let base = HnswIndex::build(
            4,
            HnswParams::default(),
            vec![(entry("a"), v(1.0, 0.0)), (entry("b"), v(0.0, 1.0))],
        );
        let live = LiveIndex::new(base, 1000);
        let before = live.snapshot();
        live.upsert(entry("a"), v(0.0, 1.0)); // moved away from the x axis
        live.upsert(entry("c"), v(1.0, 0.1));
        live.remove("b");
        let now = live.snapshot();
        let ids = |s: &Snapshot, exact| -> Vec<String> {
            s.search(&v(1.0, 0.0), 10, None, &Filter::default(), exact)
                .into_iter()
                .map(|h| h.id)
                .collect()
        };
        for exact in [false, true] {
            assert_eq!(ids(&now, exact), ["c", "a"]);
            assert_eq!(
                ids(&before, exact),
                ["a", "b"],
                "a reader's snapshot does not change"
            );
        }
        assert_eq!(now.len(), 2);
        assert!(now.get("b").is_none());
    }

    #[test]
    fn background_rebuild_keeps_writes_made_during_it() {
        let items = (0..200)
            .map(|i| (entry(&format!("p{i:03}")), v(1.0, i as f32 / 100.0)))
            .collect();
        let live = LiveIndex::new(HnswIndex::build(4, HnswParams::default(), items), 5);
        for i in 0..5 {
            live.remove(&format!("p{i:03}"));
        }
        live.upsert(entry("new"), v(-1.0, 0.0));
        while live.is_rebuilding() {
            std::thread::yield_now();
        }
        let snap = live.snapshot();
        assert_eq!(snap.len(), 196);
        assert!(snap.get("p000").is_none());
        let top = snap.search(&v(-1.0, 0.0), 1, None, &Filter::default(), false);
        assert_eq!(top[0].id, "new");
        let all = snap.search(&v(1.0, 0.5), 300, Some(400), &Filter::default(), false);
        assert_eq!(all.len(), 196);
    }

    #[test]
    fn readers_keep_getting_full_answers_during_writes_and_rebuilds() {
        let items = (0..500)
            .map(|i| (entry(&format!("p{i:03}")), v(1.0, i as f32 / 250.0)))
            .collect();
        let live = LiveIndex::new(HnswIndex::build(4, HnswParams::default(), items), 20);
        let stop = Arc::new(AtomicBool::new(false));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (live, stop) = (Arc::clone(&live), Arc::clone(&stop));
                std::thread::spawn(move || {
                    let mut searches = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let snap = live.snapshot();
                        let hits = snap.search(&v(1.0, 1.0), 10, None, &Filter::default(), false);
                        assert_eq!(hits.len(), 10);
                        let ids: HashSet<_> = hits.iter().map(|h| &h.id).collect();
                        assert_eq!(ids.len(), 10, "no duplicate ids");
                        searches += 1;
                    }
                    searches
                })
            })
            .collect();
        for i in 0..100 {
            live.upsert(
                entry(&format!("p{:03}", i * 5)),
                v(1.0, 2.0 - i as f32 / 100.0),
            );
            live.remove(&format!("p{:03}", i * 5 + 1));
        }
        while live.is_rebuilding() {
            std::thread::yield_now();
        }
        stop.store(true, Ordering::Relaxed);
        for r in readers {
            assert!(r.join().unwrap() > 0);
        }
        assert_eq!(live.snapshot().len(), 400);
    }
}
