//! Explanations: shared facets, sentence splitting, the evidence sentences, and the
//! plain-language summary a civil servant reads.

use std::collections::HashSet;

use super::lexical::{LexicalIndex, QueryTerms};
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
    let mut s = s.trim();
    // "…Gewerbe.." where a field ending in a period was joined with ". " (not an ellipsis).
    if s.ends_with("..") && !s.ends_with("...") {
        s = &s[..s.len() - 1];
    }
    if s.split_whitespace().count() >= 3 {
        out.push(s.chars().take(400).collect());
    }
}

/// The language an explanation is written in: the challenge's (German or English).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    De,
    En,
}

impl Lang {
    /// From a declared language (`de`, `de-DE`, `German`…); anything else is English.
    pub fn from_code(code: &str) -> Option<Self> {
        let code = code.trim().to_ascii_lowercase();
        if code.starts_with("de") || code == "german" || code == "deutsch" {
            Some(Lang::De)
        } else if code.starts_with("en") || code == "english" {
            Some(Lang::En)
        } else {
            None
        }
    }

    fn number(self, x: f32) -> String {
        let s = format!("{x:.2}");
        match self {
            Lang::De => s.replace('.', ","),
            Lang::En => s,
        }
    }
}

/// The language of a challenge: its declared `language`, else recognised from its text (with
/// the lexical index's stop words), else English.
pub fn language(declared: Option<&str>, text: &str, lexical: Option<&LexicalIndex>) -> Lang {
    declared
        .and_then(Lang::from_code)
        .or_else(|| {
            lexical.map(|l| match l.language_of(text) {
                tantivy::tokenizer::Language::German => Lang::De,
                _ => Lang::En,
            })
        })
        .unwrap_or(Lang::En)
}

/// Hub reduction moved a broadly worded record down: among what, and by how many places.
#[derive(Debug, Clone, Copy)]
pub struct Demoted {
    /// What it resembles many of: `Kind::Challenge` for a startup, `Kind::Startup` for a
    /// challenge.
    pub among: Kind,
    pub places: usize,
}

/// One or two sentences that say why, in words: meaning, keywords, shared facets, and where
/// hub reduction moved the record.
pub fn summary(
    lang: Lang,
    parts: &ScoreParts,
    facets: &[FacetMatch],
    evidence: &[Evidence],
    terms: &[String],
    demoted: Option<Demoted>,
) -> String {
    let de = lang == Lang::De;
    let mut reasons = Vec::new();
    if let Some(dense) = parts.dense {
        let strength = match (dense, de) {
            (s, false) if s >= 0.85 => "very close in meaning",
            (s, false) if s >= 0.75 => "close in meaning",
            (s, false) if s >= 0.6 => "related in meaning",
            (_, false) => "loosely related in meaning",
            (s, true) if s >= 0.85 => "inhaltlich sehr nah",
            (s, true) if s >= 0.75 => "inhaltlich nah",
            (s, true) if s >= 0.6 => "inhaltlich verwandt",
            (_, true) => "inhaltlich entfernt verwandt",
        };
        let word = if de { "Ähnlichkeit" } else { "similarity" };
        // Under hub reduction the score is lower than the similarity: say by how much.
        let adjusted = match (parts.adjusted, de) {
            (Some(a), false) => format!("; {} after hub reduction", lang.number(a)),
            (Some(a), true) => format!("; {} nach Hub-Reduktion", lang.number(a)),
            (None, _) => String::new(),
        };
        reasons.push(format!(
            "{strength} ({word} {}{adjusted})",
            lang.number(dense)
        ));
    }
    if !terms.is_empty() {
        let shown: Vec<&str> = terms.iter().take(4).map(String::as_str).collect();
        let what = if de {
            "verwendet dieselben Schlüsselbegriffe"
        } else {
            "uses the same key terms"
        };
        reasons.push(format!("{what} ({})", shown.join(", ")));
    }
    for f in facets {
        let what = match (f.facet.as_str(), de) {
            ("sectors", false) => "shares the topics",
            ("region", false) => "is in the same region",
            (_, false) => "speaks the same language",
            ("sectors", true) => "teilt die Themen",
            ("region", true) => "ist in derselben Region",
            (_, true) => "spricht dieselbe Sprache",
        };
        reasons.push(format!("{what} {}", f.values.join(", ")));
    }
    let mut text = if reasons.is_empty() {
        if de {
            "Nur nach dem Rang vorgeschlagen.".to_string()
        } else {
            "Suggested by rank only.".to_string()
        }
    } else {
        let mut s = reasons.join("; ");
        if let Some(first) = s.chars().next() {
            s = first.to_uppercase().collect::<String>() + &s[first.len_utf8()..];
        }
        s + "."
    };
    if let Some(d) = demoted {
        let places = d.places;
        text.push_str(&match (de, d.among) {
            (false, among) => format!(
                " Broadly worded: it resembles many {}, so hub reduction ranks it {places} \
                 place{} lower than its similarity alone would.",
                among.plural(),
                if places == 1 { "" } else { "s" }
            ),
            (true, among) => format!(
                " Breit formuliert: ähnelt vielen {}, daher {places} {} tiefer eingeordnet, als \
                 die Ähnlichkeit allein ergäbe.",
                match among {
                    Kind::Challenge => "Challenges",
                    Kind::Startup => "Startups",
                },
                if places == 1 { "Platz" } else { "Plätze" }
            ),
        });
    }
    if let Some(best) = evidence.first() {
        let label = if de {
            "Nächste Textstelle"
        } else {
            "Closest passage"
        };
        let (open, close) = if de {
            ('\u{201e}', '\u{201c}')
        } else {
            ('\u{201c}', '\u{201d}')
        };
        text.push_str(&format!(" {label}: {open}{}{close}", best.text));
    }
    text
}

