//! `govmatch bench embed`: embedding throughput on real texts, one model per process so each
//! model's peak memory is its own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Subcommand;
use govmatch::embed::{LongText, Role};
use govmatch::eval::beir::Document;
use govmatch::model::registry;

use super::ModelArgs;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// HNSW build time, queries/s and recall@10 vs exact search at several ef.
    Index(super::bench_index::BenchIndexArgs),
    /// Texts/s, tokens/s and peak memory of embedding the first N texts of a BEIR corpus.
    Embed {
        /// Models to measure (repeatable) [default: every known model].
        #[arg(long = "model")]
        models: Vec<String>,
        #[arg(long, env = "GOVMATCH_MODELS_DIR", default_value = "models")]
        models_dir: PathBuf,
        /// BEIR corpus.jsonl whose title + " " + text are embedded.
        #[arg(long, default_value = "../shared/data/beir/scifact/corpus.jsonl")]
        corpus: PathBuf,
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        #[arg(long, default_value_t = 32)]
        batch_size: usize,
        /// Print one JSON object per model instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Measurement {
    model: String,
    precision: String,
    texts: usize,
    tokens: usize,
    seconds: f64,
    texts_per_s: f64,
    tokens_per_s: f64,
    peak_rss_mb: f64,
}

/// Peak resident memory of this process (Linux `VmHWM`), in MiB.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn measure_one(model: ModelArgs, corpus: &Path, limit: usize) -> anyhow::Result<Measurement> {
    let docs: Vec<Document> = govmatch::domain::read_jsonl(corpus)?;
    let texts: Vec<String> = docs.iter().take(limit).map(Document::full_text).collect();
    if texts.is_empty() {
        bail!("{}: no texts", corpus.display());
    }
    let embedder = model.embedder_or(LongText::Truncate)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    // Warm-up: page in the weights and the allocator before timing.
    embedder.embed(&refs[..refs.len().min(8)], Role::Passage)?;
    let start = Instant::now();
    let out = embedder.embed_with_stats(&refs, Role::Passage)?;
    let seconds = start.elapsed().as_secs_f64();
    Ok(Measurement {
        model: embedder.model().info.id.clone(),
        precision: "f32".into(),
        texts: texts.len(),
        tokens: out.tokens,
        seconds,
        texts_per_s: texts.len() as f64 / seconds,
        tokens_per_s: out.tokens as f64 / seconds,
        peak_rss_mb: peak_rss_mb(),
    })
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    let (models, models_dir, corpus, limit, batch_size, json) = match cmd {
        BenchCommand::Index(args) => return super::bench_index::run(args),
        BenchCommand::Embed {
            models,
            models_dir,
            corpus,
            limit,
            batch_size,
            json,
        } => (models, models_dir, corpus, limit, batch_size, json),
    };
    let model_args = |model: &str| ModelArgs {
        model: model.to_string(),
        models_dir: models_dir.clone(),
        long_text: Some(LongText::Truncate),
        batch_size,
    };
    if models.len() == 1 {
        let m = measure_one(model_args(&models[0]), &corpus, limit)?;
        if json {
            println!("{}", serde_json::to_string(&m)?);
        } else {
            print_table(&[m]);
        }
        return Ok(());
    }
    let models: Vec<String> = if models.is_empty() {
        registry::known_names()
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        models
    };
    // One child process per model, so peak memory is measured per model.
    let exe = std::env::current_exe().context("locating the govmatch binary")?;
    let mut results = Vec::new();
    for model in &models {
        let out = Command::new(&exe)
            .args(["bench", "embed", "--json", "--model", model])
            .arg("--models-dir")
            .arg(&models_dir)
            .arg("--corpus")
            .arg(&corpus)
            .args(["--limit", &limit.to_string()])
            .args(["--batch-size", &batch_size.to_string()])
            .output()
            .with_context(|| format!("running the benchmark for {model}"))?;
        if !out.status.success() {
            bail!(
                "benchmark for {model} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let line = String::from_utf8_lossy(&out.stdout);
        let m: Measurement = serde_json::from_str(line.trim())
            .with_context(|| format!("reading the result for {model}"))?;
        if json {
            println!("{}", serde_json::to_string(&m)?);
        }
        results.push(m);
    }
    if !json {
        print_table(&results);
    }
    Ok(())
}

fn print_table(rows: &[Measurement]) {
    println!(
        "| model | precision | texts | tokens | seconds | texts/s | tokens/s | peak RSS MiB |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for m in rows {
        println!(
            "| {} | {} | {} | {} | {:.1} | {:.1} | {:.0} | {:.0} |",
            m.model,
            m.precision,
            m.texts,
            m.tokens,
            m.seconds,
            m.texts_per_s,
            m.tokens_per_s,
            m.peak_rss_mb
        );
    }
}
