//! The exposure report: every open challenge's served list of startups, and how evenly those
//! lists spread attention over the catalogue (see [`crate::eval::exposure`]) — with and
//! without hub reduction side by side, overall and by region, stage, country and language.
//! What `govmatch report exposure`, `GET /v1/reports/exposure` and the web app show.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::domain::{Kind, Record};
use crate::eval::exposure::{breakdown, exposures, GroupRow, Inequality};
use crate::rank::RankOptions;

use super::{Service, ServiceError};

/// The facets exposure is broken down by.
pub const BREAKDOWNS: [&str; 4] = ["region", "stage", "country", "language"];

/// Exposure over all open challenges, under one set of ranking options.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExposureReport {
    pub model: String,
    /// The startup index state the lists came from.
    pub index_version: String,
    /// List length: exposure counts the top k of each list.
    pub k: usize,
    /// The attention a list position gets.
    pub weighting: &'static str,
    /// Open challenges (status not `closed`), one list each.
    pub challenges: usize,
    /// Startups that can be listed under the options (the population of the figures).
    pub startups: usize,
    pub include_low_quality: bool,
    /// Startups flagged contentless and left out of every list (0 when included).
    pub left_out_low_quality: usize,
    /// One run with hub reduction, one without.
    pub runs: Vec<ExposureRun>,
}

/// The figures of one ranking setting.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExposureRun {
    pub hub_reduction: bool,
    pub summary: Inequality,
    /// Lists with at least one contentless startup in their top k (0 under the quality rule).
    pub lists_with_contentless: usize,
    /// Per facet ("region", "stage", "country", "language"), one row per value.
    pub breakdowns: BTreeMap<String, Vec<GroupRow>>,
    /// The ten most exposed startups.
    pub most_exposed: Vec<Exposed>,
}

/// One startup's exposure.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Exposed {
    pub id: String,
    pub name: String,
    pub exposure: f64,
    /// Lists (challenges) it appears in.
    pub lists: usize,
}

impl Service {
    /// [`exposure`](Self::exposure), computed once per state of both indexes and set of
    /// options: pages and dashboards that ask again get the same figures without ranking every
    /// challenge again.
    pub fn exposure_cached(
        &self,
        base: &RankOptions,
    ) -> Result<std::sync::Arc<ExposureReport>, ServiceError> {
        let key = format!(
            "{}:{}:{}",
            self.collection(Kind::Startup).dense.snapshot().version(),
            self.collection(Kind::Challenge).dense.snapshot().version(),
            serde_json::to_string(base).unwrap_or_default()
        );
        let lock = || self.exposure.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((k, report)) = lock().as_ref() {
            if *k == key {
                return Ok(report.clone());
            }
        }
        let report = std::sync::Arc::new(self.exposure(base)?);
        *lock() = Some((key, report.clone()));
        Ok(report)
    }

    /// Ranks the top `base.k` startups for every open challenge, once with hub reduction and
    /// once without (other options as given; explanations are not built), and measures how
    /// the lists expose the catalogue.
    pub fn exposure(&self, base: &RankOptions) -> Result<ExposureReport, ServiceError> {
        base.validate()
            .map_err(|(field, message)| ServiceError::Invalid {
                field: field.to_string(),
                message,
            })?;
        let mut challenges: Vec<String> = self
            .collection(Kind::Challenge)
            .dense
            .snapshot()
            .items()
            .into_iter()
            .filter(|(e, _)| e.facets.status.as_deref() != Some("closed"))
            .map(|(e, _)| e.id)
            .collect();
        challenges.sort();
        let snapshot = self.collection(Kind::Startup).dense.snapshot();
        let items = snapshot.items();
        let left_out_low_quality = if base.filter.include_low_quality {
            0
        } else {
            items
                .iter()
                .filter(|(e, _)| e.facets.contentless.is_some())
                .count()
        };
        let contentless: std::collections::HashSet<&str> = items
            .iter()
            .filter(|(e, _)| e.facets.contentless.is_some())
            .map(|(e, _)| e.id.as_str())
            .collect();
        let population: Vec<String> = items
            .iter()
            .filter(|(e, _)| base.filter.matches(&e.facets))
            .map(|(e, _)| e.id.clone())
            .collect();
        let records: Vec<Option<Record>> = population
            .iter()
            .map(|id| self.record(Kind::Startup, id))
            .collect();
        let facet = |name: &str, r: &Option<Record>| -> Option<String> {
            let Some(Record::Startup(s)) = r else {
                return None;
            };
            match name {
                "region" => s.region.clone(),
                "stage" => s.stage.clone(),
                "country" => s.country.clone(),
                _ => s.languages.first().cloned(),
            }
        };
        let mut runs = Vec::new();
        for hub_reduction in [true, false] {
            let opts = RankOptions {
                hub_reduction,
                explain: false,
                ..base.clone()
            };
            let lists: Vec<Vec<String>> = challenges
                .par_iter()
                .map(|id| {
                    self.match_record(Kind::Challenge, id, Kind::Startup, &opts, None)
                        .map(|served| served.matches.into_iter().map(|m| m.id).collect())
                })
                .collect::<Result<_, _>>()?;
            let values = exposures(&population, &lists);
            let breakdowns = BREAKDOWNS
                .iter()
                .map(|name| {
                    let groups: Vec<Option<String>> =
                        records.iter().map(|r| facet(name, r)).collect();
                    (name.to_string(), breakdown(&values, &groups))
                })
                .collect();
            let mut order: Vec<usize> = (0..population.len()).collect();
            order.sort_by(|&a, &b| {
                values[b]
                    .total_cmp(&values[a])
                    .then(population[a].cmp(&population[b]))
            });
            let most_exposed = order
                .into_iter()
                .take(10)
                .filter(|&i| values[i] > 0.0)
                .map(|i| Exposed {
                    id: population[i].clone(),
                    name: match &records[i] {
                        Some(Record::Startup(s)) => s.name.clone(),
                        _ => String::new(),
                    },
                    exposure: values[i],
                    lists: lists.iter().filter(|l| l.contains(&population[i])).count(),
                })
                .collect();
            let lists_with_contentless = lists
                .iter()
                .filter(|l| l.iter().any(|id| contentless.contains(id.as_str())))
                .count();
            runs.push(ExposureRun {
                hub_reduction,
                summary: Inequality::of(&values),
                lists_with_contentless,
                breakdowns,
                most_exposed,
            });
        }
        Ok(ExposureReport {
            model: self.model_id().to_string(),
            index_version: format!("startups@{}", snapshot.version()),
            k: base.k,
            weighting: "1/log2(1+rank)",
            challenges: challenges.len(),
            startups: population.len(),
            include_low_quality: base.filter.include_low_quality,
            left_out_low_quality,
            runs,
        })
    }
}
