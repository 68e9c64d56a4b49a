//! Data quality of one record, judged from its own fields at ingest: whether it says anything
//! (a "Building something new. Stay tuned!" profile matches every challenge a little and none
//! well, and real directories hold such profiles), which filter fields it lacks, and the keys
//! that find near-duplicates across the catalogue.
//!
//! Only *contentless* records are kept out of match lists (by default; `include_low_quality`
//! brings them back). Missing fields and duplicates are reported, never acted on silently.

use std::collections::BTreeSet;

use super::{Challenge, Record, Startup};

/// Fewer distinct informative words than this and a record says nothing to match on.
pub const MIN_INFORMATIVE_WORDS: usize = 2;

/// A record whose text holds placeholder wording needs at least this many informative words to
/// count as having content ("Still in stealth. Reach out!" with a real one-liner keeps it).
pub const MIN_WORDS_BESIDE_PLACEHOLDER: usize = 5;

/// Distinct informative words a text needs before its word set marks near-duplicates: short
/// texts share word sets by chance.
pub const MIN_WORDS_FOR_TEXT_KEY: usize = 5;

/// Placeholder wording of profiles and calls that are not written yet (English and German).
const PLACEHOLDERS: &[&str] = &[
    "stay tuned",
    "stealth",
    "coming soon",
    "building something new",
    "something new",
    "to be announced",
    "to be determined",
    "tbd",
    "tba",
    "under construction",
    "more to come",
    "more soon",
    "lorem ipsum",
    "placeholder",
    "demnächst",
    "in kürze",
    "kommt bald",
    "bald mehr",
    "folgt in kürze",
];

/// Words that carry no topic: function words (English, German), placeholder vocabulary and
/// the legal-form words of company names.
#[rustfmt::skip]
const UNINFORMATIVE: &[&str] = &[
    // English function words
    "a", "an", "the", "and", "or", "but", "of", "for", "to", "in", "on", "at", "by", "with",
    "from", "into", "onto", "as", "is", "are", "was", "were", "be", "been", "being", "am",
    "it", "its", "it's", "this", "that", "these", "those", "we", "our", "us", "you", "your",
    "they", "their", "them", "he", "she", "his", "her", "i", "me", "my", "all", "any", "some",
    "more", "most", "out", "up", "so", "if", "then", "than", "too", "very", "just", "also",
    "not", "no", "yes", "can", "will", "do", "does", "has", "have", "had", "get", "via",
    "about", "what", "who", "how", "why", "when", "where", "which", "here", "there", "re",
    "ll", "ve", "s", "t",
    // German function words
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "einen", "einem",
    "eines", "und", "oder", "aber", "für", "mit", "von", "zu", "zum", "zur", "im", "in", "auf",
    "an", "am", "aus", "bei", "nach", "über", "unter", "ist", "sind", "war", "wird", "werden",
    "wir", "uns", "unser", "unsere", "sie", "ihr", "ihre", "es", "als", "auch", "noch",
    "nicht", "kein", "keine", "mehr", "bald", "hier", "dies", "diese", "dieser", "wie", "was",
    "wer", "wo",
    // placeholder vocabulary
    "stay", "tuned", "stealth", "mode", "still", "coming", "soon", "building", "build",
    "something", "new", "tbd", "tba", "announced", "determined", "construction", "lorem",
    "ipsum", "placeholder", "reach", "learn", "website", "contact", "demnächst", "kürze",
    "kommt", "folgt",
    // legal forms
    "inc", "llc", "ltd", "gmbh", "ug", "ag", "co", "corp", "company", "kg",
];

/// [`UNINFORMATIVE`] as a set: every word of every record is looked up in it.
fn uninformative() -> &'static std::collections::HashSet<&'static str> {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| UNINFORMATIVE.iter().copied().collect())
}

/// A field a filter or facet reads, when a record lacks it.
pub type MissingField = &'static str;

/// What [`assess`] found in one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// Distinct words that carry a topic (not function words, placeholders or the name).
    pub informative_words: usize,
    /// Why the record says nothing to match on; `None` when it has content.
    pub contentless: Option<String>,
    /// Filter fields the record lacks (startups: region, stage, sectors; challenges:
    /// language, status, tags).
    pub missing: Vec<MissingField>,
    /// The website reduced to host and path (no scheme, `www.`, query or trailing slash).
    pub website_key: Option<String>,
    /// A hash of the informative word set: equal keys mean near-identical texts, whatever the
    /// name, word order, case or punctuation. Absent for short texts.
    pub text_key: Option<String>,
}

/// The text a record is judged by, and the name whose words do not count as content.
fn judged_text(record: &Record) -> (String, &str) {
    match record {
        Record::Startup(s) => (format!("{}\n{}", s.one_liner, s.description), &s.name),
        Record::Challenge(c) => (
            format!("{}\n{}\n{}", c.title, c.description, c.desired_outcome),
            "",
        ),
    }
}

/// Why a text with these informative words says nothing to match on; `None` when it has
/// content.
fn verdict(words: &BTreeSet<String>, text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let placeholder = PLACEHOLDERS
        .iter()
        .find(|p| contains_phrase(&lower, p))
        .copied();
    let n = words.len();
    if n < MIN_INFORMATIVE_WORDS {
        Some(match (n, placeholder) {
            (_, Some(p)) => format!("placeholder text (\u{201c}{p}\u{201d}) and nothing else"),
            (0, None) => "no informative words".to_string(),
            (_, None) => format!(
                "only one informative word (\u{201c}{}\u{201d})",
                words.iter().next().map_or("", String::as_str)
            ),
        })
    } else {
        match placeholder {
            Some(p) if n < MIN_WORDS_BESIDE_PLACEHOLDER => Some(format!(
                "placeholder text (\u{201c}{p}\u{201d}) with only {n} informative words"
            )),
            _ => None,
        }
    }
}

