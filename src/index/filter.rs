//! Facets (region, stage, sectors, language, status) and the filters over them, applied inside
//! the index search so a filtered query still returns as many results as asked for.

use serde::{Deserialize, Serialize};

use crate::ingest::Record;

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
            },
            Record::Challenge(c) => Facets {
                region: lower(&c.region),
                stage: None,
                sectors: c.tags.clone(),
                languages: lower(&c.language),
                status: c.status.clone(),
                deadline: c.deadline.clone(),
            },
        }
    }
}

/// Conditions a result must meet; empty parts match everything. Within a part any listed value
/// matches; all given parts must match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Filter {
    #[serde(default)]
    pub region: Vec<String>,
    #[serde(default)]
    pub stage: Vec<String>,
    #[serde(default)]
    pub sectors: Vec<String>,
    #[serde(default)]
    pub language: Vec<String>,
    #[serde(default)]
    pub status: Vec<String>,
    /// Keep only records whose deadline is on or after this date (YYYY-MM-DD); records without
    /// a deadline pass. "Deadline not passed" is this with today's date.
    #[serde(default)]
    pub deadline_from: Option<String>,
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
    pub fn is_empty(&self) -> bool {
        self.region.is_empty()
            && self.stage.is_empty()
            && self.sectors.is_empty()
            && self.language.is_empty()
            && self.status.is_empty()
            && self.deadline_from.is_none()
    }

    pub fn matches(&self, f: &Facets) -> bool {
        any_of(&self.region, &f.region)
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
