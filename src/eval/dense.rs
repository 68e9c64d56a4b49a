//! Dense retrieval over a BEIR dataset with exact search, the way MTEB scores a model.

use std::collections::HashMap;

use super::{mean, ndcg_at_k, recall_at_k, BeirDataset, Qrels, Run};
use crate::embed::{EmbedError, Embedder, Role};
use crate::index::ExactIndex;

/// Mean metrics over the judged queries.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Scores {
    pub queries: usize,
    pub ndcg_at_10: f64,
    pub recall_at_100: f64,
}

/// Scores a run against judgements; queries without a ranking count as zero.
pub fn score(run: &Run, qrels: &Qrels) -> Scores {
    let empty = Vec::new();
    let (mut ndcg, mut recall) = (Vec::new(), Vec::new());
    for (q, judged) in qrels {
        let ranked = run.get(q).unwrap_or(&empty);
        ndcg.push(ndcg_at_k(ranked, judged, 10));
        recall.push(recall_at_k(ranked, judged, 100));
    }
    Scores {
        queries: qrels.len(),
        ndcg_at_10: mean(&ndcg),
        recall_at_100: mean(&recall),
    }
}

/// Embeds corpus (passage side) and queries (query side), retrieves the top `k` per query by
/// exact cosine. `progress` is told how many corpus texts are done, for a progress bar.
pub fn dense_run(
    embedder: &Embedder,
    data: &BeirDataset,
    k: usize,
    progress: &dyn Fn(usize),
) -> Result<Run, EmbedError> {
    let texts: Vec<String> = data.corpus.iter().map(|d| d.full_text()).collect();
    let mut index = ExactIndex::new(embedder.dim());
    for (i, chunk) in texts.chunks(256).enumerate() {
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        for v in embedder.embed(&refs, Role::Passage)? {
            index.push(&v);
        }
        progress((i * 256 + chunk.len()).min(texts.len()));
    }
    let queries: Vec<&str> = data.queries.iter().map(|q| q.text.as_str()).collect();
    let qvecs = embedder.embed(&queries, Role::Query)?;
    let hits = index.search_many(&qvecs, k);
    let run: Run = data
        .queries
        .iter()
        .zip(hits)
        .map(|(q, hits)| {
            let ranked = hits
                .into_iter()
                .map(|h| (data.corpus[h.row].id.clone(), h.score))
                .collect();
            (q.id.clone(), ranked)
        })
        .collect::<HashMap<_, _>>();
    Ok(run)
}
