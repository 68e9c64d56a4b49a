//! Ranking metrics computed as trec_eval does, so numbers compare with published ones.

use std::collections::HashMap;

/// Graded judgements: query id → document id → relevance (> 0 means relevant).
pub type Qrels = HashMap<String, HashMap<String, i32>>;

/// A ranking: query id → documents best first, with scores.
pub type Run = HashMap<String, Vec<(String, f32)>>;

/// nDCG@k with linear gains (trec_eval's `ndcg_cut`): DCG = Σ rel_i / log2(i + 1) over the
/// top k, divided by the DCG of the ideal ordering of all judged documents.
pub fn ndcg_at_k(ranked: &[(String, f32)], judged: &HashMap<String, i32>, k: usize) -> f64 {
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, (doc, _))| {
            let rel = judged.get(doc).copied().unwrap_or(0).max(0) as f64;
            rel / ((i + 2) as f64).log2()
        })
        .sum();
    let mut ideal: Vec<i32> = judged.values().copied().filter(|&r| r > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &r)| r as f64 / ((i + 2) as f64).log2())
        .sum();
    if idcg == 0.0 {
        0.0
    } else {
        dcg / idcg
    }
}

/// Share of the relevant documents found in the top k.
pub fn recall_at_k(ranked: &[(String, f32)], judged: &HashMap<String, i32>, k: usize) -> f64 {
    let relevant = judged.values().filter(|&&r| r > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = ranked
        .iter()
        .take(k)
        .filter(|(doc, _)| judged.get(doc).is_some_and(|&r| r > 0))
        .count();
    found as f64 / relevant as f64
}

/// Reciprocal rank of the first relevant document within the top k (0 if none).
pub fn mrr_at_k(ranked: &[(String, f32)], judged: &HashMap<String, i32>, k: usize) -> f64 {
    ranked
        .iter()
        .take(k)
        .position(|(doc, _)| judged.get(doc).is_some_and(|&r| r > 0))
        .map_or(0.0, |i| 1.0 / (i + 1) as f64)
}

/// Average precision cut at k (trec_eval's `map_cut`): the sum of precision at each relevant
/// rank within the top k, divided by the number of relevant documents.
pub fn map_at_k(ranked: &[(String, f32)], judged: &HashMap<String, i32>, k: usize) -> f64 {
    let relevant = judged.values().filter(|&&r| r > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let mut hits = 0;
    let mut sum = 0.0;
    for (i, (doc, _)) in ranked.iter().take(k).enumerate() {
        if judged.get(doc).is_some_and(|&r| r > 0) {
            hits += 1;
            sum += hits as f64 / (i + 1) as f64;
        }
    }
    sum / relevant as f64
}

/// Share of the top k that is relevant (k counts even when fewer were returned).
pub fn precision_at_k(ranked: &[(String, f32)], judged: &HashMap<String, i32>, k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let hits = ranked
        .iter()
        .take(k)
        .filter(|(doc, _)| judged.get(doc).is_some_and(|&r| r > 0))
        .count();
    hits as f64 / k as f64
}

/// Share of the first `k` places (of `k`, not of the list) holding a judged document.
pub fn judged_at_k(ranked: &[(String, f32)], judged: &HashMap<String, i32>, k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let n = ranked
        .iter()
        .take(k)
        .filter(|(doc, _)| judged.contains_key(doc))
        .count();
    n as f64 / k as f64
}

/// A metric at a cut-off, written as `ndcg@10`, `mrr@10`, `map@100`, `recall@100`, `p@5`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    Ndcg(usize),
    Mrr(usize),
    Map(usize),
    Recall(usize),
    Precision(usize),
    /// Share of the top k that has a judgement of any grade: how far a pooled set's scores can
    /// be trusted for this run (unjudged records count as not relevant).
    Judged(usize),
}

impl Metric {
    /// The cut-off: how deep a run must go for this metric.
    pub fn k(self) -> usize {
        match self {
            Metric::Ndcg(k)
            | Metric::Mrr(k)
            | Metric::Map(k)
            | Metric::Recall(k)
            | Metric::Precision(k)
            | Metric::Judged(k) => k,
        }
    }

    pub fn compute(self, ranked: &[(String, f32)], judged: &HashMap<String, i32>) -> f64 {
        match self {
            Metric::Ndcg(k) => ndcg_at_k(ranked, judged, k),
            Metric::Mrr(k) => mrr_at_k(ranked, judged, k),
            Metric::Map(k) => map_at_k(ranked, judged, k),
            Metric::Recall(k) => recall_at_k(ranked, judged, k),
            Metric::Precision(k) => precision_at_k(ranked, judged, k),
            Metric::Judged(k) => judged_at_k(ranked, judged, k),
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (name, k) = match self {
            Metric::Ndcg(k) => ("ndcg", k),
            Metric::Mrr(k) => ("mrr", k),
            Metric::Map(k) => ("map", k),
            Metric::Recall(k) => ("recall", k),
            Metric::Precision(k) => ("precision", k),
            Metric::Judged(k) => ("judged", k),
        };
        write!(f, "{name}@{k}")
    }
}

impl std::str::FromStr for Metric {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, k) = s
            .split_once('@')
            .ok_or_else(|| format!("`{s}`: write a metric as name@k, e.g. ndcg@10"))?;
        let k: usize = k
            .parse()
            .map_err(|_| format!("`{s}`: `{k}` is not a cut-off"))?;
        match name.to_lowercase().as_str() {
            "ndcg" => Ok(Metric::Ndcg(k)),
            "mrr" => Ok(Metric::Mrr(k)),
            "map" => Ok(Metric::Map(k)),
            "recall" | "r" => Ok(Metric::Recall(k)),
            "precision" | "p" => Ok(Metric::Precision(k)),
            "judged" => Ok(Metric::Judged(k)),
            other => Err(format!(
                "unknown metric `{other}` (ndcg, mrr, map, recall, precision, judged)"
            )),
        }
    }
}

