//! Quality flags at ingest: each record's [`assess`](crate::domain::quality::assess) stored
//! with it, and the catalogue-wide view `govmatch ingest` and `govmatch report quality` print —
//! contentless records (left out of match lists by default), near-duplicate groups (same
//! website or near-identical text) and records missing filter fields. Nothing is rejected:
//! every flagged record stays stored and can be listed with `include_low_quality`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::{quality, Kind, Record};
use crate::store::{QualityRow, Store, StoreError};

/// The stored form of one record's assessment.
pub fn row(record: &Record) -> QualityRow {
    let a = quality::assess(record);
    QualityRow {
        id: record.id().to_string(),
        informative_words: a.informative_words,
        contentless: a.contentless,
        missing: a.missing.iter().map(|m| m.to_string()).collect(),
        website_key: a.website_key,
        text_key: a.text_key,
    }
}

/// Assesses records stored before flags existed; returns how many. Records that no longer
/// parse are skipped with a warning (the index reports them as damaged).
pub fn backfill(store: &mut dyn Store) -> Result<usize, StoreError> {
    let mut done = 0;
    for kind in [Kind::Startup, Kind::Challenge] {
        let rows: Vec<QualityRow> = store
            .records_without_quality(kind)?
            .into_iter()
            .filter_map(|r| match r.decode(kind) {
                Ok(record) => Some(row(&record)),
                Err(e) => {
                    tracing::warn!(error = %e, "unreadable record not assessed");
                    None
                }
            })
            .collect();
        if !rows.is_empty() {
            store.put_quality(kind, &rows)?;
            tracing::info!(
                kind = kind.plural(),
                records = rows.len(),
                "quality flags computed for records stored before them"
            );
        }
        done += rows.len();
    }
    Ok(done)
}

/// A flagged record, with its name or title for people reading the report.
#[derive(Debug, Clone, Serialize)]
pub struct Flagged {
    pub id: String,
    pub title: String,
    pub reason: String,
}

/// Records that share a website or a near-identical text.
#[derive(Debug, Clone, Serialize)]
pub struct DuplicateGroup {
    /// `website` or `text`.
    pub by: &'static str,
    /// The shared website (host and path) or the text's word-set hash.
    pub key: String,
    pub ids: Vec<String>,
}

/// The quality of one collection as stored.
#[derive(Debug, Clone, Serialize)]
pub struct QualityReport {
    pub kind: &'static str,
    pub records: usize,
    /// Left out of match lists unless low-quality records are asked for.
    pub contentless: Vec<Flagged>,
    pub duplicate_groups: Vec<DuplicateGroup>,
    /// Records in at least one duplicate group.
    pub near_duplicates: usize,
    /// Per filter field, how many records lack it.
    pub missing: BTreeMap<String, usize>,
}

impl QualityReport {
    /// Builds the report from the stored flags (assessing any record stored before them).
    pub fn of(store: &mut dyn Store, kind: Kind) -> Result<Self, StoreError> {
        backfill(store)?;
        let rows = store.quality(kind)?;
        let titles: BTreeMap<String, String> = store
            .records(kind)?
            .into_iter()
            .map(|r| {
                let title = serde_json::from_str::<serde_json::Value>(&r.data)
                    .ok()
                    .and_then(|v| {
                        v.get(if kind == Kind::Startup {
                            "name"
                        } else {
                            "title"
                        })
                        .and_then(|t| t.as_str().map(str::to_string))
                    })
                    .unwrap_or_default();
                (r.id, title)
            })
            .collect();
        Ok(Self::from_rows(kind, &rows, &titles))
    }

    /// The report over `rows` (ordered by id), titles looked up by id.
    pub fn from_rows(kind: Kind, rows: &[QualityRow], titles: &BTreeMap<String, String>) -> Self {
        let title = |id: &str| titles.get(id).cloned().unwrap_or_default();
        let contentless = rows
            .iter()
            .filter_map(|r| {
                r.contentless.as_ref().map(|reason| Flagged {
                    id: r.id.clone(),
                    title: title(&r.id),
                    reason: reason.clone(),
                })
            })
            .collect();
        let mut groups = Vec::new();
        for (by, key_of) in [
            (
                "website",
                (|r: &QualityRow| r.website_key.clone()) as fn(&QualityRow) -> Option<String>,
            ),
            ("text", |r: &QualityRow| r.text_key.clone()),
        ] {
            let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for r in rows {
                if let Some(k) = key_of(r) {
                    by_key.entry(k).or_default().push(r.id.clone());
                }
            }
            groups.extend(
                by_key
                    .into_iter()
                    .filter(|(_, ids)| ids.len() > 1)
                    .map(|(key, ids)| DuplicateGroup { by, key, ids }),
            );
        }
        let near_duplicates = groups
            .iter()
            .flat_map(|g| g.ids.iter())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let mut missing = BTreeMap::new();
        for r in rows {
            for m in &r.missing {
                *missing.entry(m.clone()).or_insert(0) += 1;
            }
        }
        QualityReport {
            kind: kind.plural(),
            records: rows.len(),
            contentless,
            duplicate_groups: groups,
            near_duplicates,
            missing,
        }
    }

    /// One line for `govmatch ingest`: what is flagged and what happens to it.
    pub fn summary(&self) -> String {
        let missing: Vec<String> = self
            .missing
            .iter()
            .map(|(field, n)| format!("{field} {n}"))
            .collect();
        format!(
            "quality of the {} {}: {} contentless (left out of match lists unless \
             include_low_quality), {} near-duplicates in {} groups, missing fields: {}; \
             details: govmatch report quality",
            self.records,
            self.kind,
            self.contentless.len(),
            self.near_duplicates,
            self.duplicate_groups.len(),
            if missing.is_empty() {
                "none".to_string()
            } else {
                missing.join(", ")
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, site: Option<&str>, text: Option<&str>, contentless: bool) -> QualityRow {
        QualityRow {
            id: id.into(),
            informative_words: 3,
            contentless: contentless.then(|| "no informative words".into()),
            missing: vec!["stage".into()],
            website_key: site.map(str::to_string),
            text_key: text.map(str::to_string),
        }
    }

    #[test]
    fn groups_duplicates_by_website_and_text() {
        let rows = [
            row("a", Some("x.com"), Some("t1"), false),
            row("b", Some("x.com"), Some("t2"), false),
            row("c", None, Some("t2"), true),
            row("d", Some("y.com"), None, false),
        ];
        let r = QualityReport::from_rows(Kind::Startup, &rows, &BTreeMap::new());
        assert_eq!(r.contentless.len(), 1);
        assert_eq!(r.duplicate_groups.len(), 2);
        assert_eq!(r.duplicate_groups[0].ids, vec!["a", "b"]);
        assert_eq!(r.duplicate_groups[1].ids, vec!["b", "c"]);
        assert_eq!(r.near_duplicates, 3);
        assert_eq!(r.missing["stage"], 4);
    }
}
