//! The ranking fields a caller may set, declared once: the API reads them from a query string
//! or a JSON body, the command line from its flags, the pages from their forms, and all of
//! them turn them into [`RankOptions`] here — the same names, the same limits, the same
//! errors, and the served defaults for what was not given.

use serde::Deserialize;

use super::{Mode, RankOptions, DEFAULT_LEXICAL_WEIGHT};
use crate::index::filter::list;
use crate::index::Filter;

/// Most results one list may hold.
pub const MAX_K: usize = 1000;

/// The ranking fields every match route takes — as query parameters of the id routes (lists
/// comma-separated) and as fields of the free-text body — declared once for both.
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct Ranking {
    /// How many matches (1–1000, default 10).
    pub k: Option<usize>,
    /// Compare with every record instead of searching the HNSW graph.
    pub exact: Option<bool>,
    /// HNSW search breadth (1–10000).
    pub ef: Option<usize>,
    /// dense (default), lexical or hybrid.
    pub mode: Option<Mode>,
    /// 0 = relevance order (default); up to 1 = spread the list (MMR).
    pub diversity: Option<f32>,
    /// Drop matches below this cosine similarity (BM25 score in lexical mode).
    pub min_score: Option<f32>,
    /// Ids of good examples to steer towards (comma-separated, or a JSON list).
    #[serde(default, deserialize_with = "list")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
    pub like: Vec<String>,
    /// Ids of unsuitable examples to steer away from.
    #[serde(default, deserialize_with = "list")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
    pub unlike: Vec<String>,
    /// Build explanations (default true).
    pub explain: Option<bool>,
    /// Demote records close to everything on the other side (default true; docs/evaluation.md).
    pub hub_reduction: Option<bool>,
    /// Lexical and hybrid modes: translate a German query's words into English for BM25
    /// (default true; docs/evaluation.md).
    pub translate: Option<bool>,
}

/// A ranking field (or filter field, under its path) that cannot be right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct OptionError {
    pub field: String,
    pub problem: String,
}

impl Ranking {
    /// Checked options with the served defaults for what was not given; `filter` is checked
    /// too, its fields named under `filter_path` (`"filter."` in a body).
    pub fn options(self, filter: Filter, filter_path: &str) -> Result<RankOptions, OptionError> {
        let fail = |field: &str, problem: String| OptionError {
            field: field.to_string(),
            problem,
        };
        filter
            .validate()
            .map_err(|e| fail(&format!("{filter_path}{}", e.field), e.problem))?;
        if let Some(ef) = self.ef {
            if !(1..=10_000).contains(&ef) {
                return Err(fail("ef", "must be between 1 and 10000".into()));
            }
        }
        let k = match self.k.unwrap_or(10) {
            0 => return Err(fail("k", "must be at least 1".into())),
            k if k > MAX_K => return Err(fail("k", format!("must be at most {MAX_K}"))),
            k => k,
        };
        let opts = RankOptions {
            k,
            mode: self.mode.unwrap_or_default(),
            filter,
            exact: self.exact.unwrap_or(false),
            ef: self.ef,
            min_score: self.min_score,
            diversity: self.diversity.unwrap_or(0.0),
            like: self.like,
            unlike: self.unlike,
            explain: self.explain.unwrap_or(true),
            lexical_weight: DEFAULT_LEXICAL_WEIGHT,
            hub_reduction: self.hub_reduction.unwrap_or(true),
            translate: self.translate.unwrap_or(true),
        };
        opts.validate()
            .map_err(|(field, problem)| fail(field, problem))?;
        Ok(opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_served_ranking_and_limits_name_their_field() {
        let opts = Ranking::default().options(Filter::default(), "").unwrap();
        assert_eq!((opts.k, opts.mode, opts.explain), (10, Mode::Dense, true));
        assert!(opts.hub_reduction && opts.translate && !opts.exact);
        for (ranking, field) in [
            (
                Ranking {
                    k: Some(0),
                    ..Ranking::default()
                },
                "k",
            ),
            (
                Ranking {
                    k: Some(MAX_K + 1),
                    ..Ranking::default()
                },
                "k",
            ),
            (
                Ranking {
                    ef: Some(0),
                    ..Ranking::default()
                },
                "ef",
            ),
            (
                Ranking {
                    diversity: Some(1.5),
                    ..Ranking::default()
                },
                "diversity",
            ),
        ] {
            assert_eq!(
                ranking.options(Filter::default(), "").unwrap_err().field,
                field
            );
        }
        let bad = Filter {
            deadline_from: Some("2027-02-30".into()),
            ..Filter::default()
        };
        let e = Ranking::default().options(bad, "filter.").unwrap_err();
        assert_eq!(e.field, "filter.deadline_from");
    }
}