/// Per-query values and means of `metrics` over the queries with at least one relevant
/// judgement (queries the run lacks count as zero).
pub fn evaluate(run: &Run, qrels: &Qrels, metrics: &[Metric]) -> Evaluation {
    let empty = Vec::new();
    let mut per_query: Vec<(String, Vec<f64>)> = qrels
        .iter()
        .filter(|(_, judged)| judged.values().any(|&r| r > 0))
        .map(|(q, judged)| {
            let ranked = run.get(q).unwrap_or(&empty);
            (
                q.clone(),
                metrics.iter().map(|m| m.compute(ranked, judged)).collect(),
            )
        })
        .collect();
    per_query.sort_by(|a, b| a.0.cmp(&b.0));
    let means = (0..metrics.len())
        .map(|i| mean(&per_query.iter().map(|(_, v)| v[i]).collect::<Vec<_>>()))
        .collect();
    Evaluation {
        metrics: metrics.to_vec(),
        per_query,
        means,
    }
}

/// What [`evaluate`] returns: one row per query, metrics in the order asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub metrics: Vec<Metric>,
    pub per_query: Vec<(String, Vec<f64>)>,
    pub means: Vec<f64>,
}

pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(ids: &[&str]) -> Vec<(String, f32)> {
        ids.iter().map(|s| (s.to_string(), 0.0)).collect()
    }

    fn judged(pairs: &[(&str, i32)]) -> HashMap<String, i32> {
        pairs.iter().map(|(d, r)| (d.to_string(), *r)).collect()
    }

    #[test]
    fn ndcg_perfect_and_graded() {
        let j = judged(&[("a", 2), ("b", 1), ("z", 0)]);
        assert!((ndcg_at_k(&ranked(&["a", "b", "c"]), &j, 10) - 1.0).abs() < 1e-12);
        // b first, a second: DCG = 1/1 + 2/log2(3); IDCG = 2 + 1/log2(3).
        let want = (1.0 + 2.0 / 3f64.log2()) / (2.0 + 1.0 / 3f64.log2());
        assert!((ndcg_at_k(&ranked(&["b", "a"]), &j, 10) - want).abs() < 1e-12);
        // Cut-off: the relevant documents below rank k do not count.
        assert_eq!(ndcg_at_k(&ranked(&["c", "a"]), &j, 1), 0.0);
        assert_eq!(ndcg_at_k(&ranked(&["a"]), &judged(&[("q", 0)]), 10), 0.0);
    }

    #[test]
    fn mrr_is_the_first_relevant_rank() {
        let j = judged(&[("b", 1), ("c", 2)]);
        assert_eq!(mrr_at_k(&ranked(&["a", "b", "c"]), &j, 10), 0.5);
        assert_eq!(mrr_at_k(&ranked(&["a", "b"]), &j, 1), 0.0);
    }

    #[test]
    fn recall_counts_only_relevant() {
        let j = judged(&[("a", 1), ("b", 1), ("c", 0)]);
        assert_eq!(recall_at_k(&ranked(&["c", "a", "x"]), &j, 2), 0.5);
        assert_eq!(recall_at_k(&ranked(&["a", "b"]), &j, 100), 1.0);
    }
}
