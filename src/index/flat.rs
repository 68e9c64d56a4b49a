//! A read-only copy of an hnsw_rs graph laid out for search: neighbour lists as flat `u32`
//! arrays next to the vectors, a reusable visited list per thread, and no locks or
//! reference counts on the way. hnsw_rs builds, inserts and persists the graph; this walks it.
//! Its own search spends most of its time on `Arc`/`RwLock` traffic and per-query
//! allocation, which made it 2–3× slower than hnswlib at equal recall.

use std::cell::RefCell;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};

use hnsw_rs::prelude::{DistDot, Hnsw};

use super::distance::kernel;

/// Graph topology by point id (the id given at insertion).
pub(crate) struct FlatGraph {
    entry: u32,
    top_layer: usize,
    /// Layer 0: for each point a slot of `1 + stride` entries, the count then the neighbours.
    layer0: Vec<u32>,
    stride: usize,
    /// Layers 1.. for the few points that reach them: `upper[p][l - 1]`.
    upper: HashMap<u32, Vec<Vec<u32>>>,
    len: usize,
}

/// A similarity with a total order, for the heaps.
#[derive(Clone, Copy, PartialEq)]
struct Sim(f32, u32);

impl Eq for Sim {}

impl PartialOrd for Sim {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sim {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .total_cmp(&other.0)
            .then_with(|| other.1.cmp(&self.1))
    }
}

/// Marks for visited points: a generation number per point, so clearing is O(1).
struct Visited {
    marks: Vec<u16>,
    generation: u16,
}

impl Visited {
    fn reset(&mut self, len: usize) {
        if self.marks.len() < len {
            self.marks.resize(len, 0);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.marks.fill(0);
            self.generation = 1;
        }
    }

    /// True the first time a point is seen in this search.
    #[inline]
    fn insert(&mut self, p: u32) -> bool {
        let mark = &mut self.marks[p as usize];
        let fresh = *mark != self.generation;
        *mark = self.generation;
        fresh
    }
}

thread_local! {
    static VISITED: RefCell<Visited> = const {
        RefCell::new(Visited { marks: Vec::new(), generation: 0 })
    };
}

impl FlatGraph {
    /// Copies the topology out of `graph`, whose points are numbered `0..len`.
    pub(crate) fn from_hnsw(graph: &Hnsw<'static, f32, DistDot>, len: usize) -> Self {
        if len == 0 {
            // hnsw_rs panics when asked for the points of an empty graph.
            return FlatGraph {
                entry: 0,
                top_layer: 0,
                layer0: Vec::new(),
                stride: 0,
                upper: HashMap::new(),
                len: 0,
            };
        }
        let indexation = graph.get_point_indexation();
        let mut lists: Vec<Vec<Vec<u32>>> = vec![Vec::new(); len];
        let mut levels = vec![0usize; len];
        for point in indexation {
            let id = point.get_origin_id();
            if id >= len {
                continue;
            }
            let level = point.get_point_id().0 as usize;
            levels[id] = level;
            lists[id] = point
                .get_neighborhood_id()
                .into_iter()
                .take(level + 1)
                .map(|layer| layer.iter().map(|n| n.d_id as u32).collect())
                .collect();
        }
        // The entry is the first point on the highest layer, as in hnsw_rs.
        let (mut entry, mut top_layer) = (0u32, 0usize);
        for (p, &level) in levels.iter().enumerate() {
            if level > top_layer {
                (entry, top_layer) = (p as u32, level);
            }
        }
        let stride = lists
            .iter()
            .map(|l| l.first().map_or(0, Vec::len))
            .max()
            .unwrap_or(0);
        let mut layer0 = vec![0u32; len * (stride + 1)];
        let mut upper = HashMap::new();
        for (p, mut layers) in lists.into_iter().enumerate() {
            let slot = &mut layer0[p * (stride + 1)..(p + 1) * (stride + 1)];
            if let Some(first) = layers.first() {
                slot[0] = first.len() as u32;
                slot[1..=first.len()].copy_from_slice(first);
            }
            if layers.len() > 1 {
                upper.insert(p as u32, layers.split_off(1));
            }
        }
        FlatGraph {
            entry,
            top_layer,
            layer0,
            stride,
            upper,
            len,
        }
    }

