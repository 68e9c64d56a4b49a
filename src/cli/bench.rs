//! `govmatch bench embed`: embedding throughput and one-query latency on real texts, one
//! configuration per process so each one's memory is its own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Subcommand;
use govmatch::embed::{LongText, Role};
use govmatch::eval::beir::Document;
use govmatch::model::{registry, Backend, Precision};

use super::ModelArgs;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// HNSW build time, queries/s and recall@10 vs exact search at several ef.
    Index(super::bench_index::BenchIndexArgs),
    /// Texts/s, tokens/s, one-query latency and memory of embedding with each model × precision.
    Embed {
        /// Models to measure (repeatable) [default: every known model].
        #[arg(long = "model")]
        models: Vec<String>,
        /// Precisions to measure (repeatable) [default: f32 and int8].
        #[arg(long = "precision")]
        precisions: Vec<Precision>,
        /// Encoder implementation (`candle` is the f32 reference).
        #[arg(long, default_value = "native")]
        backend: Backend,
        #[arg(long, env = "GOVMATCH_MODELS_DIR", default_value = "models")]
        models_dir: PathBuf,
        /// BEIR corpus.jsonl whose title + " " + text are embedded.
        #[arg(long, default_value = "../shared/data/beir/scifact/corpus.jsonl")]
        corpus: PathBuf,
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        /// Short queries (the queries.jsonl beside the corpus) each embedded alone, for latency.
        #[arg(long, default_value_t = 1000)]
        queries: usize,
        /// Words kept of each latency query (0: all). 8 words ≈ 12 tokens, the API's typical
        /// free-text query; SciFact's whole claims are about twice as long.
        #[arg(long, default_value_t = 8)]
        query_words: usize,
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
    backend: String,
    texts: usize,
    tokens: usize,
    seconds: f64,
    texts_per_s: f64,
    tokens_per_s: f64,
    /// One query embedded alone (the API's free-text case).
    query_tokens_mean: f64,
    query_p50_ms: f64,
    query_p99_ms: f64,
    /// Resident memory the loaded model (weights + tokenizer) added, the whole process's after
    /// the run (model + working set), and its peak including loading.
    model_rss_mb: f64,
    rss_mb: f64,
    peak_rss_mb: f64,
}

/// A line of Linux `/proc/self/status` (`VmRSS`, `VmHWM`) in MiB.
fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn measure_one(
    model: ModelArgs,
    corpus: &Path,
    limit: usize,
    queries: usize,
    query_words: usize,
) -> anyhow::Result<Measurement> {
    let docs: Vec<Document> = govmatch::domain::read_jsonl(corpus)?;
    let texts: Vec<String> = docs.iter().take(limit).map(Document::full_text).collect();
    if texts.is_empty() {
        bail!("{}: no texts", corpus.display());
    }
    let query_file = corpus.with_file_name("queries.jsonl");
    let query_texts: Vec<String> = if queries == 0 {
        Vec::new()
    } else {
        govmatch::domain::read_jsonl::<Document>(&query_file)
            .with_context(|| format!("reading latency queries from {}", query_file.display()))?
            .iter()
            .map(|q| {
                let text = q.full_text();
                if query_words == 0 {
                    return text;
                }
                text.split_whitespace()
                    .take(query_words)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .cycle()
            .take(queries)
            .collect()
    };
    let backend = format!("{:?}", model.backend).to_lowercase();
    let baseline_mb = status_mb("VmRSS:");
    let embedder = model.embedder_or(LongText::Truncate)?;
    let loaded_mb = status_mb("VmRSS:") - baseline_mb;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    // Warm-up: page in the weights and the allocator before timing.
    embedder.embed(&refs[..refs.len().min(8)], Role::Passage)?;
    let start = Instant::now();
    let out = embedder.embed_with_stats(&refs, Role::Passage)?;
    let seconds = start.elapsed().as_secs_f64();
    let mut latencies = Vec::with_capacity(query_texts.len());
    let mut query_tokens = 0;
    for q in &query_texts {
        let t = Instant::now();
        let e = embedder.embed_with_stats(&[q.as_str()], Role::Query)?;
        latencies.push(t.elapsed().as_secs_f64() * 1e3);
        query_tokens += e.tokens;
    }
    latencies.sort_by(f64::total_cmp);
    Ok(Measurement {
        model: embedder.model().info.id.clone(),
        precision: embedder.model().precision.to_string(),
        backend,
        texts: texts.len(),
        tokens: out.tokens,
        seconds,
        texts_per_s: texts.len() as f64 / seconds,
        tokens_per_s: out.tokens as f64 / seconds,
        query_tokens_mean: query_tokens as f64 / latencies.len().max(1) as f64,
        query_p50_ms: percentile(&latencies, 0.50),
        query_p99_ms: percentile(&latencies, 0.99),
        model_rss_mb: loaded_mb,
        rss_mb: status_mb("VmRSS:"),
        peak_rss_mb: status_mb("VmHWM:"),
    })
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    let BenchCommand::Embed {
        models,
        precisions,
        backend,
        models_dir,
        corpus,
        limit,
        queries,
        query_words,
        batch_size,
        json,
    } = cmd
    else {
        let BenchCommand::Index(args) = cmd else {
            unreachable!("two variants")
        };
        return super::bench_index::run(args);
    };
    let model_args = |model: &str, precision: Precision| ModelArgs {
        model: model.to_string(),
        models_dir: models_dir.clone(),
        long_text: Some(LongText::Truncate),
        batch_size,
        precision,
        backend,
    };
    if models.len() == 1 && precisions.len() == 1 {
        let m = measure_one(
            model_args(&models[0], precisions[0]),
            &corpus,
            limit,
            queries,
            query_words,
        )?;
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
    let precisions = if precisions.is_empty() {
        vec![Precision::F32, Precision::Int8]
    } else {
        precisions
    };
    // One child process per configuration, so memory is measured per configuration.
    let exe = std::env::current_exe().context("locating the govmatch binary")?;
    let mut results = Vec::new();
    for model in &models {
        for precision in &precisions {
            let out = Command::new(&exe)
                .args(["bench", "embed", "--json", "--model", model])
                .args(["--precision", precision.as_str()])
                .args(["--backend", &format!("{backend:?}").to_lowercase()])
                .arg("--models-dir")
                .arg(&models_dir)
                .arg("--corpus")
                .arg(&corpus)
                .args(["--limit", &limit.to_string()])
                .args(["--queries", &queries.to_string()])
                .args(["--query-words", &query_words.to_string()])
                .args(["--batch-size", &batch_size.to_string()])
                .output()
                .with_context(|| format!("running the benchmark for {model} {precision}"))?;
            if !out.status.success() {
                bail!(
                    "benchmark for {model} {precision} failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            let line = String::from_utf8_lossy(&out.stdout);
            let m: Measurement = serde_json::from_str(line.trim())
                .with_context(|| format!("reading the result for {model} {precision}"))?;
            if json {
                println!("{}", serde_json::to_string(&m)?);
            }
            results.push(m);
        }
    }
    if !json {
        print_table(&results);
    }
    Ok(())
}

fn print_table(rows: &[Measurement]) {
    println!(
        "| model | precision | texts/s | tokens/s | query ms p50 | query ms p99 | RSS MiB | peak RSS MiB |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for m in rows {
        println!(
            "| {} | {} | {:.1} | {:.0} | {:.2} | {:.2} | {:.0} | {:.0} |",
            m.model,
            m.precision,
            m.texts_per_s,
            m.tokens_per_s,
            m.query_p50_ms,
            m.query_p99_ms,
            m.rss_mb,
            m.peak_rss_mb
        );
    }
}
