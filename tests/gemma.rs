//! EmbeddingGemma-300M on govmatch's Gemma 3 encoder gives sentence-transformers' vectors.
//!
//! The reference (tests/fixtures/embeddinggemma_reference.json) was made with
//! sentence-transformers in float32 from the same reassembled files: 8 German and English
//! texts, each with the query and the document prompt, and the token ids of two of them.

mod common;

use common::{cosine, embedder};
use govmatch::embed::{LongText, Role};
use govmatch::model::{LoadOptions, Model, Precision};
use serde::Deserialize;

const MODEL: &str = "embeddinggemma-300m";

#[derive(Deserialize)]
struct Reference {
    prompts: Prompts,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Prompts {
    query: String,
    document: String,
}

#[derive(Deserialize)]
struct Case {
    text: String,
    prompt: String,
    #[serde(default)]
    token_ids: Vec<u32>,
    vector: Vec<f32>,
}

fn reference() -> Reference {
    let path = common::root().join("tests/fixtures/embeddinggemma_reference.json");
    serde_json::from_slice(&std::fs::read(path).expect("reference file")).expect("reference JSON")
}

fn role(prompt: &str) -> Role {
    match prompt {
        "query" => Role::Query,
        _ => Role::Passage,
    }
}

/// Embeds every case and returns the lowest cosine to the reference.
fn worst_cosine(embedder: &govmatch::embed::Embedder, cases: &[Case]) -> (f64, String) {
    let mut worst = (f64::MAX, String::new());
    for case in cases {
        let ours = embedder
            .embed_one(&case.text, role(&case.prompt))
            .expect("embeds");
        let c = cosine(&ours, &case.vector);
        if c < worst.0 {
            worst = (c, format!("{} ({})", case.text, case.prompt));
        }
    }
    worst
}

#[test]
fn embeddinggemma_matches_sentence_transformers() {
    let reference = reference();
    let embedder = embedder(MODEL, LongText::Truncate);
    let info = &embedder.model().info;
    // The prompts and sizes come from the model's own sentence-transformers configs.
    assert_eq!(info.query_prefix, reference.prompts.query);
    assert_eq!(info.passage_prefix, reference.prompts.document);
    assert_eq!(embedder.dim(), 768);
    // Tokenization: prompt and text as one string, <bos> … <eos>.
    for case in reference.cases.iter().filter(|c| !c.token_ids.is_empty()) {
        let windows = embedder
            .windows(&[&case.text], role(&case.prompt))
            .expect("tokenizes");
        assert_eq!(
            windows[0].ids, case.token_ids,
            "{} ({})",
            case.text, case.prompt
        );
    }
    let (worst, which) = worst_cosine(&embedder, &reference.cases);
    eprintln!("f32: lowest cosine to sentence-transformers {worst:.7} ({which})");
    assert!(worst >= 0.999, "f32: cosine {worst} for {which}");
}

#[test]
fn embeddinggemma_int8_stays_close_and_ranks_alike() {
    let reference = reference();
    let model = Model::load_with(
        MODEL,
        &common::models_dir(),
        LoadOptions {
            precision: Precision::Int8,
            ..LoadOptions::default()
        },
    )
    .unwrap_or_else(|e| {
        panic!("{e}\ninstall it with: cargo run --release -- models fetch --model {MODEL}")
    });
    let embedder = govmatch::embed::Embedder::new(
        std::sync::Arc::new(model),
        govmatch::embed::EmbedOptions {
            long_text: LongText::Truncate,
            ..Default::default()
        },
    );
    let (worst, which) = worst_cosine(&embedder, &reference.cases);
    eprintln!("int8: lowest cosine to sentence-transformers {worst:.5} ({which})");
    assert!(worst >= 0.98, "int8: cosine {worst} for {which}");
    // Each German or English query finds its own text first among the documents, as with f32.
    let queries: Vec<&Case> = reference
        .cases
        .iter()
        .filter(|c| c.prompt == "query")
        .collect();
    let documents: Vec<&Case> = reference
        .cases
        .iter()
        .filter(|c| c.prompt != "query")
        .collect();
    let docs: Vec<Vec<f32>> = documents
        .iter()
        .map(|d| embedder.embed_one(&d.text, Role::Passage).expect("embeds"))
        .collect();
    for q in queries.iter().filter(|q| q.text.len() > 1) {
        let v = embedder.embed_one(&q.text, Role::Query).expect("embeds");
        let best = docs
            .iter()
            .enumerate()
            .max_by(|a, b| cosine(&v, a.1).total_cmp(&cosine(&v, b.1)))
            .map(|(i, _)| documents[i].text.as_str());
        assert_eq!(best, Some(q.text.as_str()));
    }
}
