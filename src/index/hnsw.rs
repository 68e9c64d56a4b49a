//! Approximate nearest-neighbour index (hnsw_rs, dot product on unit vectors) that stays
//! right under updates: hnsw_rs cannot delete, so replaced and deleted records become
//! tombstones filtered out during search, and the graph is rebuilt once they pile up.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use hnsw_rs::api::AnnT;
use hnsw_rs::prelude::{DistDot, Hnsw, HnswIo};
use serde::{Deserialize, Serialize};

use super::exact::dot;
use super::filter::{Facets, Filter};
use super::flat::FlatGraph;
use super::Hit;

/// Graph parameters. ef_search 128 is the lowest measured to give recall@10 ≥ 0.99 on both
/// models' startup embeddings (e5: 0.980 at 64, 0.995 at 128; `govmatch bench index`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HnswParams {
    pub m: usize,
    pub ef_construction: usize,
    pub ef_search: usize,
}

impl Default for HnswParams {
    fn default() -> Self {
        HnswParams {
            m: 16,
            ef_construction: 200,
            ef_search: 128,
        }
    }
}

/// What a point in the graph stands for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub text_hash: String,
    pub facets: Facets,
    pub alive: bool,
}

#[cfg(test)]
impl Entry {
    /// A live entry with no text hash and no facets, for tests.
    pub(crate) fn bare(id: &str) -> Self {
        Entry {
            id: id.into(),
            text_hash: String::new(),
            facets: Facets::default(),
            alive: true,
        }
    }
}

/// Below this share of matching records a filtered search scans them exactly: cheaper than
/// walking a graph whose most nodes are filtered out, and never short of results.
const EXACT_BELOW_SELECTIVITY: f64 = 0.02;

pub struct HnswIndex {
    params: HnswParams,
    dim: usize,
    graph: Hnsw<'static, f32, DistDot>,
    /// By point id (the position at insertion), tombstones included.
    entries: Vec<Entry>,
    vectors: Vec<f32>,
    live: HashMap<String, usize>,
    /// Live records flagged contentless: while there are none, the default filter (which
    /// leaves them out) needs no check per point.
    contentless: usize,
    /// The graph copied out for fast search; taken again after inserts.
    flat: OnceLock<FlatGraph>,
}

fn new_graph(params: HnswParams, capacity: usize) -> Hnsw<'static, f32, DistDot> {
    Hnsw::new(
        params.m,
        capacity.max(1024),
        16,
        params.ef_construction,
        DistDot {},
    )
}

fn unit(v: &[f32]) -> Vec<f32> {
    let mut v = v.to_vec();
    crate::embed::normalize(&mut v);
    v
}

impl HnswIndex {
    /// Builds a graph over `items` (inserted in parallel).
    pub fn build(dim: usize, params: HnswParams, items: Vec<(Entry, Vec<f32>)>) -> Self {
        let graph = new_graph(params, items.len());
        let mut index = HnswIndex {
            params,
            dim,
            graph,
            entries: Vec::with_capacity(items.len()),
            vectors: Vec::with_capacity(items.len() * dim),
            live: HashMap::new(),
            contentless: 0,
            flat: OnceLock::new(),
        };
        let units: Vec<Vec<f32>> = items.iter().map(|(_, v)| unit(v)).collect();
        let batch: Vec<(&Vec<f32>, usize)> = units.iter().zip(0..).collect();
        index.graph.parallel_insert(&batch);
        for ((entry, _), v) in items.into_iter().zip(units) {
            index.contentless += usize::from(entry.facets.contentless.is_some());
            index.live.insert(entry.id.clone(), index.entries.len());
            index.entries.push(Entry {
                alive: true,
                ..entry
            });
            index.vectors.extend_from_slice(&v);
        }
        index.flat();
        index
    }

    fn flat(&self) -> &FlatGraph {
        self.flat
            .get_or_init(|| FlatGraph::from_hnsw(&self.graph, self.entries.len()))
    }