    fn neighbours0(&self, p: u32) -> &[u32] {
        let start = p as usize * (self.stride + 1);
        let count = self.layer0[start] as usize;
        &self.layer0[start + 1..start + 1 + count]
    }

    /// The `ef` best points that `accept` lets through, best first (similarity, point id).
    /// Rejected points are still walked through, so a filter never cuts the graph apart.
    pub(crate) fn search(
        &self,
        vectors: &[f32],
        dim: usize,
        query: &[f32],
        ef: usize,
        accept: Option<&dyn Fn(u32) -> bool>,
    ) -> Vec<(f32, u32)> {
        if self.len == 0 || ef == 0 {
            return Vec::new();
        }
        let dot = kernel();
        let vector_of = |p: u32| &vectors[p as usize * dim..(p as usize + 1) * dim];
        let sim = |p: u32| dot(query, vector_of(p));
        let mut current = self.entry;
        let mut best = sim(current);
        for layer in (1..=self.top_layer).rev() {
            loop {
                let mut moved = false;
                let list = self
                    .upper
                    .get(&current)
                    .and_then(|layers| layers.get(layer - 1));
                for &n in list.into_iter().flatten() {
                    let s = sim(n);
                    if s > best {
                        (best, current, moved) = (s, n, true);
                    }
                }
                if !moved {
                    break;
                }
            }
        }
        VISITED.with_borrow_mut(|visited| {
            visited.reset(self.len);
            // Monomorphised for the unfiltered case, which then pays no call per point.
            match accept {
                None => self.search_layer0(visited, current, best, ef, sim, vector_of, |_| true),
                Some(accept) => {
                    self.search_layer0(visited, current, best, ef, sim, vector_of, accept)
                }
            }
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn search_layer0<'a>(
        &self,
        visited: &mut Visited,
        start: u32,
        start_sim: f32,
        ef: usize,
        sim: impl Fn(u32) -> f32,
        vector_of: impl Fn(u32) -> &'a [f32],
        accept: impl Fn(u32) -> bool,
    ) -> Vec<(f32, u32)> {
        let mut candidates = BinaryHeap::with_capacity(ef * 4);
        let mut results: BinaryHeap<Reverse<Sim>> = BinaryHeap::with_capacity(ef + 1);
        visited.insert(start);
        candidates.push(Sim(start_sim, start));
        if accept(start) {
            results.push(Reverse(Sim(start_sim, start)));
        }
        let mut floor = f32::NEG_INFINITY;
        let mut fresh: Vec<u32> = Vec::with_capacity(self.stride);
        while let Some(Sim(s, p)) = candidates.pop() {
            if s < floor && results.len() >= ef {
                break;
            }
            // Gather the unvisited neighbours first and ask for their vectors, so the memory
            // loads overlap instead of stalling one distance at a time.
            fresh.clear();
            for &n in self.neighbours0(p) {
                if visited.insert(n) {
                    prefetch(vector_of(n));
                    fresh.push(n);
                }
            }
            for &n in &fresh {
                let s = sim(n);
                if results.len() < ef || s > floor {
                    candidates.push(Sim(s, n));
                    if accept(n) {
                        results.push(Reverse(Sim(s, n)));
                        if results.len() > ef {
                            results.pop();
                        }
                        if results.len() >= ef {
                            floor = results.peek().map_or(f32::NEG_INFINITY, |r| r.0 .0);
                        }
                    }
                }
            }
        }
        let mut out: Vec<(f32, u32)> = results
            .into_iter()
            .map(|Reverse(Sim(s, p))| (s, p))
            .collect();
        out.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        out
    }
}

/// Asks the CPU to start loading a whole vector (one hint per 64-byte line). Prefetching only
/// the first lines left 100k-point searches memory-bound at 0.95× hnswlib; all lines: 1.1–1.2×.
#[inline]
fn prefetch(v: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        for line in v.chunks(16) {
            // SAFETY: prefetching is a hint; it never faults, and the pointer is in bounds.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
}
