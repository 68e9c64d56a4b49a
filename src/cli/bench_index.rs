//! `govmatch bench index`: HNSW build time, queries/s and recall@10 against exact search, at
//! several ef, on real startup embeddings and on 100,000 synthetic 384-d vectors.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use govmatch::domain::Kind;
use govmatch::embed::{role_for, LongText};
use govmatch::index::{Entry, ExactIndex, Facets, Filter, HnswIndex, HnswParams};
use rayon::prelude::*;

use super::DataArgs;
use super::ModelArgs;

#[derive(Args)]
pub struct BenchIndexArgs {
    /// Models whose stored startup vectors are benchmarked (repeatable)
    /// [default: every known model].
    #[arg(long = "model")]
    models: Vec<String>,
    #[arg(long, env = "GOVMATCH_MODELS_DIR", default_value = "models")]
    models_dir: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    /// Synthetic vectors (0 to skip).
    #[arg(long, default_value_t = 100_000)]
    synthetic: usize,
    /// Queries per dataset.
    #[arg(long, default_value_t = 1000)]
    queries: usize,
    /// ef values to measure.
    #[arg(long, value_delimiter = ',', default_value = "16,32,64,128,256")]
    ef: Vec<usize>,
    /// Write each dataset's base and query vectors here (for scripts/bench_index.py).
    #[arg(long)]
    export: Option<PathBuf>,
    /// One JSON object per row instead of a table.
    #[arg(long)]
    json: bool,
}

/// Name, base vectors, query vectors.
type Dataset = (String, Vec<Vec<f32>>, Vec<Vec<f32>>);

#[derive(serde::Serialize)]
struct Row {
    dataset: String,
    n: usize,
    dim: usize,
    build_s: f64,
    ef: usize,
    recall_at_10: f64,
    queries_per_s: f64,
}

/// Deterministic generator (splitmix64), so the synthetic set is the same on every machine
/// and in every version.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 + 0.5) / (1u64 << 24) as f32
    }
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f32 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    govmatch::embed::normalize(&mut v);
    v
}

/// Clustered unit vectors (1,000 Gaussian clusters), closer to text embeddings than uniform
/// noise, which no index can search well.
fn synthetic(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = SplitMix(seed);
    let centers: Vec<Vec<f32>> = (0..1000)
        .map(|_| unit((0..dim).map(|_| rng.normal()).collect()))
        .collect();
    (0..n)
        .map(|_| {
            let c = &centers[(rng.next_u64() % centers.len() as u64) as usize];
            unit(c.iter().map(|x| x + 0.03 * rng.normal()).collect())
        })
        .collect()
}

fn export(dir: &Path, name: &str, base: &[Vec<f32>], queries: &[Vec<f32>]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (suffix, set) in [("base", base), ("query", queries)] {
        let bytes: Vec<u8> = set.iter().flatten().flat_map(|x| x.to_le_bytes()).collect();
        std::fs::write(dir.join(format!("{name}.{suffix}.f32")), bytes)?;
    }
    Ok(())
}

fn measure(name: &str, base: Vec<Vec<f32>>, queries: &[Vec<f32>], efs: &[usize]) -> Vec<Row> {
    let dim = base[0].len();
    let n = base.len();
    let exact = ExactIndex::from_vectors(dim, &base);
    let truth: Vec<Vec<usize>> = exact
        .search_many(queries, 10)
        .into_iter()
        .map(|h| h.into_iter().map(|h| h.row).collect())
        .collect();
    let items: Vec<(Entry, Vec<f32>)> = base
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let entry = Entry {
                id: format!("{i:08}"),
                text_hash: String::new(),
                facets: Facets::default(),
                alive: true,
            };
            (entry, v)
        })
        .collect();
    let start = Instant::now();
    let index = HnswIndex::build(dim, HnswParams::default(), items);
    let build_s = start.elapsed().as_secs_f64();
    let none = Filter::default();
    efs.iter()
        .map(|&ef| {
            // One thread, one query at a time: the latency a request sees.
            let start = Instant::now();
            let results: Vec<Vec<usize>> = queries
                .iter()
                .map(|q| {
                    index
                        .search(q, 10, Some(ef), &none)
                        .into_iter()
                        .map(|h| h.row)
                        .collect()
                })
                .collect();
            let secs = start.elapsed().as_secs_f64();
            let found: usize = results
                .par_iter()
                .zip(&truth)
                .map(|(r, t)| r.iter().filter(|x| t.contains(x)).count())
                .sum();
            Row {
                dataset: name.to_string(),
                n,
                dim,
                build_s,
                ef,
                recall_at_10: found as f64 / (truth.len() * 10) as f64,
                queries_per_s: queries.len() as f64 / secs,
            }
        })
        .collect()
}

