//! Hub reduction: some profiles are close to *every* challenge (broad "AI platform for the
//! public sector" texts) and crowd the top of most lists, a known weakness of dense retrieval
//! with multilingual-e5 (`../shared/FIELD-NOTES.md`). Each record gets a *hubness*, its mean
//! similarity to the `NEIGHBOURS` records of the asking side closest to it, and ranking
//! subtracts `WEIGHT` × hubness from the similarity (CSLS, Conneau et al. 2018). Measured on
//! the Hamburg sample: nDCG@10 0.6425 → 0.7132 with multilingual-e5-small (docs/evaluation.md),
//! hence on by default everywhere.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use rayon::prelude::*;

use crate::index::{ExactIndex, LiveIndex, Snapshot};

/// Asking-side neighbours averaged into a record's hubness.
pub const NEIGHBOURS: usize = 10;
/// How much of the hubness is subtracted from a similarity.
pub const WEIGHT: f32 = 0.5;
/// Hub reduction reorders this many times the requested depth of the similarity ranking.
pub const POOL_FACTOR: usize = 4;

/// The mean of the `k` largest similarities of `vector` to the rows of `askers` (0 without
/// askers).
pub fn hubness_of(vector: &[f32], askers: &ExactIndex, k: usize) -> f32 {
    let hits = askers.search(vector, k);
    if hits.is_empty() {
        return 0.0;
    }
    hits.iter().map(|h| h.score).sum::<f32>() / hits.len() as f32
}

/// How many nearest records to fetch for a final list of `k`: hub reduction reorders a deeper
/// list.
pub fn depth(k: usize, reducing: bool) -> usize {
    if reducing {
        k * POOL_FACTOR
    } else {
        k
    }
}

/// `hits` (id, similarity, best first, fetched [`depth`] deep) as the served dense ranking
/// orders them: by similarity − `WEIGHT` × hubness when `hubness` is given; cut to `k`.
pub fn ranked(hubness: Option<&Hubness>, hits: Vec<(String, f32)>, k: usize) -> Vec<(String, f32)> {
    match hubness {
        Some(h) => h
            .rerank(hits, k, |_| None)
            .into_iter()
            .map(|(id, sim, hub)| (id, sim - WEIGHT * hub))
            .collect(),
        None => {
            let mut hits = hits;
            hits.truncate(k);
            hits
        }
    }
}

/// The hubness of every record of one collection against the vectors that ask it.
#[derive(Debug, Clone)]
pub struct Hubness {
    by_id: HashMap<String, f32>,
    askers: Arc<ExactIndex>,
    /// The hubness 90% of the records stay below: above it a record counts as broad.
    broad_from: f32,
}

/// Share of records below the hubness from which explanations call a record broad.
const BROAD_QUANTILE: f32 = 0.9;

