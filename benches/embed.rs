//! Criterion benchmark of embedding throughput on real abstracts (SciFact corpus texts).
//! `cargo bench --bench embed`; `govmatch bench embed` prints the same as a table with memory.

use std::path::PathBuf;
use std::sync::Arc;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use govmatch::embed::{EmbedOptions, Embedder, LongText, Role};
use govmatch::eval::beir::Document;
use govmatch::model::Model;

const TEXTS: usize = 64;

fn corpus() -> Vec<String> {
    let shared = std::env::var_os("GOVMATCH_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let path = shared.join("data/beir/scifact/corpus.jsonl");
    let docs: Vec<Document> = govmatch::domain::read_jsonl(&path)
        .unwrap_or_else(|e| panic!("{e} (set GOVMATCH_SHARED to the shared data folder)"));
    docs.iter().take(TEXTS).map(Document::full_text).collect()
}

fn embed(c: &mut Criterion) {
    let texts = corpus();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let models_dir = std::env::var_os("GOVMATCH_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"));
    let mut group = c.benchmark_group("embed_scifact");
    group.sample_size(10);
    group.throughput(Throughput::Elements(TEXTS as u64));
    for name in ["all-MiniLM-L6-v2", "multilingual-e5-small"] {
        let model = Model::load(name, &models_dir)
            .unwrap_or_else(|e| panic!("{e}: run `govmatch models fetch`"));
        let options = EmbedOptions {
            long_text: LongText::Truncate,
            ..EmbedOptions::default()
        };
        let embedder = Embedder::new(Arc::new(model), options);
        group.bench_function(name, |b| {
            b.iter(|| embedder.embed(&refs, Role::Passage).expect("embeds"))
        });
    }
    group.finish();
}

criterion_group!(benches, embed);
criterion_main!(benches);
