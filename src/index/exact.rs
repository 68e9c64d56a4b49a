//! Exact (brute-force) search: the ground truth approximate indexes are measured against, and
//! fast enough on its own for a few thousand records.

use rayon::prelude::*;

pub use super::distance::dot;

/// One search result: the row in the index and its similarity (dot product of unit vectors).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub row: usize,
    pub score: f32,
}

/// Row-major matrix of unit vectors.
#[derive(Debug, Clone, Default)]
pub struct ExactIndex {
    dim: usize,
    data: Vec<f32>,
}

impl ExactIndex {
    pub fn new(dim: usize) -> Self {
        ExactIndex {
            dim,
            data: Vec::new(),
        }
    }

    /// Builds an index from vectors that must all have `dim` components.
    pub fn from_vectors(dim: usize, vectors: &[Vec<f32>]) -> Self {
        let mut index = ExactIndex::new(dim);
        for v in vectors {
            index.push(v);
        }
        index
    }

    pub fn push(&mut self, v: &[f32]) {
        assert_eq!(v.len(), self.dim, "vector dimension must match the index");
        self.data.extend_from_slice(v);
    }

    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The `k` rows most similar to `query`, best first; equal scores by row, so results are
    /// reproducible.
    pub fn search(&self, query: &[f32], k: usize) -> Vec<Hit> {
        // No rows (an empty collection has no known dimension): nothing is similar.
        if self.dim == 0 || self.data.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<Hit> = self
            .data
            .chunks_exact(self.dim)
            .enumerate()
            .map(|(row, v)| Hit {
                row,
                score: dot(query, v),
            })
            .collect();
        let k = k.min(hits.len());
        let by_score = |a: &Hit, b: &Hit| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row));
        if k < hits.len() && k > 0 {
            hits.select_nth_unstable_by(k - 1, by_score);
        }
        hits.truncate(k);
        hits.sort_by(by_score);
        hits
    }

    /// [`search`](Self::search) for many queries, in parallel.
    pub fn search_many(&self, queries: &[Vec<f32>], k: usize) -> Vec<Vec<Hit>> {
        queries.par_iter().map(|q| self.search(q, k)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_best_first_with_ties_by_row() {
        let idx = ExactIndex::from_vectors(
            2,
            &[
                vec![1.0, 0.0],
                vec![0.0, 1.0],
                vec![1.0, 0.0],
                vec![0.6, 0.8],
            ],
        );
        let hits = idx.search(&[1.0, 0.0], 3);
        let rows: Vec<usize> = hits.iter().map(|h| h.row).collect();
        assert_eq!(rows, vec![0, 2, 3]);
        assert!((hits[2].score - 0.6).abs() < 1e-6);
        assert_eq!(idx.search(&[1.0, 0.0], 10).len(), 4);
    }

    #[test]
    fn dot_matches_naive_for_odd_lengths() {
        let a: Vec<f32> = (0..19).map(|i| i as f32 * 0.1).collect();
        let b: Vec<f32> = (0..19).map(|i| 1.0 - i as f32 * 0.05).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-4);
    }

    #[test]
    fn an_empty_index_of_unknown_dimension_finds_nothing() {
        let empty = ExactIndex::from_vectors(0, &[]);
        assert!(empty.search(&[1.0, 0.0], 3).is_empty());
    }
}
