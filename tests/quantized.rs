//! The int8 path must rank like the f32 path: per-text cosine ≥ 0.99 to f32, and on a fixed
//! query set (the Hamburg sample's challenges against its startups) at least 90% of each
//! top-10 the same. Speed is the benchmark's business (`govmatch bench embed`), not a test's.

mod common;

use std::sync::Arc;

use common::{cosine, models_dir, root};
use govmatch::domain::{read_jsonl, Challenge, Startup};
use govmatch::embed::{EmbedOptions, Embedder, Role};
use govmatch::model::{LoadOptions, Model, Precision};

fn embedder(name: &str, precision: Precision) -> Embedder {
    let options = LoadOptions {
        precision,
        ..LoadOptions::default()
    };
    let model = Model::load_with(name, &models_dir(), options).unwrap_or_else(|e| {
        panic!("model {name} is needed: {e}\ninstall it with: cargo run --release -- models fetch")
    });
    Embedder::new(Arc::new(model), EmbedOptions::default())
}

fn top10(query: &[f32], docs: &[Vec<f32>]) -> Vec<usize> {
    let mut scored: Vec<(usize, f32)> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (i, d.iter().zip(query).map(|(a, b)| a * b).sum()))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.into_iter().take(10).map(|(i, _)| i).collect()
}

fn check(name: &str) {
    let startups: Vec<Startup> = read_jsonl(&root().join("data/hamburg/startups.jsonl")).unwrap();
    let challenges: Vec<Challenge> =
        read_jsonl(&root().join("data/hamburg/challenges.jsonl")).unwrap();
    let docs: Vec<String> = startups.iter().map(Startup::embed_text).collect();
    let queries: Vec<String> = challenges.iter().map(Challenge::embed_text).collect();
    let docs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let queries: Vec<&str> = queries.iter().map(String::as_str).collect();

    let run = |p| {
        let e = embedder(name, p);
        let d = e.embed(&docs, Role::Passage).unwrap();
        let q = e.embed(&queries, Role::Query).unwrap();
        (d, q)
    };
    let (d32, q32) = run(Precision::F32);
    let (d8, q8) = run(Precision::Int8);

    let worst = d32
        .iter()
        .zip(&d8)
        .chain(q32.iter().zip(&q8))
        .map(|(a, b)| cosine(a, b))
        .fold(f64::INFINITY, f64::min);
    assert!(worst >= 0.99, "{name}: lowest int8/f32 cosine {worst:.4}");

    let overlap: usize = q32
        .iter()
        .zip(&q8)
        .map(|(a, b)| {
            let (ta, tb) = (top10(a, &d32), top10(b, &d8));
            ta.iter().filter(|i| tb.contains(i)).count()
        })
        .sum();
    let share = overlap as f64 / (10 * queries.len()) as f64;
    assert!(
        share >= 0.9,
        "{name}: int8 top-10 lists share {share:.3} of f32's"
    );
    println!("{name}: lowest cosine {worst:.5}, top-10 overlap {share:.3}");
}

#[test]
fn int8_multilingual_e5_agrees_with_f32() {
    check("multilingual-e5-small");
}

#[test]
fn int8_all_minilm_agrees_with_f32() {
    check("all-MiniLM-L6-v2");
}
