//! One ranked match as a card: the reason in words, the evidence sentences highlighted in
//! the record's own text, shared terms and facets, and the score parts behind a disclosure.

use maud::{html, Markup};

use govmatch::domain::{Explanation, Match, Record};
use govmatch::service::{Served, Service};

use super::layout::Lang;

/// The record's text with each evidence sentence marked where it occurs.
fn highlighted(text: &str, explanation: &Explanation) -> Markup {
    let mut spans: Vec<(usize, usize)> = explanation
        .sentences
        .iter()
        .filter_map(|e| text.find(e.text.as_str()).map(|i| (i, i + e.text.len())))
        .collect();
    spans.sort();
    let mut parts: Vec<(bool, &str)> = Vec::new();
    let mut at = 0;
    for (start, end) in spans {
        if start < at {
            continue;
        }
        parts.push((false, &text[at..start]));
        parts.push((true, &text[start..end]));
        at = end;
    }
    parts.push((false, &text[at..]));
    html! {
        p.text {
            @for (marked, part) in parts {
                @if marked { mark { (part) } } @else { (part) }
            }
        }
    }
}

/// A served list's matches, each with its record (for the highlighted text).
pub fn with_records(service: &Service, served: Served) -> Vec<(Match, Option<Record>)> {
    let kind = served.kind;
    served
        .matches
        .into_iter()
        .map(|m| {
            let r = service.record(kind, &m.id);
            (m, r)
        })
        .collect()
}

/// The text a match is judged by: a startup's one-liner and description, a challenge's
/// description.
pub fn body_text(record: &Record) -> String {
    match record {
        Record::Startup(s) => [s.one_liner.as_str(), s.description.as_str()]
            .iter()
            .filter(|t| !t.trim().is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" "),
        Record::Challenge(c) => c.description.clone(),
    }
}

/// A match card; `actions` holds the page's buttons for it (feedback, shortlist, steering).
pub fn card(lang: Lang, m: &Match, href: &str, record: Option<&Record>, actions: Markup) -> Markup {
    let heading = format!("m-{}", m.id);
    html! {
        li.match id=(heading) data-id=(m.id) {
            article aria-labelledby=(format!("{heading}-h")) {
                header.match-head {
                    h3 id=(format!("{heading}-h")) {
                        span.rank { (m.rank) ". " }
                        a href=(href) { (m.title) }
                    }
                    span.score title=(lang.t("Wert (0–1)", "Score (0–1)")) {
                        (lang.t("Wert ", "Score ")) (lang.num(m.score as f64, 2))
                    }
                }
                @if let Some(e) = &m.explanation {
                    @if let Some(q) = &e.quality {
                        p.warning { strong { (lang.t("Hinweis: ", "Note: ")) } (q) }
                    }
                    p.summary { (e.summary) }
                    @if let Some(r) = record {
                        (highlighted(&body_text(r), e))
                    }
                    @if !e.terms.is_empty() {
                        p.terms {
                            strong { (lang.t("Gemeinsame Begriffe: ", "Shared terms: ")) }
                            @for (i, t) in e.terms.iter().enumerate() {
                                @if i > 0 { ", " }
                                span.term { (t) }
                            }
                        }
                    }
                    @if !e.facets.is_empty() {
                        p.facets {
                            strong { (lang.t("Gemeinsam: ", "In common: ")) }
                            @for (i, f) in e.facets.iter().enumerate() {
                                @if i > 0 { "; " }
                                (facet_name(lang, &f.facet)) ": " (f.values.join(", "))
                            }
                        }
                    }
                    details.scores {
                        summary { (lang.t("Teilwerte", "Score parts")) }
                        table {
                            caption.visually-hidden { (lang.t("Teilwerte", "Score parts")) }
                            tbody {
                                @for (name, value) in score_rows(lang, e) {
                                    tr { th scope="row" { (name) } td { (value) } }
                                }
                            }
                        }
                    }
                }
                (actions)
            }
        }
    }
}

fn facet_name(lang: Lang, facet: &str) -> &'static str {
    match facet {
        "sectors" => lang.t("Themen", "Topics"),
        "region" => lang.t("Region", "Region"),
        _ => lang.t("Sprache", "Language"),
    }
}

fn score_rows(lang: Lang, e: &Explanation) -> Vec<(&'static str, String)> {
    let s = &e.scores;
    let f = |x: Option<f32>| x.map(|v| lang.num(v as f64, 3));
    let r = |x: Option<usize>| x.map(|v| v.to_string());
    [
        (lang.t("Ähnlichkeit", "Similarity"), f(s.dense)),
        (
            lang.t("Rang nach Ähnlichkeit", "Rank by similarity"),
            r(s.similarity_rank),
        ),
        (lang.t("Rang (Vektoren)", "Rank (vectors)"), r(s.dense_rank)),
        ("BM25", f(s.lexical)),
        (lang.t("Rang (Wörter)", "Rank (words)"), r(s.lexical_rank)),
        (lang.t("Fusion", "Fused"), f(s.fused)),
        (lang.t("Hubness", "Hubness"), f(s.hubness)),
        (
            lang.t("Nach Hub-Reduktion", "After hub reduction"),
            f(s.adjusted),
        ),
    ]
    .into_iter()
    .filter_map(|(name, v)| v.map(|v| (name, v)))
    .collect()
}
