//! Runs for evaluation, ranked by the product's one ranker ([`crate::rank::rank`]) with
//! explicit options, so an evaluated number is what the API would serve with those options.

use std::sync::Arc;

use rayon::prelude::*;

use super::Run;
use crate::domain::Kind;
use crate::embed::Embedder;
use crate::index::{Entry, Facets, HnswIndex, HnswParams, LiveIndex, Snapshot};
use crate::rank::SentenceCache;
use crate::rank::{rank, Catalog, Hubness, LexicalIndex, Query, RankError, RankOptions};

/// A searchable snapshot of `docs` (id, text) with their vectors (graph built for HNSW rows).
pub fn snapshot_of(dim: usize, docs: &[(String, String)], vectors: Vec<Vec<f32>>) -> Arc<Snapshot> {
    let items = docs
        .iter()
        .zip(vectors)
        .map(|((id, text), v)| {
            let entry = Entry {
                id: id.clone(),
                text_hash: crate::domain::text_hash(text),
                facets: Facets::default(),
                alive: true,
            };
            (entry, v)
        })
        .collect();
    let index = HnswIndex::build(dim, HnswParams::default(), items);
    LiveIndex::new(index, usize::MAX).snapshot()
}

/// The documents a run ranks: dense snapshot, optional BM25 index and hubness.
pub struct Docs<'a> {
    pub dense: &'a Snapshot,
    pub lexical: Option<&'a LexicalIndex>,
    pub hubness: Option<&'a Hubness>,
}

/// Ranks every query (id, text, with its vector when the options need one) in parallel.
pub fn rank_queries(
    docs: &Docs,
    queries: &[(String, String)],
    vectors: Option<&[Vec<f32>]>,
    embedder: Option<&Embedder>,
    opts: &RankOptions,
) -> Result<Run, RankError> {
    let sentences = SentenceCache::default();
    let ranked: Vec<(String, Vec<(String, f32)>)> = queries
        .par_iter()
        .enumerate()
        .map(|(i, (qid, text))| {
            // Built per query: the record lookup is not shared between threads.
            let none = |_: &str| None;
            let catalog = Catalog {
                kind: Kind::Startup,
                dense: docs.dense,
                lexical: docs.lexical,
                record: &none,
                hubness: docs.hubness,
            };
            let query = Query {
                text,
                vector: vectors.map(|v| v[i].clone()),
                facets: None,
                language: None,
            };
            let matches = rank(embedder, &sentences, &query, &catalog, opts)?;
            Ok((
                qid.clone(),
                matches.into_iter().map(|m| (m.id, m.score)).collect(),
            ))
        })
        .collect::<Result<_, RankError>>()?;
    Ok(ranked.into_iter().collect())
}
