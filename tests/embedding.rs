//! Behaviour of the embed stage that users rely on, on the real models.

mod common;

use common::{cosine, embedder};
use govmatch::embed::{EmbedError, LongText, Role};

const MINILM: &str = "all-MiniLM-L6-v2";
const E5: &str = "multilingual-e5-small";

fn long_text() -> String {
    // ~600 tokens: the second half is about something else than the first.
    let a = "The harbour authority monitors ship traffic, berth occupancy and crane schedules. ";
    let b = "Pupils in primary schools learn reading with tablets and adaptive exercises. ";
    format!("{}{}", a.repeat(20), b.repeat(20))
}

#[test]
fn empty_or_whitespace_text_is_an_error_naming_its_position() {
    let e = embedder(MINILM, LongText::Truncate);
    for bad in ["", "   ", "\n\t "] {
        let err = e.embed(&["fine", bad], Role::Passage).unwrap_err();
        assert!(matches!(err, EmbedError::EmptyText { index: 1 }), "{err}");
        assert!(err.to_string().contains("#1"));
    }
}

#[test]
fn vectors_are_unit_length_and_independent_of_batching() {
    let e = embedder(MINILM, LongText::Window { overlap: 32 });
    let long = long_text();
    let texts = [
        "short",
        "A medium length sentence about traffic lights in Hamburg.",
        long.as_str(),
        "Behörde für Verkehr und Mobilitätswende",
    ];
    let together = e.embed(&texts, Role::Passage).unwrap();
    for (text, v) in texts.iter().zip(&together) {
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
        // Padding to a longer neighbour must not change a text's vector.
        let alone = e.embed_one(text, Role::Passage).unwrap();
        assert!(cosine(v, &alone) > 0.99999, "batching changed {text:?}");
    }
}

#[test]
fn long_texts_never_fail_and_windows_see_the_end() {
    let truncate = embedder(MINILM, LongText::Truncate);
    let window = embedder(MINILM, LongText::Window { overlap: 32 });
    let long = long_text();
    let t = truncate.embed_one(&long, Role::Passage).unwrap();
    let w = window.embed_one(&long, Role::Passage).unwrap();
    let tail = truncate
        .embed_one(
            "Pupils in primary schools learn reading with tablets.",
            Role::Query,
        )
        .unwrap();
    // Truncation drops the school half; windows keep it.
    assert!(cosine(&w, &tail) > cosine(&t, &tail) + 0.05);
    // Short texts are the same either way.
    let s = "Smart parking sensors";
    let a = truncate.embed_one(s, Role::Passage).unwrap();
    let b = window.embed_one(s, Role::Passage).unwrap();
    assert!(cosine(&a, &b) > 0.999999);
    let windows = window.windows(&[&long], Role::Passage).unwrap();
    assert!(windows.len() >= 3);
    assert!(windows.iter().all(|w| w.ids.len() <= 256));
}

#[test]
fn e5_uses_its_prompts_and_matches_german_queries_to_english_profiles() {
    let e = embedder(E5, LongText::Window { overlap: 32 });
    let info = &e.model().info;
    assert_eq!(info.query_prefix, "query: ");
    assert_eq!(info.passage_prefix, "passage: ");
    let q = "Wir suchen eine Lösung, um Schlaglöcher auf Straßen automatisch zu erkennen.";
    let passages = [
        "We build an app for ordering pizza with friends.",
        "Our cameras on garbage trucks detect potholes and road damage automatically.",
        "A marketplace for second-hand fashion.",
        "Payroll software for small restaurants.",
    ];
    let qv = e.embed_one(q, Role::Query).unwrap();
    let pv = e.embed(&passages, Role::Passage).unwrap();
    let best = pv
        .iter()
        .enumerate()
        .max_by(|a, b| cosine(&qv, a.1).total_cmp(&cosine(&qv, b.1)))
        .unwrap()
        .0;
    assert_eq!(best, 1);
    // The role matters: the same text as passage is a different vector.
    let as_passage = e.embed_one(q, Role::Passage).unwrap();
    assert!(cosine(&qv, &as_passage) < 0.999);
}
