//! Scoring: the dense and lexical lists merged into one set of candidates with their score
//! parts, fused (hybrid), cut by the minimum score, ordered (ties by id) and, with diversity
//! on, picked by MMR.

use std::collections::HashMap;

use super::hubness::{self, Hubness};
use super::retrieve::DenseHit;
use super::{fusion, Catalog, Mode, RankOptions};
use crate::domain::ScoreParts;
use crate::index::{dot, Facets};

/// A record that may be listed, with everything known about it so far.
pub struct Candidate {
    pub id: String,
    pub parts: ScoreParts,
    pub vector: Option<Vec<f32>>,
    pub facets: Option<Facets>,
}

/// What the list is ordered by in `mode` (see [`crate::domain::Match::score`]).
pub fn score_of(mode: Mode, c: &Candidate) -> f32 {
    match mode {
        Mode::Dense => c
            .parts
            .adjusted
            .or(c.parts.dense)
            .unwrap_or(f32::NEG_INFINITY),
        Mode::Lexical => c.parts.lexical.unwrap_or(0.0),
        Mode::Hybrid => c.parts.fused.unwrap_or(0.0),
    }
}

/// Both lists as one candidate set, best first, with every score part filled in.
pub fn merge(
    catalog: &Catalog,
    vector: Option<&[f32]>,
    hubness: Option<&Hubness>,
    dense: &[DenseHit],
    lexical: &[(String, f32)],
    opts: &RankOptions,
) -> Vec<Candidate> {
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut position: HashMap<String, usize> = HashMap::new();
    let mut slot = |id: &str, candidates: &mut Vec<Candidate>| -> usize {
        *position.entry(id.to_string()).or_insert_with(|| {
            candidates.push(Candidate {
                id: id.to_string(),
                parts: ScoreParts::default(),
                vector: None,
                facets: None,
            });
            candidates.len() - 1
        })
    };
    for (rank, hit) in dense.iter().enumerate() {
        let i = slot(&hit.id, &mut candidates);
        candidates[i].parts.dense = Some(hit.similarity);
        candidates[i].parts.dense_rank = Some(rank + 1);
        candidates[i].parts.hubness = hit.hubness.map(|(h, _)| h);
        candidates[i].parts.similarity_rank = hit.hubness.map(|(_, r)| r);
    }
    for (rank, (id, score)) in lexical.iter().enumerate() {
        let i = slot(id, &mut candidates);
        candidates[i].parts.lexical = Some(*score);
        candidates[i].parts.lexical_rank = Some(rank + 1);
    }
    for c in &mut candidates {
        if let Some((entry, v)) = catalog.dense.get(&c.id) {
            if c.parts.dense.is_none() {
                c.parts.dense = vector.map(|q| dot(q, &v));
            }
            if let Some(h) = hubness {
                // Records only in the lexical list were not measured with the dense list.
                let hub = *c
                    .parts
                    .hubness
                    .get_or_insert_with(|| h.get(&c.id, || Some(v.clone())));
                c.parts.adjusted = c.parts.dense.map(|d| d - hubness::WEIGHT * hub);
            }
            c.vector = Some(v);
            c.facets = Some(entry.facets);
        }
    }
    if opts.mode == Mode::Hybrid {
        let dense_ids: Vec<String> = dense.iter().map(|h| h.id.clone()).collect();
        let lexical_ids: Vec<String> = lexical.iter().map(|(id, _)| id.clone()).collect();
        let fused = fusion::rrf(&[(&dense_ids, 1.0), (&lexical_ids, opts.lexical_weight)]);
        for (id, f) in fused {
            if let Some(&i) = position.get(&id) {
                candidates[i].parts.fused = Some(f);
            }
        }
    }
    if let Some(min) = opts.min_score {
        candidates.retain(|c| match opts.mode {
            Mode::Lexical => c.parts.lexical.is_some_and(|s| s >= min),
            _ => c.parts.dense.is_some_and(|s| s >= min),
        });
    }
    candidates.sort_by(|a, b| {
        score_of(opts.mode, b)
            .total_cmp(&score_of(opts.mode, a))
            .then_with(|| a.id.cmp(&b.id))
    });
    candidates
}

/// BM25 score that maps to 0.5 on the served scale: BM25 has no upper bound, so lexical
/// scores are shown as `bm25 / (bm25 + LEXICAL_HALF)`.
pub const LEXICAL_HALF: f32 = 10.0;

/// The score a listed record is served with: one scale, [0, 1], higher is better, in every
/// mode, and never rising along a list (ties keep id order):
/// - dense: the cosine similarity less half the hubness under hub reduction (plain cosine
///   without), clamped to [0, 1];
/// - lexical: `bm25 / (bm25 + 10)`;
/// - hybrid: the fused reciprocal-rank score divided by the largest it can be (first in both
///   lists), so 1 means first in both;
/// - with diversity: the value MMR picked the record at, shifted into [0, 1].
///
/// The parts behind it stay in the explanation's `scores`.
pub fn served_score(opts: &RankOptions, c: &Candidate) -> f32 {
    let raw = score_of(opts.mode, c);
    match opts.mode {
        Mode::Dense => raw.clamp(0.0, 1.0),
        Mode::Lexical => (raw / (raw + LEXICAL_HALF)).clamp(0.0, 1.0),
        Mode::Hybrid => (raw / fusion::rrf_max(1.0 + opts.lexical_weight)).clamp(0.0, 1.0),
    }
}

/// The positions in `candidates` (best first) that make the final list of `opts.k`, each with
/// its served score ([`served_score`], or the MMR value with diversity on).
pub fn choose(candidates: &[Candidate], opts: &RankOptions) -> Vec<(usize, f32)> {
    if opts.diversity <= 0.0 {
        return (0..candidates.len().min(opts.k))
            .map(|i| (i, served_score(opts, &candidates[i])))
            .collect();
    }
    // Relevance on a 0..1 scale relative to the best candidate, whatever the mode's score.
    let score = |c: &Candidate| score_of(opts.mode, c);
    let top = candidates.first().map_or(1.0, score);
    let floor = candidates.last().map_or(0.0, score);
    let span = (top - floor).max(1e-6);
    let empty: Vec<f32> = Vec::new();
    let items: Vec<(f32, &[f32])> = candidates
        .iter()
        .map(|c| {
            (
                (score(c) - floor) / span,
                c.vector.as_deref().unwrap_or(&empty),
            )
        })
        .collect();
    // The values lie in [−(1−λ), λ]; shifted by 1−λ they span [0, 1].
    let shift = opts.diversity.clamp(0.0, 1.0);
    fusion::mmr(&items, opts.k, opts.diversity)
        .into_iter()
        .map(|(i, value)| (i, (value + shift).clamp(0.0, 1.0)))
        .collect()
}
