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
    for (rank, (id, score, hub)) in dense.iter().enumerate() {
        let i = slot(id, &mut candidates);
        candidates[i].parts.dense = Some(*score);
        candidates[i].parts.dense_rank = Some(rank + 1);
        candidates[i].parts.hubness = *hub;
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
        let dense_ids: Vec<String> = dense.iter().map(|(id, _, _)| id.clone()).collect();
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

/// The positions in `candidates` (best first) that make the final list of `opts.k`.
pub fn choose(candidates: &[Candidate], opts: &RankOptions) -> Vec<usize> {
    if opts.diversity <= 0.0 {
        return (0..candidates.len().min(opts.k)).collect();
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
    fusion::mmr(&items, opts.k, opts.diversity)
}