impl Hubness {
    /// Hubness of each `(id, vector)` record against `askers` (unit vectors, the query side).
    pub fn compute<'a>(records: &[(&'a str, &'a [f32])], askers: ExactIndex) -> Self {
        let by_id: HashMap<String, f32> = records
            .par_iter()
            .map(|(id, v)| (id.to_string(), hubness_of(v, &askers, NEIGHBOURS)))
            .collect();
        let mut values: Vec<f32> = by_id.values().copied().collect();
        values.sort_by(f32::total_cmp);
        let broad_from = match values.len() {
            0 => f32::INFINITY,
            n => values[((n as f32 * BROAD_QUANTILE) as usize).min(n - 1)],
        };
        Hubness {
            by_id,
            askers: Arc::new(askers),
            broad_from,
        }
    }

    /// Hubness of the live records of `records` against `askers`.
    pub fn of_snapshot(records: &Snapshot, askers: ExactIndex) -> Self {
        let items = records.items();
        let refs: Vec<(&str, &[f32])> = items
            .iter()
            .map(|(e, v)| (e.id.as_str(), v.as_slice()))
            .collect();
        Self::compute(&refs, askers)
    }

    /// Hubness of the live records of `records` against the live records of `askers`.
    pub fn of_snapshots(records: &Snapshot, askers: &Snapshot) -> Self {
        let vectors: Vec<Vec<f32>> = askers.items().into_iter().map(|(_, v)| v).collect();
        let dim = vectors.first().map_or(0, Vec::len);
        Self::of_snapshot(records, ExactIndex::from_vectors(dim, &vectors))
    }

    /// The hubness of record `id`, whose vector is `vector`; records added after this was
    /// computed are measured now, against the same askers.
    pub fn get(&self, id: &str, vector: impl FnOnce() -> Option<Vec<f32>>) -> f32 {
        match self.by_id.get(id) {
            Some(h) => *h,
            None => vector().map_or(0.0, |v| hubness_of(&v, &self.askers, NEIGHBOURS)),
        }
    }

    /// `hits` (id, similarity) reordered by similarity − `WEIGHT` × hubness, cut to `k`.
    /// Returns (id, similarity, hubness), best first; ties by id.
    pub fn rerank(
        &self,
        hits: Vec<(String, f32)>,
        k: usize,
        vector_of: impl Fn(&str) -> Option<Vec<f32>>,
    ) -> Vec<(String, f32, f32)> {
        let mut out: Vec<(String, f32, f32)> = hits
            .into_iter()
            .map(|(id, sim)| {
                let h = self.get(&id, || vector_of(&id));
                (id, sim, h)
            })
            .collect();
        let adjusted = |(_, sim, h): &(String, f32, f32)| sim - WEIGHT * h;
        out.sort_by(|a, b| {
            adjusted(b)
                .total_cmp(&adjusted(a))
                .then_with(|| a.0.cmp(&b.0))
        });
        out.truncate(k);
        out
    }

    /// True for a hubness among the highest tenth of the collection: a broadly worded record
    /// that resembles much of the other side, which explanations point out.
    pub fn is_broad(&self, hubness: f32) -> bool {
        hubness >= self.broad_from
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// Hubness kept current with two live collections: readers get the latest computed version
/// at once; after writes change either side, a background thread computes a fresh one (new
/// records are measured on the fly until then).
pub struct LiveHubness {
    records: Arc<LiveIndex>,
    askers: Arc<LiveIndex>,
    /// The hubness and the (records, askers) versions it was computed from.
    current: RwLock<(Arc<Hubness>, (u64, u64))>,
    refreshing: Arc<AtomicBool>,
}

impl LiveHubness {
    /// Computes the hubness of `records` against `askers` now (on the caller's thread).
    pub fn new(records: Arc<LiveIndex>, askers: Arc<LiveIndex>) -> Arc<Self> {
        let (r, a) = (records.snapshot(), askers.snapshot());
        let hubness = Arc::new(Hubness::of_snapshots(&r, &a));
        Arc::new(LiveHubness {
            records,
            askers,
            current: RwLock::new((hubness, (r.version(), a.version()))),
            refreshing: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The latest hubness; starts a background refresh when either side has changed since.
    pub fn current(self: &Arc<Self>) -> Arc<Hubness> {
        let (hubness, versions) = {
            let guard = self.current.read().unwrap_or_else(|p| p.into_inner());
            (guard.0.clone(), guard.1)
        };
        let now = (
            self.records.snapshot().version(),
            self.askers.snapshot().version(),
        );
        if now != versions && !self.refreshing.swap(true, Ordering::AcqRel) {
            let this = Arc::clone(self);
            std::thread::spawn(move || this.refresh());
        }
        hubness
    }

    /// True while a background refresh runs.
    pub fn is_refreshing(&self) -> bool {
        self.refreshing.load(Ordering::Acquire)
    }

    fn refresh(&self) {
        let (r, a) = (self.records.snapshot(), self.askers.snapshot());
        let fresh = Arc::new(Hubness::of_snapshots(&r, &a));
        *self.current.write().unwrap_or_else(|p| p.into_inner()) =
            (fresh, (r.version(), a.version()));
        self.refreshing.store(false, Ordering::Release);
        tracing::debug!("hubness refreshed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{Entry, HnswIndex, HnswParams};

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn a_record_close_to_every_asker_loses_its_lead() {
        // Three challenges on the three axes; "hub" sits between all, "niche" near the first.
        let askers = ExactIndex::from_vectors(
            3,
            &[
                unit(&[1.0, 0.0, 0.0]),
                unit(&[0.0, 1.0, 0.0]),
                unit(&[0.0, 0.0, 1.0]),
            ],
        );
        let hub = unit(&[1.0, 1.0, 1.0]);
        let niche = unit(&[1.0, 0.2, 0.0]);
        let hubness = Hubness::compute(&[("hub", &hub), ("niche", &niche)], askers);
        let h = 1.0 / 3f32.sqrt();
        assert!((hubness.get("hub", || None) - h).abs() < 1e-5);
        // Of two records, the hub is the broad one explanations point out.
        assert!(hubness.is_broad(hubness.get("hub", || None)));
        assert!(!hubness.is_broad(hubness.get("niche", || None)));
        // For a query near the first challenge, raw similarity prefers the hub…
        let q = unit(&[1.0, 0.5, 0.5]);
        let sims: Vec<(String, f32)> = [("hub", &hub), ("niche", &niche)]
            .iter()
            .map(|(id, v)| (id.to_string(), crate::index::dot(&q, v)))
            .collect();
        assert!(sims[0].1 > sims[1].1);
        // …hub reduction puts the niche record first, keeping the raw similarities.
        let ranked = hubness.rerank(sims.clone(), 2, |_| None);
        assert_eq!(ranked[0].0, "niche");
        assert_eq!(ranked[0].1, sims[1].1);
        assert!((ranked[1].2 - h).abs() < 1e-6);
    }

    #[test]
    fn records_added_later_are_measured_on_the_fly() {
        let askers = ExactIndex::from_vectors(2, &[unit(&[1.0, 0.0])]);
        let hubness = Hubness::compute(&[], askers);
        assert!((hubness.get("new", || Some(unit(&[1.0, 0.0]))) - 1.0).abs() < 1e-6);
        assert_eq!(hubness.get("gone", || None), 0.0);
    }

    #[test]
    fn live_hubness_follows_writes() {
        let index = |items: Vec<(&str, Vec<f32>)>| {
            LiveIndex::new(
                HnswIndex::build(
                    2,
                    HnswParams::default(),
                    items
                        .into_iter()
                        .map(|(id, v)| (Entry::bare(id), v))
                        .collect(),
                ),
                1000,
            )
        };
        let startups = index(vec![("s", unit(&[1.0, 0.0]))]);
        let challenges = index(vec![("c", unit(&[0.0, 1.0]))]);
        let live = LiveHubness::new(startups.clone(), challenges.clone());
        assert!(live.current().get("s", || None).abs() < 1e-6);
        challenges.upsert(Entry::bare("c2"), unit(&[1.0, 0.0]));
        // The first read after the write still answers (stale) and starts the refresh.
        live.current();
        while live.is_refreshing() {
            std::thread::yield_now();
        }
        // Mean of the similarities to its two (all) askers: (0 + 1) / 2.
        assert!((live.current().get("s", || None) - 0.5).abs() < 1e-6);
    }
}