    pub fn params(&self) -> HnswParams {
        self.params
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Live records.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// Whether any live record is flagged contentless.
    pub fn has_contentless(&self) -> bool {
        self.contentless > 0
    }

    /// Whether `filter` lets every live record through, so the search needs no check per
    /// point.
    pub fn passes_all(&self, filter: &Filter) -> bool {
        filter.accepts_all() || (filter.is_empty() && !self.has_contentless())
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Share of graph points that are tombstones.
    pub fn tombstone_ratio(&self) -> f64 {
        if self.entries.is_empty() {
            0.0
        } else {
            1.0 - self.live.len() as f64 / self.entries.len() as f64
        }
    }

    pub fn get(&self, id: &str) -> Option<(&Entry, &[f32])> {
        self.live
            .get(id)
            .map(|&p| (&self.entries[p], self.vector(p)))
    }

    /// The stored (unit) vector of a point, tombstones included.
    pub fn point_vector(&self, point: usize) -> &[f32] {
        self.vector(point)
    }

    fn vector(&self, point: usize) -> &[f32] {
        &self.vectors[point * self.dim..(point + 1) * self.dim]
    }

    /// Adds or replaces a record; the replaced point becomes a tombstone.
    pub fn upsert(&mut self, entry: Entry, vector: &[f32]) {
        self.remove(&entry.id);
        let point = self.entries.len();
        let v = unit(vector);
        self.graph.insert((&v, point));
        self.flat = OnceLock::new();
        self.vectors.extend_from_slice(&v);
        self.live.insert(entry.id.clone(), point);
        self.contentless += usize::from(entry.facets.contentless.is_some());
        self.entries.push(Entry {
            alive: true,
            ..entry
        });
    }

    /// Removes a record (tombstone); false if it was not there.
    pub fn remove(&mut self, id: &str) -> bool {
        match self.live.remove(id) {
            Some(p) => {
                self.entries[p].alive = false;
                self.contentless -= usize::from(self.entries[p].facets.contentless.is_some());
                true
            }
            None => false,
        }
    }

    /// A fresh graph of the live records only: drops the tombstones.
    pub fn rebuilt(&self) -> Self {
        let mut items: Vec<(Entry, Vec<f32>)> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.alive)
            .map(|(p, e)| (e.clone(), self.vector(p).to_vec()))
            .collect();
        items.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        HnswIndex::build(self.dim, self.params, items)
    }

    fn hits(&self, mut hits: Vec<Hit>, k: usize) -> Vec<Hit> {
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| self.entries[a.row].id.cmp(&self.entries[b.row].id))
        });
        hits.truncate(k);
        hits
    }

    /// Exact search over the live records that pass `filter`.
    pub fn search_exact(&self, query: &[f32], k: usize, filter: &Filter) -> Vec<Hit> {
        self.search_exact_where(query, k, &|e| filter.matches(&e.facets))
    }

    /// Exact search over the live records `keep` accepts.
    pub fn search_exact_where(
        &self,
        query: &[f32],
        k: usize,
        keep: &dyn Fn(&Entry) -> bool,
    ) -> Vec<Hit> {
        let q = unit(query);
        let hits = self
            .live
            .values()
            .filter(|&&p| keep(&self.entries[p]))
            .map(|&p| Hit {
                row: p,
                score: dot(&q, self.vector(p)),
            })
            .collect();
        self.hits(hits, k)
    }

    /// Approximate search; filters and tombstones are applied inside the graph walk. `row` in
    /// the hits is a point id: look it up with [`entry`](Self::entry).
    pub fn search(&self, query: &[f32], k: usize, ef: Option<usize>, filter: &Filter) -> Vec<Hit> {
        if self.passes_all(filter) {
            self.search_where(query, k, ef, None)
        } else {
            self.search_where(query, k, ef, Some(&|e| filter.matches(&e.facets)))
        }
    }

    /// Approximate search over the live records `keep` accepts (all when `None`).
    pub fn search_where(
        &self,
        query: &[f32],
        k: usize,
        ef: Option<usize>,
        keep: Option<&dyn Fn(&Entry) -> bool>,
    ) -> Vec<Hit> {
        if k == 0 || self.live.is_empty() {
            return Vec::new();
        }
        if let Some(keep) = keep {
            let matching = self
                .live
                .values()
                .filter(|&&p| keep(&self.entries[p]))
                .count();
            if (matching as f64) < EXACT_BELOW_SELECTIVITY * self.live.len() as f64 || matching <= k
            {
                return self.search_exact_where(query, k, keep);
            }
        }
        let q = unit(query);
        let ef = ef.unwrap_or(self.params.ef_search).max(k);
        let accept = |p: u32| {
            self.entries
                .get(p as usize)
                .is_some_and(|e| e.alive && keep.is_none_or(|keep| keep(e)))
        };
        let everything = keep.is_none() && self.live.len() == self.entries.len();
        let hits = self
            .flat()
            .search(
                &self.vectors,
                self.dim,
                &q,
                ef,
                (!everything).then_some(&accept as &dyn Fn(u32) -> bool),
            )
            .into_iter()
            .map(|(score, p)| Hit {
                row: p as usize,
                score,
            })
            .collect();
        self.hits(hits, k)
    }

    pub fn entry(&self, point: usize) -> &Entry {
        &self.entries[point]
    }

    /// Writes the graph files (hnsw_rs format) into `dir`; returns their basename.
    pub(crate) fn dump_graph(&self, dir: &Path) -> Result<String, String> {
        self.graph
            .file_dump(dir, "graph")
            .map_err(|e| format!("writing the graph: {e}"))
    }

    /// Reloads a graph written by [`dump_graph`](Self::dump_graph) with its entries and vectors.
    pub(crate) fn load_graph(
        dir: &Path,
        basename: &str,
        dim: usize,
        params: HnswParams,
        entries: Vec<Entry>,
        vectors: Vec<f32>,
    ) -> Result<Self, String> {
        // hnsw_rs ties the loaded graph's lifetime to its loader; the loader is a few paths and
        // options (no mmap), so it is leaked once per load to give the graph a 'static owner.
        let dir = dir.to_path_buf();
        let basename = basename.to_string();
        let graph = std::panic::catch_unwind(move || {
            let loader: &'static mut HnswIo = Box::leak(Box::new(HnswIo::new(&dir, &basename)));
            loader.load_hnsw::<f32, DistDot>()
        })
        .map_err(|_| "the graph loader panicked".to_string())?
        .map_err(|e| format!("reading the graph: {e}"))?;
        if graph.get_nb_point() != entries.len() {
            return Err(format!(
                "graph has {} points, manifest lists {}",
                graph.get_nb_point(),
                entries.len()
            ));
        }
        let live = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.alive)
            .map(|(p, e)| (e.id.clone(), p))
            .collect();
        let contentless = entries
            .iter()
            .filter(|e| e.alive && e.facets.contentless.is_some())
            .count();
        Ok(HnswIndex {
            params,
            dim,
            graph,
            entries,
            vectors,
            live,
            contentless,
            flat: OnceLock::new(),
        })
    }
}