/// Why the record says nothing to match on (the part of [`assess`] the index needs).
pub fn contentless(record: &Record) -> Option<String> {
    let (text, name) = judged_text(record);
    verdict(&informative_words(&text, name), &text)
}

/// Judges one record from its own fields; the same record always gets the same assessment.
pub fn assess(record: &Record) -> Assessment {
    let (text, name) = judged_text(record);
    let words = informative_words(&text, name);
    let n = words.len();
    let text_key = (n >= MIN_WORDS_FOR_TEXT_KEY).then(|| {
        let joined: Vec<&str> = words.iter().map(String::as_str).collect();
        super::text_hash(&joined.join(" "))[..16].to_string()
    });
    let (missing, website) = match record {
        Record::Startup(s) => (startup_missing(s), s.website.as_deref()),
        Record::Challenge(c) => (challenge_missing(c), None),
    };
    Assessment {
        informative_words: n,
        contentless: verdict(&words, &text),
        missing,
        website_key: website.and_then(website_key),
        text_key,
    }
}

fn challenge_missing(c: &Challenge) -> Vec<MissingField> {
    let mut missing = Vec::new();
    if c.language.is_none() {
        missing.push("language");
    }
    if c.status.is_none() {
        missing.push("status");
    }
    if c.tags.is_empty() {
        missing.push("tags");
    }
    missing
}

fn startup_missing(s: &Startup) -> Vec<MissingField> {
    let mut missing = Vec::new();
    if s.region.is_none() && s.country.is_none() {
        missing.push("region");
    }
    if s.stage.is_none() {
        missing.push("stage");
    }
    if s.sectors.is_empty() && s.technologies.is_empty() {
        missing.push("sectors");
    }
    missing
}

/// `phrase` in `text` at word boundaries ("tba" not in "tbase").
fn contains_phrase(text: &str, phrase: &str) -> bool {
    text.match_indices(phrase).any(|(i, m)| {
        let before = text[..i].chars().next_back();
        let after = text[i + m.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// The distinct lower-cased words of `text` that carry a topic: URLs, e-mail addresses,
/// numbers, function and placeholder words and the words of the record's own name left out.
pub fn informative_words(text: &str, name: &str) -> BTreeSet<String> {
    let name_words: BTreeSet<String> = words(name).collect();
    text.split_whitespace()
        .filter(|w| !(w.contains("://") || w.starts_with("www.") || w.contains('@')))
        .flat_map(words)
        .filter(|w| w.chars().any(char::is_alphabetic))
        .filter(|w| !uninformative().contains(w.as_str()) && !name_words.contains(w))
        .collect()
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// `https://www.Example.com/about/?ref=x` → `example.com/about`; empty → `None`.
pub fn website_key(url: &str) -> Option<String> {
    let lower = url.trim().to_lowercase();
    let rest = lower.split_once("://").map_or(lower.as_str(), |(_, r)| r);
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let rest = rest.trim_end_matches('/');
    (!rest.is_empty()).then(|| rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Kind;

    fn startup(name: &str, one_liner: &str, description: &str) -> Record {
        let v = serde_json::json!({
            "id": "s", "name": name, "one_liner": one_liner, "description": description,
            "website": "https://www.Example.com/about/?ref=x", "country": "DE",
        });
        Record::from_value(Kind::Startup, v).unwrap()
    }

    #[test]
    fn placeholder_profiles_are_contentless() {
        for (one_liner, description) in [
            (
                "Building something new.",
                "Building something new. Stay tuned!",
            ),
            ("We are still in stealth mode.", ""),
            ("Stealth Psychedelic Co", "A Ω"),
            ("https://www.sphere.example/", ""),
            ("TBD", ""),
        ] {
            let a = assess(&startup("Sphere", one_liner, description));
            assert!(a.contentless.is_some(), "{one_liner:?} {a:?}");
        }
    }

    #[test]
    fn short_real_profiles_keep_their_content() {
        for (one_liner, description) in [
            ("Cross-border payments", ""),
            ("Fuzzing as a Service", ""),
            (
                "Predictive analytics and automation for medical claims",
                "Still in stealth. Reach out to learn more!",
            ),
            ("Sensoren melden freie Ladesäulen", ""),
        ] {
            let a = assess(&startup("Acme", one_liner, description));
            assert_eq!(a.contentless, None, "{one_liner:?} {a:?}");
        }
    }

    #[test]
    fn keys_find_near_duplicates_and_missing_fields_are_named() {
        let a = assess(&startup(
            "Alpha",
            "Route planning for municipal waste collection",
            "Alpha plans routes for waste trucks.",
        ));
        let b = assess(&startup(
            "Beta",
            "Waste collection: municipal route planning!",
            "Beta plans routes for waste trucks",
        ));
        assert_eq!(a.text_key, b.text_key);
        assert!(a.text_key.is_some());
        assert_eq!(a.website_key.as_deref(), Some("example.com/about"));
        assert_eq!(a.missing, vec!["stage", "sectors"]);
        assert_eq!(website_key("  "), None);
        assert!(!contains_phrase("tbase", "tba"));
        assert!(contains_phrase("name: tba.", "tba"));
    }
}
