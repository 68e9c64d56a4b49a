//! Facets (region, stage, sectors, language, status) and the filters over them, applied inside
//! the index search so a filtered query still returns as many results as asked for.

use serde::{Deserialize, Serialize};

use crate::domain::{quality, Record};

/// The filterable properties of one record, normalised to lower case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facets {
    pub region: Vec<String>,
    pub stage: Option<String>,
    /// Startups: sectors and technologies; challenges: tags.
    pub sectors: Vec<String>,
    pub languages: Vec<String>,
    pub status: Option<String>,
    pub deadline: Option<String>,
    /// Why the record says nothing to match on ([`quality::assess`]); such records are left
    /// out of lists unless the filter includes low-quality records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contentless: Option<String>,
}

impl Facets {
    pub fn of(record: &Record) -> Self {
        let lower = |v: &Option<String>| v.iter().map(|s| s.to_lowercase()).collect::<Vec<_>>();
        match record {
            Record::Startup(s) => Facets {
                region: lower(&s.region)
                    .into_iter()
                    .chain(lower(&s.country))
                    .collect(),
                stage: s.stage.clone(),
                sectors: s.sectors.iter().chain(&s.technologies).cloned().collect(),
                languages: s.languages.clone(),
                status: None,
                deadline: None,
                contentless: quality::contentless(record),
            },
            Record::Challenge(c) => Facets {
                region: lower(&c.region),
                stage: None,
                sectors: c.tags.clone(),
                languages: lower(&c.language),
                status: c.status.clone(),
                deadline: c.deadline.clone(),
                contentless: quality::contentless(record),
            },
        }
    }
}

/// Conditions a result must meet; empty parts match everything. Within a part any listed value
/// matches; all given parts must match.
///
/// Declared once for every front end: CLI flags (`--region a --region b` or `--region a,b`,
/// with the `cli` feature), API query parameters (`region=a,b`) and JSON bodies (`"region":
/// ["a","b"]` or `"a,b"`). A new filter field is one field here plus its test in
/// [`Filter::matches`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Region or country (any of the values matches).
    #[serde(default, deserialize_with = "list")]
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ','))]
    pub region: Vec<String>,
    /// Startup stage (seed, series-a, …).
    #[serde(default, deserialize_with = "list")]
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ','))]
    pub stage: Vec<String>,
    /// Sector, technology or tag.
    #[serde(
        default,
        rename = "sector",
        alias = "sectors",
        deserialize_with = "list"
    )]
    #[cfg_attr(feature = "cli", arg(long = "sector", value_delimiter = ','))]
    pub sectors: Vec<String>,
    /// Language of the record (de, en, …).
    #[serde(default, deserialize_with = "list")]
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ','))]
    pub language: Vec<String>,
    /// Challenge status: open or closed.
    #[serde(default, deserialize_with = "list")]
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ','))]
    pub status: Vec<String>,
    /// Keep only records whose deadline is on or after this date (YYYY-MM-DD); records without
    /// a deadline pass. "Deadline not passed" is this with today's date.
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(long))]
    pub deadline_from: Option<String>,
    /// Also list records flagged contentless at ingest (placeholder or near-empty text; see
    /// `govmatch report quality`); their explanation says so.
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(long))]
    pub include_low_quality: bool,
}

/// A list given as a JSON array or as one comma-separated string (query strings, JSON).
pub fn list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    let values = match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => s.split(',').map(str::to_string).collect(),
        OneOrMany::Many(v) => v,
    };
    Ok(values
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}

/// A calendar date written YYYY-MM-DD (2024-02-29 yes, 2023-02-29 and 2024-13-45 no): the
/// domain's one date rule ([`crate::domain::text::parse_date`]), date form only.
fn is_date(d: &str) -> bool {
    d.len() == 10 && crate::domain::text::parse_date(d).is_ok()
}

/// A filter value that cannot be right, with the field it is in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct FilterError {
    pub field: &'static str,
    pub problem: String,
}

