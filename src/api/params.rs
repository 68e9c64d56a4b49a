//! Request parameters → [`RankOptions`]: the query string of the id routes and the body of
//! `POST /v1/match` carry the same ranking fields and are checked by one function. Filter
//! fields come from the library's [`Filter`], declared once for every front end.

use std::collections::BTreeMap;

use govmatch::domain::Kind;
use govmatch::index::filter::list;
use govmatch::index::Filter;
use govmatch::rank::{Mode, RankOptions, DEFAULT_LEXICAL_WEIGHT};
use govmatch::service::audit::today;
use serde::Deserialize;

use super::error::ApiError;

/// Most results one request may ask for.
const MAX_K: usize = 1000;

/// Longest free-text query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 20_000;

/// The ranking fields every match route takes, before checking.
#[derive(Debug, Default)]
pub struct Ranking {
    /// How many matches (1–1000, default 10).
    k: Option<usize>,
    /// Compare with every record instead of searching the HNSW graph.
    exact: Option<bool>,
    /// HNSW search breadth (1–10000).
    ef: Option<usize>,
    mode: Option<Mode>,
    /// 0 = relevance order (default); up to 1 = spread the list (MMR).
    diversity: Option<f32>,
    /// Drop matches below this cosine similarity (BM25 score in lexical mode).
    min_score: Option<f32>,
    /// Ids of good examples to steer towards.
    like: Vec<String>,
    /// Ids of unsuitable examples to steer away from.
    unlike: Vec<String>,
    /// Build explanations (default true).
    explain: Option<bool>,
    /// Demote records close to everything on the other side (default true).
    hub_reduction: Option<bool>,
}

impl Ranking {
    /// Checked options with the served defaults for what was not given.
    pub fn options(self, filter: Filter, filter_path: &str) -> Result<RankOptions, ApiError> {
        filter
            .validate()
            .map_err(|e| ApiError::invalid(&format!("{filter_path}{}", e.field), e.problem))?;
        let diversity = self.diversity.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&diversity) {
            return Err(ApiError::invalid("diversity", "must be between 0 and 1"));
        }
        if let Some(ef) = self.ef {
            if !(1..=10_000).contains(&ef) {
                return Err(ApiError::invalid("ef", "must be between 1 and 10000"));
            }
        }
        let k = match self.k.unwrap_or(10) {
            0 => return Err(ApiError::invalid("k", "must be at least 1")),
            k if k > MAX_K => {
                return Err(ApiError::invalid("k", format!("must be at most {MAX_K}")))
            }
            k => k,
        };
        Ok(RankOptions {
            k,
            mode: self.mode.unwrap_or_default(),
            filter,
            exact: self.exact.unwrap_or(false),
            ef: self.ef,
            min_score: self.min_score,
            diversity,
            like: self.like,
            unlike: self.unlike,
            explain: self.explain.unwrap_or(true),
            lexical_weight: DEFAULT_LEXICAL_WEIGHT,
            hub_reduction: self.hub_reduction.unwrap_or(true),
        })
    }
}

/// Query parameters of the id-based match routes (lists comma-separated).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatchParams {
    /// How many matches (1–1000, default 10).
    k: Option<usize>,
    /// Compare with every record instead of searching the HNSW graph.
    exact: Option<bool>,
    /// HNSW search breadth (1–10000).
    ef: Option<usize>,
    /// dense (default), lexical or hybrid.
    mode: Option<Mode>,
    /// 0 = relevance order (default); up to 1 = spread the list (MMR).
    diversity: Option<f32>,
    /// Drop matches below this cosine similarity (BM25 score in lexical mode).
    min_score: Option<f32>,
    /// Ids of good examples (comma-separated) to steer towards.
    like: Option<String>,
    /// Ids of unsuitable examples (comma-separated) to steer away from.
    unlike: Option<String>,
    /// Build explanations (default true).
    explain: Option<bool>,
    /// Demote profiles close to every challenge (default true; README "Ranking quality").
    hub_reduction: Option<bool>,
    /// Only open calls whose deadline has not passed (status=open, deadline_from=today).
    open: Option<bool>,
    #[serde(flatten)]
    #[param(ignore)]
    filter: Filter,
    /// Anything else: refused, naming the parameter.
    #[serde(flatten)]
    #[param(ignore)]
    unknown: BTreeMap<String, String>,
}

impl MatchParams {
    pub fn options(self) -> Result<RankOptions, ApiError> {
        if let Some(name) = self.unknown.keys().next() {
            return Err(ApiError::bad_parameter(
                name,
                format!("unknown parameter `{name}`"),
            ));
        }
        let mut filter = self.filter;
        if self.open == Some(true) {
            filter.status = vec!["open".into()];
            filter.deadline_from.get_or_insert_with(today);
        }
        let split = |v: Option<String>| -> Vec<String> {
            v.iter()
                .flat_map(|s| s.split(','))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        Ranking {
            k: self.k,
            exact: self.exact,
            ef: self.ef,
            mode: self.mode,
            diversity: self.diversity,
            min_score: self.min_score,
            like: split(self.like),
            unlike: split(self.unlike),
            explain: self.explain,
            hub_reduction: self.hub_reduction,
        }
        .options(filter, "")
    }
}

/// The body of `POST /v1/match`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreeText {
    /// A challenge draft or a startup description (at most 20,000 characters).
    pub text: String,
    /// What to search: "startups" (default) or "challenges".
    pub kind: Option<Kind>,
    #[serde(default)]
    pub filter: Filter,
    k: Option<usize>,
    exact: Option<bool>,
    ef: Option<usize>,
    mode: Option<Mode>,
    diversity: Option<f32>,
    min_score: Option<f32>,
    #[serde(default, deserialize_with = "list")]
    like: Vec<String>,
    #[serde(default, deserialize_with = "list")]
    unlike: Vec<String>,
    explain: Option<bool>,
    /// Demote records close to everything on the other side (default true).
    hub_reduction: Option<bool>,
}

impl FreeText {
    /// The checked text, what to search, and the options.
    pub fn parse(self) -> Result<(String, Kind, RankOptions), ApiError> {
        if self.text.trim().is_empty() {
            return Err(ApiError::invalid("text", "is empty"));
        }
        if self.text.chars().count() > MAX_QUERY_CHARS {
            return Err(ApiError::invalid(
                "text",
                format!("is longer than {MAX_QUERY_CHARS} characters"),
            ));
        }
        let ranking = Ranking {
            k: self.k,
            exact: self.exact,
            ef: self.ef,
            mode: self.mode,
            diversity: self.diversity,
            min_score: self.min_score,
            like: self.like,
            unlike: self.unlike,
            explain: self.explain,
            hub_reduction: self.hub_reduction,
        };
        let opts = ranking.options(self.filter, "filter.")?;
        Ok((self.text, self.kind.unwrap_or(Kind::Startup), opts))
    }
}
