//! Retrieval: the candidate lists ranking starts from — the nearest vectors (reordered by hub
//! reduction when it is on) and the BM25 hits — each already filtered and without the records
//! the asker gave as examples.

use std::collections::HashSet;

use super::hubness::{self, Hubness};
use super::{Catalog, Mode, RankError, RankOptions};
use crate::index::Facets;

/// One dense candidate.
pub struct DenseHit {
    pub id: String,
    /// Cosine similarity to the query.
    pub similarity: f32,
    /// Under hub reduction: the record's hubness and its rank by similarity alone.
    pub hubness: Option<(f32, usize)>,
}

/// Candidates fetched per list before fusion and diversity pick the final `k`.
pub fn pool_size(opts: &RankOptions) -> usize {
    let k = opts.k.max(1);
    match (opts.mode, opts.diversity > 0.0) {
        (Mode::Dense, false) => k,
        (Mode::Dense, true) => (k * 4).max(50),
        _ => (k * 4).max(100),
    }
}

/// The dense list in ranking order: by similarity, or by similarity − ½ hubness when
/// `hubness` is given (a list [`hubness::depth`] deep is reordered and cut to `pool`).
pub fn dense(
    catalog: &Catalog,
    vector: Option<&[f32]>,
    opts: &RankOptions,
    hubness: Option<&Hubness>,
    excluded: &HashSet<&str>,
    pool: usize,
) -> Vec<DenseHit> {
    let Some(v) = vector.filter(|_| opts.mode != Mode::Lexical) else {
        return Vec::new();
    };
    let depth = hubness::depth(pool, hubness.is_some());
    let hits: Vec<(String, f32)> = catalog
        .dense
        .search(v, depth, opts.ef, &opts.filter, opts.exact)
        .into_iter()
        .map(|s| (s.id, s.score))
        .filter(|(id, _)| !excluded.contains(id.as_str()))
        .collect();
    match hubness {
        Some(h) => {
            let by_similarity: std::collections::HashMap<String, usize> = hits
                .iter()
                .enumerate()
                .map(|(i, (id, _))| (id.clone(), i + 1))
                .collect();
            h.rerank(hits, pool, |id| catalog.dense.get(id).map(|(_, v)| v))
                .into_iter()
                .map(|(id, similarity, hub)| {
                    let rank = by_similarity.get(&id).copied().unwrap_or(usize::MAX);
                    DenseHit {
                        id,
                        similarity,
                        hubness: Some((hub, rank)),
                    }
                })
                .collect()
        }
        None => hits
            .into_iter()
            .map(|(id, similarity)| DenseHit {
                id,
                similarity,
                hubness: None,
            })
            .collect(),
    }
}

/// The BM25 list (id, score) in ranking order; empty in dense mode.
pub fn lexical(
    catalog: &Catalog,
    text: &str,
    opts: &RankOptions,
    excluded: &HashSet<&str>,
    pool: usize,
) -> Result<Vec<(String, f32)>, RankError> {
    if !matches!(opts.mode, Mode::Lexical | Mode::Hybrid) {
        return Ok(Vec::new());
    }
    let index = catalog
        .lexical
        .ok_or(RankError::NoLexicalIndex(opts.mode))?;
    // BM25 cannot filter inside its search here: fetch more, keep those that pass.
    let want = if opts.filter.accepts_all() {
        pool
    } else if opts.filter.is_empty() {
        // Only contentless records are left out: few, and rarely high in BM25.
        pool + pool / 2
    } else {
        pool * 5
    };
    Ok(index
        .search_with(text, want, opts.translate)?
        .into_iter()
        .filter(|h| !excluded.contains(h.id.as_str()))
        // Without a filter there is nothing to check here; the facets and vectors of the
        // candidates that stay are looked up once, while scoring. A record the dense index
        // lacks (a lexical-only catalogue) is judged by its own facets; one with none known
        // (an evaluation's bare texts) passes unless the filter asks for facets.
        .filter(|h| {
            opts.filter.accepts_all() || {
                let facets = match catalog.dense.get(&h.id) {
                    Some((e, _)) => Some(e.facets),
                    None => (catalog.record)(&h.id).map(|r| Facets::of(&r)),
                };
                match facets {
                    Some(f) => opts.filter.matches(&f),
                    None => opts.filter.is_empty(),
                }
            }
        })
        .take(pool)
        .map(|h| (h.id, h.score))
        .collect())
}
