//! Dense retrieval over a BEIR dataset with exact search, the way MTEB scores a model.

use super::run::{rank_queries, snapshot_of, Docs};
use super::{evaluate, BeirDataset, Metric, Qrels, Run};
use crate::domain::{Challenge, Startup};
use crate::embed::{Embedder, Role};
use crate::index::ExactIndex;
use crate::rank::{Hubness, Mode, RankError, RankOptions};

/// Mean metrics over the judged queries.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Scores {
    pub queries: usize,
    pub ndcg_at_10: f64,
    pub recall_at_100: f64,
    pub mrr_at_10: f64,
    pub recall_at_10: f64,
}

/// What `eval sample` and `eval beir` report, in [`Scores`]' order of fields.
const REPORTED: [Metric; 4] = [
    Metric::Ndcg(10),
    Metric::Recall(100),
    Metric::Mrr(10),
    Metric::Recall(10),
];

/// Scores a run against judgements with [`evaluate`] (the one scorer); queries without a
/// ranking count as zero.
pub fn score(run: &Run, qrels: &Qrels) -> Scores {
    let e = evaluate(run, qrels, &REPORTED);
    Scores {
        queries: e.per_query.len(),
        ndcg_at_10: e.means[0],
        recall_at_100: e.means[1],
        mrr_at_10: e.means[2],
        recall_at_10: e.means[3],
    }
}

/// Embeds corpus (passage side) and queries (query side), retrieves the top `k` per query by
/// exact cosine. `progress` is told how many corpus texts are done, for a progress bar.
pub fn dense_run(
    embedder: &Embedder,
    data: &BeirDataset,
    k: usize,
    progress: &dyn Fn(usize),
) -> Result<Run, RankError> {
    let docs: Vec<(String, String)> = data
        .corpus
        .iter()
        .map(|d| (d.id.clone(), d.full_text()))
        .collect();
    let queries: Vec<(String, String)> = data
        .queries
        .iter()
        .map(|q| (q.id.clone(), q.text.clone()))
        .collect();
    dense_run_texts(embedder, &queries, &docs, k, false, progress)
}

/// Ranks startups for every challenge (challenges on the query side), as the matcher does;
/// `hub_reduction` as the served default ([`crate::rank::hubness`]).
pub fn challenge_run(
    embedder: &Embedder,
    challenges: &[Challenge],
    startups: &[Startup],
    k: usize,
    hub_reduction: bool,
) -> Result<Run, RankError> {
    let queries: Vec<(String, String)> = challenges
        .iter()
        .map(|c| (c.id.clone(), c.embed_text()))
        .collect();
    let docs: Vec<(String, String)> = startups
        .iter()
        .map(|s| (s.id.clone(), s.embed_text()))
        .collect();
    dense_run_texts(embedder, &queries, &docs, k, hub_reduction, &|_| {})
}

/// [`dense_run`] over any (id, text) pairs; with `hub_reduction`, each document's hubness is
/// measured against these queries.
pub fn dense_run_texts(
    embedder: &Embedder,
    queries: &[(String, String)],
    docs: &[(String, String)],
    k: usize,
    hub_reduction: bool,
    progress: &dyn Fn(usize),
) -> Result<Run, RankError> {
    let mut vectors = Vec::with_capacity(docs.len());
    for (i, chunk) in docs.chunks(256).enumerate() {
        let refs: Vec<&str> = chunk.iter().map(|(_, t)| t.as_str()).collect();
        vectors.extend(embedder.embed(&refs, Role::Passage)?);
        progress((i * 256 + chunk.len()).min(docs.len()));
    }
    let texts: Vec<&str> = queries.iter().map(|(_, t)| t.as_str()).collect();
    let qvecs = embedder.embed(&texts, Role::Query)?;
    let snapshot = snapshot_of(embedder.dim(), docs, vectors);
    let hubness = hub_reduction
        .then(|| Hubness::of_snapshot(&snapshot, ExactIndex::from_vectors(embedder.dim(), &qvecs)));
    let docs = Docs {
        dense: &snapshot,
        lexical: None,
        hubness: hubness.as_ref(),
    };
    // Exact cosine search, dense only, nothing filtered or diversified: MTEB's retrieval when
    // hub reduction is off, the served dense ranking when it is on.
    let opts = RankOptions {
        k,
        mode: Mode::Dense,
        exact: true,
        explain: false,
        hub_reduction,
        ..RankOptions::default()
    };
    rank_queries(&docs, queries, Some(&qvecs), None, &opts)
}