pub fn run(args: BenchIndexArgs) -> anyhow::Result<()> {
    let models: Vec<String> = if args.models.is_empty() {
        govmatch::model::registry::known_names()
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        args.models.clone()
    };
    let mut datasets: Vec<Dataset> = Vec::new();
    let store = govmatch::store::open(&args.data.data_dir)?;
    for model in &models {
        let embedder = ModelArgs {
            model: model.clone(),
            models_dir: args.models_dir.clone(),
            long_text: Some(LongText::Window { overlap: 32 }),
            batch_size: 32,
            precision: Default::default(),
            backend: Default::default(),
        }
        .embedder()?;
        let key = embedder.key(role_for(Kind::Startup));
        let rows = store.records_with_vectors(Kind::Startup, &key)?;
        let base: Vec<Vec<f32>> = rows.into_iter().filter_map(|(_, v)| v).collect();
        if base.len() < 100 {
            bail!(
                "only {} startups with {model} vectors in {}: ingest the startup corpus first, e.g.\n  govmatch ingest startups ../shared/data/realworld/startups/yc_companies_2024-05-11.jsonl --mapping mappings/yc_startups.toml --model {model}",
                base.len(),
                args.data.data_dir.display()
            );
        }
        // Queries: real startup vectors held out of the index (every k-th), so they come from
        // the same distribution without being in the graph.
        let step = (base.len() / args.queries.max(1)).max(2);
        let (queries, base): (Vec<_>, Vec<_>) = base
            .into_iter()
            .enumerate()
            .partition(|(i, _)| i % step == 0 && i / step < args.queries);
        let queries: Vec<Vec<f32>> = queries.into_iter().map(|(_, v)| v).collect();
        let base: Vec<Vec<f32>> = base.into_iter().map(|(_, v)| v).collect();
        datasets.push((format!("startups/{model}"), base, queries));
    }
    if args.synthetic > 0 {
        let all = synthetic(args.synthetic + args.queries, 384, 42);
        let (base, queries) = all.split_at(args.synthetic);
        datasets.push((
            format!("synthetic-{}k", args.synthetic / 1000),
            base.to_vec(),
            queries.to_vec(),
        ));
    }
    let mut rows = Vec::new();
    for (name, base, queries) in datasets {
        if let Some(dir) = &args.export {
            export(dir, &name.replace('/', "_"), &base, &queries).context("exporting vectors")?;
        }
        tracing::info!(dataset = %name, n = base.len(), "benchmarking");
        rows.extend(measure(&name, base, &queries, &args.ef));
    }
    if args.json {
        for r in &rows {
            println!("{}", serde_json::to_string(r)?);
        }
    } else {
        println!("HNSW M={} ef_construction={} (default ef_search {}), 1 thread per query, recall@10 vs exact", HnswParams::default().m, HnswParams::default().ef_construction, HnswParams::default().ef_search);
        println!("| dataset | n | build s | ef | recall@10 | queries/s |");
        println!("|---|---:|---:|---:|---:|---:|");
        for r in &rows {
            println!(
                "| {} | {} | {:.2} | {} | {:.4} | {:.0} |",
                r.dataset, r.n, r.build_s, r.ef, r.recall_at_10, r.queries_per_s
            );
        }
    }
    Ok(())
}
