//! Exposure fairness of ranked lists: how evenly the attention of a list's readers is spread
//! over the catalogue. A startup's exposure is the sum, over every list it appears in, of the
//! attention its position gets — `1 / log2(1 + rank)`, the discount nDCG uses (rank 1 counts
//! 1, rank 3 counts 0.5). From the exposures: the Gini coefficient, the share held by the
//! most exposed 1% and 10%, the startups never shown, the Lorenz curve, and breakdowns by any
//! facet (region, stage, country, language).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// The attention a list position gets (1-based rank).
pub fn position_weight(rank: usize) -> f64 {
    1.0 / (1.0 + rank as f64).log2()
}

/// Each of `population`'s exposure over the ranked `lists` (ids best first, cut at k by the
/// caller). Ids outside the population are ignored.
pub fn exposures(population: &[String], lists: &[Vec<String>]) -> Vec<f64> {
    let at: HashMap<&str, usize> = population
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut out = vec![0.0; population.len()];
    for list in lists {
        for (i, id) in list.iter().enumerate() {
            if let Some(&p) = at.get(id.as_str()) {
                out[p] += position_weight(i + 1);
            }
        }
    }
    out
}

/// How unequal a set of exposures is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inequality {
    /// Startups the figures are over.
    pub startups: usize,
    pub total_exposure: f64,
    /// 0 = every startup equally exposed, → 1 = one startup holds everything.
    pub gini: f64,
    /// Share of all exposure held by the most exposed 1% of startups (at least one).
    pub top_1_percent_share: f64,
    /// … by the most exposed 10% (at least one).
    pub top_10_percent_share: f64,
    /// Startups in no list at all.
    pub never_shown: usize,
    /// The Lorenz curve: (share of startups, least exposed first; share of exposure they
    /// hold), from (0, 0) to (1, 1), at most 101 points.
    pub lorenz: Vec<(f64, f64)>,
}

impl Inequality {
    pub fn of(values: &[f64]) -> Self {
        let n = values.len();
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let total: f64 = sorted.iter().sum();
        // G = 2 Σ i·x_(i) / (n Σ x) − (n + 1) / n, with x ascending and i from 1.
        let gini = if n == 0 || total <= 0.0 {
            0.0
        } else {
            let weighted: f64 = sorted
                .iter()
                .enumerate()
                .map(|(i, x)| (i + 1) as f64 * x)
                .sum();
            2.0 * weighted / (n as f64 * total) - (n as f64 + 1.0) / n as f64
        };
        let top_share = |fraction: f64| {
            if n == 0 || total <= 0.0 {
                return 0.0;
            }
            let m = ((n as f64 * fraction).ceil() as usize).clamp(1, n);
            sorted[n - m..].iter().sum::<f64>() / total
        };
        let mut lorenz = vec![(0.0, 0.0)];
        if n > 0 && total > 0.0 {
            let step = n.div_ceil(100).max(1);
            let mut cumulative = 0.0;
            for (i, x) in sorted.iter().enumerate() {
                cumulative += x;
                if (i + 1) % step == 0 || i + 1 == n {
                    lorenz.push(((i + 1) as f64 / n as f64, cumulative / total));
                }
            }
        }
        Inequality {
            startups: n,
            total_exposure: total,
            gini,
            top_1_percent_share: top_share(0.01),
            top_10_percent_share: top_share(0.10),
            never_shown: values.iter().filter(|&&x| x == 0.0).count(),
            lorenz,
        }
    }
}

/// One value of a facet (a region, a stage, …) and the exposure its startups get.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupRow {
    /// The facet's value; `(none)` for startups without one.
    pub value: String,
    pub startups: usize,
    /// Share of the catalogue's startups in this group.
    pub catalogue_share: f64,
    /// Share of all exposure the group's startups hold.
    pub exposure_share: f64,
    /// Exposure share over catalogue share: 1 = shown in proportion, below 1 = under-exposed.
    pub ratio: f64,
    pub never_shown: usize,
}

