//! Explanations: shared facets, sentence splitting, the evidence sentences, and the
//! plain-language summary a civil servant reads.

use std::collections::HashSet;

use super::lexical::QueryTerms;
use super::score::Candidate;
use super::{Catalog, Query, RankError, SentenceCache};
use crate::domain::{Evidence, Explanation, FacetMatch, Kind, Record, ScoreParts};
use crate::embed::Embedder;
use crate::index::{dot, Facets};

/// Facet values both records have, compared case-insensitively, in `b`'s wording.
pub fn shared_facets(a: &Facets, b: &Facets) -> Vec<FacetMatch> {
    fn shared(a: &[String], b: &[String]) -> Vec<String> {
        let left: HashSet<String> = a.iter().map(|s| s.to_lowercase()).collect();
        let mut out: Vec<String> = Vec::new();
        for v in b {
            if left.contains(&v.to_lowercase()) && !out.iter().any(|o| o.eq_ignore_ascii_case(v)) {
                out.push(v.clone());
            }
        }
        out
    }
    [
        ("sectors", shared(&a.sectors, &b.sectors)),
        ("region", shared(&a.region, &b.region)),
        ("language", shared(&a.languages, &b.languages)),
    ]
    .into_iter()
    .filter(|(_, values)| !values.is_empty())
    .map(|(facet, values)| FacetMatch {
        facet: facet.to_string(),
        values,
    })
    .collect()
}

/// Most sentences of one record that are compared with the query.
pub const MAX_SENTENCES: usize = 24;

/// Splits a profile or challenge into sentences worth quoting: at `.`, `!`, `?` or a line
/// break followed by white space, keeping those of at least three words.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        let boundary = match c {
            '\n' => true,
            '.' | '!' | '?' => chars.peek().is_none_or(|n| n.is_whitespace()),
            _ => false,
        };
        if boundary {
            push_sentence(&mut out, &current);
            current.clear();
        }
        if out.len() >= MAX_SENTENCES {
            return out;
        }
    }
    push_sentence(&mut out, &current);
    out
}

fn push_sentence(out: &mut Vec<String>, s: &str) {
    let s = s.trim();
    if s.split_whitespace().count() >= 3 {
        out.push(s.chars().take(400).collect());
    }
}

/// One or two sentences that say why, in words: meaning, keywords, shared facets.
pub fn summary(
    parts: &ScoreParts,
    facets: &[FacetMatch],
    evidence: &[Evidence],
    terms: &[String],
    broad_among: Option<&str>,
) -> String {
    let mut reasons = Vec::new();
    if let Some(dense) = parts.dense {
        let strength = match dense {
            s if s >= 0.85 => "very close",
            s if s >= 0.75 => "close",
            s if s >= 0.6 => "related",
            _ => "loosely related",
        };
        reasons.push(format!("{strength} in meaning (similarity {dense:.2})"));
    }
    if !terms.is_empty() {
        let shown: Vec<&str> = terms.iter().take(4).map(String::as_str).collect();
        reasons.push(format!("uses the same key terms ({})", shown.join(", ")));
    }
    for f in facets {
        let what = match f.facet.as_str() {
            "sectors" => "shares the topics",
            "region" => "is in the same region",
            _ => "speaks the same language",
        };
        reasons.push(format!("{what} {}", f.values.join(", ")));
    }
    let mut text = if reasons.is_empty() {
        "Suggested by rank only.".to_string()
    } else {
        let mut s = reasons.join("; ");
        if let Some(first) = s.get(..1) {
            s = first.to_uppercase() + &s[1..];
        }
        s + "."
    };
    if let Some(others) = broad_among {
        text.push_str(&format!(
            " Broadly worded: it resembles many {others}, so it ranks lower than its similarity \
             alone would place it."
        ));
    }
    if let Some(best) = evidence.first() {
        text.push_str(&format!(" Closest passage: \u{201c}{}\u{201d}", best.text));
    }
    text
}

/// The explanation of one listed candidate: shared facets, the record's sentences closest to
/// the query (needs the embedder), shared terms (needs the lexical index) and the summary.
pub fn explain_match(
    embedder: Option<&Embedder>,
    sentences: &SentenceCache,
    catalog: &Catalog,
    (query, query_terms): (&Query, Option<&QueryTerms>),
    vector: Option<&[f32]>,
    c: &Candidate,
    record: Option<&Record>,
) -> Result<Explanation, RankError> {
    let facets = match (&query.facets, &c.facets) {
        (Some(a), Some(b)) => shared_facets(a, b),
        _ => Vec::new(),
    };
    let text = record.map(Record::embed_text).unwrap_or_default();
    let mut evidence = Vec::new();
    if let (Some(q), Some(embedder)) = (vector, embedder) {
        let items = sentences.for_text(embedder, catalog.kind, &text)?;
        let mut scored: Vec<(f32, usize)> = items
            .iter()
            .enumerate()
            .map(|(i, (_, v))| (dot(q, v), i))
            .collect();
        // Best first; equal similarities keep text order.
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        evidence = scored
            .into_iter()
            .take(3)
            .map(|(similarity, i)| Evidence {
                similarity,
                text: items[i].0.clone(),
            })
            .collect();
    }
    let terms = match (catalog.lexical, query_terms) {
        (Some(lexical), Some(q)) => lexical.shared_terms(q, &text, 6),
        _ => Vec::new(),
    };
    let broad = c
        .parts
        .hubness
        .zip(catalog.hubness)
        .is_some_and(|(h, hubness)| hubness.is_broad(h));
    Ok(Explanation {
        summary: summary(
            &c.parts,
            &facets,
            &evidence,
            &terms,
            broad.then_some(match catalog.kind {
                Kind::Startup => "challenges",
                Kind::Challenge => "startups",
            }),
        ),
        scores: c.parts.clone(),
        facets,
        sentences: evidence,
        terms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sentences_but_not_decimals_or_abbreviated_numbers() {
        let s = sentences(
            "We cut energy use by 12.5 percent. Used in 3 cities!\nShort.  Works with sensors and LoRaWAN gateways",
        );
        assert_eq!(
            s,
            [
                "We cut energy use by 12.5 percent.",
                "Used in 3 cities!",
                "Works with sensors and LoRaWAN gateways"
            ]
        );
    }

    #[test]
    fn shared_facets_ignore_case_and_skip_empty_ones() {
        let a = Facets {
            sectors: vec!["Mobility".into(), "AI".into()],
            region: vec!["hamburg".into()],
            ..Facets::default()
        };
        let b = Facets {
            sectors: vec!["ai".into(), "health".into()],
            region: vec!["berlin".into()],
            ..Facets::default()
        };
        let m = shared_facets(&a, &b);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].facet, "sectors");
        assert_eq!(m[0].values, ["ai"]);
    }

    #[test]
    fn summary_reads_as_a_sentence() {
        let parts = ScoreParts {
            dense: Some(0.81),
            ..ScoreParts::default()
        };
        let s = summary(
            &parts,
            &[],
            &[Evidence {
                text: "We route buses.".into(),
                similarity: 0.7,
            }],
            &["buses".into()],
            None,
        );
        assert_eq!(
            s,
            "Close in meaning (similarity 0.81); uses the same key terms (buses). Closest passage: \u{201c}We route buses.\u{201d}"
        );
        let broad = summary(&parts, &[], &[], &[], Some("challenges"));
        assert!(
            broad.ends_with("Broadly worded: it resembles many challenges, so it ranks lower than its similarity alone would place it."),
            "{broad}"
        );
    }
}