fn any_of(wanted: &[String], have: &[String]) -> bool {
    wanted.is_empty()
        || wanted
            .iter()
            .any(|w| have.iter().any(|h| h.eq_ignore_ascii_case(w)))
}

fn one_of(wanted: &[String], have: &Option<String>) -> bool {
    wanted.is_empty()
        || have
            .as_deref()
            .is_some_and(|h| wanted.iter().any(|w| w.eq_ignore_ascii_case(h)))
}

impl Filter {
    /// Checks the values that have a form (dates), naming the field at fault.
    pub fn validate(&self) -> Result<(), FilterError> {
        if let Some(d) = &self.deadline_from {
            if !is_date(d) {
                return Err(FilterError {
                    field: "deadline_from",
                    problem: "must be a date YYYY-MM-DD".into(),
                });
            }
        }
        Ok(())
    }

    /// No condition on facets: every record passes except, by default, contentless ones
    /// (which [`matches`](Self::matches) still checks).
    pub fn is_empty(&self) -> bool {
        self.region.is_empty()
            && self.stage.is_empty()
            && self.sectors.is_empty()
            && self.language.is_empty()
            && self.status.is_empty()
            && self.deadline_from.is_none()
    }

    /// Nothing to check at all: no facet conditions, and low-quality records included.
    pub fn accepts_all(&self) -> bool {
        self.is_empty() && self.include_low_quality
    }

    /// Whether a record passes: its facets meet every condition, and it has content or
    /// low-quality records are included.
    pub fn matches(&self, f: &Facets) -> bool {
        (self.include_low_quality || f.contentless.is_none())
            && any_of(&self.region, &f.region)
            && one_of(&self.stage, &f.stage)
            && any_of(&self.sectors, &f.sectors)
            && any_of(&self.language, &f.languages)
            && one_of(&self.status, &f.status)
            && self.deadline_from.as_deref().is_none_or(|from| {
                // ISO dates compare as text; a timestamp's date part is its first 10 characters.
                f.deadline
                    .as_deref()
                    .is_none_or(|d| d.get(..10).unwrap_or(d) >= from)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_anded_values_ored() {
        let f = Facets {
            region: vec!["hamburg".into(), "de".into()],
            stage: Some("seed".into()),
            sectors: vec!["mobility".into(), "iot".into()],
            ..Facets::default()
        };
        let mut filter = Filter::default();
        assert!(filter.matches(&f));
        filter.region = vec!["DE".into()];
        filter.sectors = vec!["health".into(), "iot".into()];
        assert!(filter.matches(&f));
        filter.stage = vec!["growth".into()];
        assert!(!filter.matches(&f));
    }

    #[test]
    fn lists_read_from_strings_and_arrays_alike() {
        let a: Filter =
            serde_json::from_str(r#"{"region":"hamburg, de","sector":["iot"]}"#).unwrap();
        let b: Filter =
            serde_json::from_str(r#"{"region":["hamburg","de"],"sectors":"iot"}"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.region, vec!["hamburg", "de"]);
        let bad = Filter {
            deadline_from: Some("2024-1-1".into()),
            ..Filter::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "deadline_from");
        for (date, ok) in [
            ("2024-02-29", true),
            ("2023-02-29", false),
            ("2024-13-45", false),
            ("2024-04-31", false),
            ("2024-12-31", true),
            ("2024-1a-01", false),
        ] {
            assert_eq!(is_date(date), ok, "{date}");
        }
    }

    #[test]
    fn deadline_from_keeps_open_calls_and_those_without_deadline() {
        let filter = Filter {
            deadline_from: Some("2026-11-23".into()),
            ..Filter::default()
        };
        let with = |d: Option<&str>| Facets {
            deadline: d.map(str::to_string),
            ..Facets::default()
        };
        assert!(filter.matches(&with(Some("2026-11-23"))));
        assert!(filter.matches(&with(Some("2027-01-01T12:00:00Z"))));
        assert!(filter.matches(&with(None)));
        assert!(!filter.matches(&with(Some("2026-11-22"))));
    }
}