/// The explanation of one listed candidate: shared facets, the record's sentences closest to
/// the query (needs the embedder), shared terms (needs the lexical index) and the summary.
pub fn explain_match(
    embedder: Option<&Embedder>,
    sentences: &SentenceCache,
    catalog: &Catalog,
    (query, query_terms, query_lang): (&Query, Option<&QueryTerms>, Lang),
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
    // Said only where hub reduction moved a broad record down, with how far.
    let demoted = match (c.parts.hubness, c.parts.similarity_rank, c.parts.dense_rank) {
        (Some(h), Some(by_similarity), Some(served))
            if served > by_similarity && catalog.hubness.is_some_and(|hub| hub.is_broad(h)) =>
        {
            Some(Demoted {
                among: match catalog.kind {
                    Kind::Startup => Kind::Challenge,
                    Kind::Challenge => Kind::Startup,
                },
                places: served - by_similarity,
            })
        }
        _ => None,
    };
    // The challenge's language: the candidate's when challenges are listed, else the query's
    // (found once per list by the caller).
    let lang = match (catalog.kind, record) {
        (Kind::Challenge, Some(Record::Challenge(ch))) => {
            language(ch.language.as_deref(), &text, catalog.lexical)
        }
        (Kind::Challenge, _) => Lang::En,
        (Kind::Startup, _) => query_lang,
    };
    let quality = c.facets.as_ref().and_then(|f| f.contentless.clone());
    let mut text = summary(lang, &c.parts, &facets, &evidence, &terms, demoted);
    if let Some(reason) = &quality {
        let warning = match lang {
            Lang::De => format!(
                "Profil ohne verwertbaren Inhalt ({reason}); gelistet, weil include_low_quality \
                 gesetzt ist. "
            ),
            Lang::En => format!(
                "Contentless profile ({reason}); listed because include_low_quality is set. "
            ),
        };
        text.insert_str(0, &warning);
    }
    Ok(Explanation {
        summary: text,
        scores: c.parts.clone(),
        facets,
        sentences: evidence,
        terms,
        quality,
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
    fn summary_reads_as_a_sentence_in_the_challenges_language() {
        let parts = ScoreParts {
            dense: Some(0.81),
            ..ScoreParts::default()
        };
        let evidence = [Evidence {
            text: "We route buses.".into(),
            similarity: 0.7,
        }];
        let s = summary(Lang::En, &parts, &[], &evidence, &["buses".into()], None);
        assert_eq!(
            s,
            "Close in meaning (similarity 0.81); uses the same key terms (buses). Closest passage: \u{201c}We route buses.\u{201d}"
        );
        let de = summary(Lang::De, &parts, &[], &evidence, &["Busse".into()], None);
        assert_eq!(
            de,
            "Inhaltlich nah (Ähnlichkeit 0,81); verwendet dieselben Schlüsselbegriffe (Busse). Nächste Textstelle: \u{201e}We route buses.\u{201c}"
        );
        let moved = Demoted {
            among: Kind::Challenge,
            places: 3,
        };
        let broad = summary(Lang::En, &parts, &[], &[], &[], Some(moved));
        assert!(
            broad.ends_with("Broadly worded: it resembles many challenges, so hub reduction ranks it 3 places lower than its similarity alone would."),
            "{broad}"
        );
        let breit = summary(Lang::De, &parts, &[], &[], &[], Some(moved));
        assert!(breit.contains("3 Plätze tiefer"), "{breit}");
        assert_eq!(Lang::from_code("de-DE"), Some(Lang::De));
        assert_eq!(Lang::from_code("fr"), None);
    }

    #[test]
    fn sentences_lose_the_double_period_of_joined_fields() {
        let s = sentences("Wir beraten das Gewerbe.. Wir prüfen Anträge schnell... und gut.");
        assert_eq!(s[0], "Wir beraten das Gewerbe.");
        assert!(s[1].ends_with("..."), "{s:?}");
    }
}