/// Groups exposures by one facet value per startup (`None` → `(none)`), largest group
/// first, then by value.
pub fn breakdown(values: &[f64], groups: &[Option<String>]) -> Vec<GroupRow> {
    let total: f64 = values.iter().sum();
    let n = values.len();
    let mut by: BTreeMap<String, (usize, f64, usize)> = BTreeMap::new();
    for (x, g) in values.iter().zip(groups) {
        let key = g.clone().unwrap_or_else(|| "(none)".to_string());
        let e = by.entry(key).or_default();
        e.0 += 1;
        e.1 += x;
        e.2 += usize::from(*x == 0.0);
    }
    let mut rows: Vec<GroupRow> = by
        .into_iter()
        .map(|(value, (startups, exposure, never_shown))| {
            let catalogue_share = startups as f64 / n.max(1) as f64;
            let exposure_share = if total > 0.0 { exposure / total } else { 0.0 };
            GroupRow {
                value,
                startups,
                catalogue_share,
                exposure_share,
                ratio: exposure_share / catalogue_share,
                never_shown,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.startups.cmp(&a.startups).then(a.value.cmp(&b.value)));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn hand_computed_catalogue() {
        // Two lists of two over four startups: a first twice; b and c second once; d never.
        let population = ids(&["a", "b", "c", "d"]);
        let lists = [ids(&["a", "b"]), ids(&["a", "c", "zz"])];
        let x = exposures(&population, &lists[..1]);
        assert_eq!(x, vec![1.0, 1.0 / 3f64.log2(), 0.0, 0.0]);
        let lists = [ids(&["a", "b"]), ids(&["a", "c"])];
        let x = exposures(&population, &lists);
        let w2 = 1.0 / 3f64.log2(); // 0.6309…
        assert_eq!(x, vec![2.0, w2, w2, 0.0]);
        let ineq = Inequality::of(&x);
        let total = 2.0 + 2.0 * w2;
        // Mean absolute difference over all ordered pairs / (2 · mean): Σ|xi−xj| / (2 n² μ).
        let pairs = 2.0 * ((2.0 - w2) * 2.0 + 2.0 + w2 * 2.0);
        let by_hand = pairs / (2.0 * 16.0 * (total / 4.0));
        assert!(
            (ineq.gini - by_hand).abs() < 1e-12,
            "{} {by_hand}",
            ineq.gini
        );
        assert!((ineq.gini - 0.4598).abs() < 1e-4);
        assert_eq!(ineq.never_shown, 1);
        // Top 1% and top 10% of four startups are both the single most exposed one.
        assert!((ineq.top_1_percent_share - 2.0 / total).abs() < 1e-12);
        assert!((ineq.top_10_percent_share - 2.0 / total).abs() < 1e-12);
        assert_eq!(ineq.lorenz.first(), Some(&(0.0, 0.0)));
        assert_eq!(ineq.lorenz.last().map(|p| p.0), Some(1.0));
        assert!((ineq.lorenz.last().unwrap().1 - 1.0).abs() < 1e-12);
        assert_eq!(ineq.lorenz.len(), 5);
        assert!((ineq.lorenz[1].1 - 0.0).abs() < 1e-12);
    }

    #[test]
    fn equal_exposure_has_gini_zero_and_breakdown_ratios() {
        let ineq = Inequality::of(&[1.0, 1.0, 1.0]);
        assert!(ineq.gini.abs() < 1e-12);
        assert_eq!(ineq.never_shown, 0);
        let empty = Inequality::of(&[0.0, 0.0]);
        assert_eq!((empty.gini, empty.never_shown), (0.0, 2));
        let rows = breakdown(
            &[3.0, 1.0, 0.0, 0.0],
            &[
                Some("hh".into()),
                Some("hh".into()),
                Some("by".into()),
                None,
            ],
        );
        assert_eq!(rows[0].value, "hh");
        assert_eq!(rows[0].startups, 2);
        assert!((rows[0].exposure_share - 1.0).abs() < 1e-12);
        assert!((rows[0].ratio - 2.0).abs() < 1e-12);
        assert_eq!(rows[1].value, "(none)");
        assert_eq!(rows[2].never_shown, 1);
    }
}
