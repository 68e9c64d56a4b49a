//! Combining and reordering ranked lists: reciprocal rank fusion (dense + lexical), maximal
//! marginal relevance (diversity) and Rocchio's query update (more like these).

use std::collections::HashMap;

use crate::index::dot;

/// The RRF constant of Cormack et al.; 60 is what the paper and most engines use.
pub const RRF_K: f32 = 60.0;

/// Weighted reciprocal rank fusion: each list contributes `weight / (RRF_K + rank)` for each
/// id in it (weight 1 everywhere is Cormack et al.'s RRF). Best first; ties by id so the order
/// is reproducible.
pub fn rrf(lists: &[(&[String], f32)]) -> Vec<(String, f32)> {
    let mut scores: HashMap<&str, f32> = HashMap::new();
    for &(list, weight) in lists {
        for (rank, id) in list.iter().enumerate() {
            *scores.entry(id).or_default() += weight / (RRF_K + rank as f32 + 1.0);
        }
    }
    let mut fused: Vec<(String, f32)> = scores
        .into_iter()
        .map(|(id, s)| (id.to_string(), s))
        .collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    fused
}

/// The largest fused score [`rrf`] can give: first in every list, the lists' weights summing
/// to `total_weight`.
pub fn rrf_max(total_weight: f32) -> f32 {
    (total_weight / (RRF_K + 1.0)).max(f32::MIN_POSITIVE)
}

/// Maximal marginal relevance: picks `k` of the candidates (relevance in [0, 1], unit vector),
/// each time the one that best trades relevance against similarity to those already picked.
/// `diversity` 0 keeps the relevance order; 1 only spreads. Returns indices into `candidates`
/// with the value each was picked at, λ·relevance − (1−λ)·redundancy with redundancy in
/// [0, 1]: the values never rise along the list (every candidate's only falls as more are
/// picked), so they can serve as the list's score.
pub fn mmr(candidates: &[(f32, &[f32])], k: usize, diversity: f32) -> Vec<(usize, f32)> {
    let lambda = 1.0 - diversity.clamp(0.0, 1.0);
    let mut picked: Vec<(usize, f32)> = Vec::with_capacity(k.min(candidates.len()));
    // Highest similarity of each candidate to anything picked so far.
    let mut closest = vec![f32::NEG_INFINITY; candidates.len()];
    let mut taken = vec![false; candidates.len()];
    while picked.len() < k.min(candidates.len()) {
        let mut best: Option<(f32, usize)> = None;
        for (i, &(relevance, _)) in candidates.iter().enumerate() {
            if taken[i] {
                continue;
            }
            let redundancy = if picked.is_empty() {
                0.0
            } else {
                closest[i].clamp(0.0, 1.0)
            };
            let value = lambda * relevance - (1.0 - lambda) * redundancy;
            if best.is_none_or(|(b, _)| value > b) {
                best = Some((value, i));
            }
        }
        let Some((value, i)) = best else { break };
        taken[i] = true;
        picked.push((i, value));
        for (j, &(_, v)) in candidates.iter().enumerate() {
            if !taken[j] {
                closest[j] = closest[j].max(dot(v, candidates[i].1));
            }
        }
    }
    picked
}

/// Rocchio's update: moves the query towards the examples marked good and away from those
/// marked bad (weights 0.75 and 0.25, the textbook values). Without a query, the good examples'
/// centre is the query.
pub fn steer(query: Option<&[f32]>, like: &[Vec<f32>], unlike: &[Vec<f32>]) -> Option<Vec<f32>> {
    let dim = query
        .map(<[f32]>::len)
        .or_else(|| like.first().map(Vec::len))?;
    let mean = |vs: &[Vec<f32>]| -> Vec<f32> {
        let mut m = vec![0f32; dim];
        for v in vs {
            for (a, b) in m.iter_mut().zip(v) {
                *a += b / vs.len() as f32;
            }
        }
        m
    };
    let (alpha, beta, gamma) = match query {
        Some(_) => (1.0, 0.75, 0.25),
        None => (0.0, 1.0, 0.25),
    };
    let mut q = vec![0f32; dim];
    if let Some(query) = query {
        for (a, b) in q.iter_mut().zip(query) {
            *a = alpha * b;
        }
    }
    if !like.is_empty() {
        for (a, b) in q.iter_mut().zip(mean(like)) {
            *a += beta * b;
        }
    }
    if !unlike.is_empty() {
        for (a, b) in q.iter_mut().zip(mean(unlike)) {
            *a -= gamma * b;
        }
    }
    crate::embed::normalize(&mut q);
    Some(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rrf_rewards_agreement_between_lists() {
        let (first, second) = (ids(&["a", "b", "c"]), ids(&["b", "c", "d"]));
        let fused = rrf(&[(&first, 1.0), (&second, 1.0)]);
        let order: Vec<&str> = fused.iter().map(|(id, _)| id.as_str()).collect();
        // b (2nd, 1st) and c (3rd, 2nd) beat a and d, which only one list has.
        assert_eq!(order, ["b", "c", "a", "d"]);
        assert!((fused[0].1 - (1.0 / 62.0 + 1.0 / 61.0)).abs() < 1e-6);
    }

    #[test]
    fn rrf_weight_shifts_trust_between_lists() {
        let (dense, lexical) = (ids(&["a", "b"]), ids(&["b", "x"]));
        // Equal trust: b, in both lists, leads.
        let fused = rrf(&[(&dense, 1.0), (&lexical, 1.0)]);
        assert_eq!(fused[0].0, "b");
        // Lexical at a quarter: its second place no longer outweighs anything from dense.
        let fused = rrf(&[(&dense, 1.0), (&lexical, 0.25)]);
        let order: Vec<&str> = fused.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(order, ["b", "a", "x"]);
        assert!((fused[2].1 - 0.25 / 62.0).abs() < 1e-7);
        // Weight 0 drops a list's influence on the order entirely.
        let fused = rrf(&[(&dense, 1.0), (&lexical, 0.0)]);
        assert_eq!(fused[0].0, "a");
    }

    #[test]
    fn mmr_skips_near_duplicates_when_asked_to_diversify() {
        let a = [1.0, 0.0];
        let a2 = [0.995, 0.0998];
        let b = [0.0, 1.0];
        let cands = [(0.9, &a[..]), (0.89, &a2[..]), (0.5, &b[..])];
        let order =
            |picked: Vec<(usize, f32)>| picked.into_iter().map(|(i, _)| i).collect::<Vec<_>>();
        assert_eq!(order(mmr(&cands, 2, 0.0)), [0, 1]);
        assert_eq!(order(mmr(&cands, 2, 0.5)), [0, 2]);
        let all = mmr(&cands, 5, 0.5);
        assert_eq!(all.len(), 3);
        assert!(
            all.windows(2).all(|w| w[0].1 >= w[1].1),
            "values never rise: {all:?}"
        );
    }

    #[test]
    fn steering_moves_towards_liked_and_away_from_disliked_examples() {
        let q = [1.0, 0.0, 0.0];
        let like = vec![vec![0.0, 1.0, 0.0]];
        let unlike = vec![vec![0.0, 0.0, 1.0]];
        let s = steer(Some(&q), &like, &unlike).unwrap();
        assert!(s[1] > 0.3 && s[2] < 0.0 && s[0] > s[1]);
        assert!((dot(&s, &s) - 1.0).abs() < 1e-5);
        let only = steer(None, &like, &[]).unwrap();
        assert!((only[1] - 1.0).abs() < 1e-6);
        assert!(steer(None, &[], &unlike).is_none());
    }
}
