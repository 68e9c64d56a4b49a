//! `govmatch eval compare`: models × modes × search × diversity on one dataset, one table.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use govmatch::domain::{read_jsonl, Challenge, Startup};
use govmatch::embed::{LongText, VectorCache};
use govmatch::eval::beir::read_qrels_tsv;
use govmatch::eval::trec::write_run;
use govmatch::eval::{
    compare, configurations, shared_dir, BeirDataset, Dataset, Grid, JudgedSet, Metric, Prepared,
    QueryPrompt, Row, Search,
};
use govmatch::model::{registry, Backend, Precision};
use govmatch::rank::Mode;

use super::{progress_bar, ModelArgs};

#[derive(Args)]
pub struct CompareArgs {
    /// A BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv); without it, the labelled
    /// sample given by --challenges, --startups and --qrels (default: the Hamburg sample).
    #[arg(long, conflicts_with = "set")]
    beir: Option<PathBuf>,
    /// A judged set of real records (e.g. data/realworld-judged): ids, languages and judgements
    /// here, texts read from the shared folder (GOVMATCH_SHARED, default ../shared).
    #[arg(long)]
    set: Option<PathBuf>,
    #[arg(long, default_value = "test")]
    split: String,
    #[command(flatten)]
    sample: super::SampleFiles,
    /// Models to compare (names or directories).
    #[arg(long, value_delimiter = ',', default_values_t = registry::KNOWN.iter().map(|m| m.name.to_string()).collect::<Vec<_>>())]
    models: Vec<String>,
    #[arg(long, value_delimiter = ',', default_value = "dense,lexical,hybrid")]
    modes: Vec<Mode>,
    /// Dense search: `exact`, `hnsw` (default breadth) or `hnsw@EF`.
    #[arg(long, value_delimiter = ',', default_value = "exact,hnsw@32")]
    search: Vec<Search>,
    /// MMR diversity values (0 = relevance order).
    #[arg(long, value_delimiter = ',', default_value = "0")]
    diversity: Vec<f32>,
    /// Prompt of the query side: `query` (the model's asymmetric use) and/or `passage`.
    #[arg(long, value_delimiter = ',', default_value = "query")]
    prompts: Vec<QueryPrompt>,
    /// Weights of the BM25 list in hybrid rows (dense = 1) [default: the ranker's default].
    #[arg(long, value_delimiter = ',')]
    lexical_weight: Vec<f32>,
    /// Add a hub-reduced twin (CSLS, the served default) of every dense and hybrid row.
    #[arg(long)]
    hub_reduction: bool,
    /// German → English translation of the BM25 query in lexical and hybrid rows: `on`, `off`
    /// or both (`on,off`) to measure it.
    #[arg(long, value_delimiter = ',', default_value = "on", value_parser = parse_on_off)]
    translation: Vec<bool>,
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "ndcg@10,mrr@10,map@100,recall@10,recall@100,judged@10"
    )]
    metrics: Vec<Metric>,
    /// Row (1-based) the others are tested against; the significance test uses the first metric.
    #[arg(long, default_value_t = 1)]
    baseline: usize,
    #[arg(long, env = "GOVMATCH_MODELS_DIR", default_value = "models")]
    models_dir: PathBuf,
    #[arg(long, env = "GOVMATCH_PRECISION", default_value = "f32")]
    precision: Precision,
    #[arg(long, env = "GOVMATCH_BACKEND", default_value = "native")]
    backend: Backend,
    /// Long texts [default: truncate for BEIR, as MTEB; window for the sample, as served].
    #[arg(long)]
    long_text: Option<LongText>,
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Embed everything again instead of reading vectors cached by an earlier run.
    #[arg(long)]
    no_cache: bool,
    /// Also write the rows (means, p-values, per-query values) as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Also write the means as CSV.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Write each row's ranking as a TREC run file into this folder.
    #[arg(long)]
    runs: Option<PathBuf>,
    /// Draw the metrics of every row as an SVG bar chart.
    #[arg(long)]
    plot: Option<PathBuf>,
}

pub fn run(args: CompareArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    let (data, long_default) = match (&args.beir, &args.set) {
        (_, Some(dir)) => {
            let set = JudgedSet::load(dir, &shared_dir())?;
            let judged = set.qrels.len();
            if judged == 0 {
                eprintln!(
                    "{}: no judgements yet; metrics are zero (use --runs to pool)",
                    set.name
                );
            }
            (Dataset::from_judged(&set), LongText::Window { overlap: 32 })
        }
        (Some(dir), None) => {
            let beir = BeirDataset::load(dir, &args.split)?;
            let name = dir
                .file_name()
                .map_or("beir".into(), |n| n.to_string_lossy().to_string());
            (Dataset::from_beir(&name, &beir), LongText::Truncate)
        }
        (None, None) => {
            let challenges: Vec<Challenge> = read_jsonl(&args.sample.challenges)?;
            let startups: Vec<Startup> = read_jsonl(&args.sample.startups)?;
            let qrels = read_qrels_tsv(&args.sample.qrels)?;
            let data = Dataset::from_sample("hamburg-sample", &challenges, &startups, qrels);
            (data, LongText::Window { overlap: 32 })
        }
    };
    anyhow::ensure!(
        !args.metrics.is_empty(),
        "--metrics: give at least one metric"
    );
    let configs = configurations(&Grid {
        models: &args.models,
        modes: &args.modes,
        searches: &args.search,
        diversities: &args.diversity,
        prompts: &args.prompts,
        lexical_weights: &args.lexical_weight,
        hub_reduction: args.hub_reduction,
        translations: &args.translation,
    });
    anyhow::ensure!(!configs.is_empty(), "--modes/--models: nothing to compare");
    anyhow::ensure!(
        (1..=configs.len()).contains(&args.baseline),
        "--baseline: there are rows 1 to {}",
        configs.len()
    );
    let cache = (!args.no_cache).then(|| VectorCache::new(VectorCache::default_dir()));
    let mut prepared: HashMap<String, Prepared> = HashMap::new();
    for name in configs.iter().filter_map(|c| c.model.as_ref()) {
        if prepared.contains_key(name) {
            continue;
        }
        let embedder = ModelArgs {
            model: name.clone(),
            models_dir: args.models_dir.clone(),
            long_text: Some(args.long_text.unwrap_or(long_default)),
            batch_size: args.batch_size,
            precision: args.precision,
            backend: args.backend,
        }
        .embedder()?;
        let bar = progress_bar(data.docs.len(), name);
        let p = Prepared::new(embedder, &data, &args.prompts, cache.as_ref(), &|n| {
            bar.set_position(n as u64)
        })
        .with_context(|| format!("embedding {} with {name}", data.name))?;
        bar.finish_and_clear();
        if p.embedded > 0 {
            eprintln!(
                "{name}: embedded {} texts in {:.0} s",
                p.embedded, p.embed_seconds
            );
        } else {
            eprintln!("{name}: vectors from the cache");
        }
        prepared.insert(name.clone(), p);
    }
    let bar = progress_bar(configs.len(), "rows");
    let rows = compare(
        &data,
        &configs,
        &prepared,
        &args.metrics,
        args.baseline - 1,
        &|n| bar.set_position(n as u64),
    )?;
    bar.finish_and_clear();

    print!(
        "{}",
        table(&data, &rows, &args.metrics, args.baseline, args.precision)
    );
    println!("total {:.1} s", start.elapsed().as_secs_f64());
    if let Some(path) = &args.json {
        let value = serde_json::json!({
            "dataset": data.name,
            "queries": data.queries.len(),
            "documents": data.docs.len(),
            "precision": args.precision.to_string(),
            "metrics": args.metrics.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
            "baseline": args.baseline,
            "rows": rows,
        });
        write_atomic(path, serde_json::to_string_pretty(&value)?.as_bytes())?;
    }
    if let Some(path) = &args.csv {
        write_atomic(path, csv(&rows, &args.metrics)?.as_bytes())?;
    }
    if let Some(dir) = &args.runs {
        std::fs::create_dir_all(dir)?;
        for (n, row) in rows.iter().enumerate() {
            let tag = row.label.replace(' ', "_");
            let mut bytes = Vec::new();
            write_run(&mut bytes, &row.run, &tag)?;
            write_atomic(&dir.join(format!("{:02}_{tag}.run", n + 1)), &bytes)?;
        }
    }
    if let Some(path) = &args.plot {
        super::plot::bars(path, &data.name, &rows, &args.metrics)?;
    }
    Ok(())
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(format!("`{other}` is not one of: on, off")),
    }
}

fn table(
    data: &Dataset,
    rows: &[Row],
    metrics: &[Metric],
    baseline: usize,
    precision: Precision,
) -> String {
    let mut out = format!(
        "dataset {}: {} queries, {} documents; precision {precision}; p: paired randomization test on {} vs row {baseline}\n\n",
        data.name,
        data.queries.len(),
        data.docs.len(),
        metrics[0],
    );
    out.push_str("| # | configuration |");
    for m in metrics {
        out.push_str(&format!(" {m} |"));
    }
    out.push_str(" index R@10 | queries/s | p |\n|---:|---|");
    out.push_str(&"---:|".repeat(metrics.len() + 3));
    out.push('\n');
    for (n, row) in rows.iter().enumerate() {
        out.push_str(&format!("| {} | {} |", n + 1, row.label));
        for v in &row.means {
            out.push_str(&format!(" {v:.4} |"));
        }
        let recall = row
            .index_recall_at_10
            .map_or("".to_string(), |r| format!("{r:.3}"));
        let p = row
            .p_value
            .map_or("base".to_string(), |p| format!("{p:.4}"));
        out.push_str(&format!(" {recall} | {:.0} | {p} |\n", row.queries_per_s));
    }
    let languages = data.language_groups();
    if !languages.is_empty() {
        out.push_str(&format!(
            "\nby query language ({} and p against row {baseline} on that language's queries):\n\n| # | configuration |",
            metrics.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", ")
        ));
        let counts = rows.first().map(|r| &r.by_language);
        for lang in &languages {
            let n = counts
                .and_then(|c| c.iter().find(|l| &l.language == lang))
                .map_or(0, |l| l.queries);
            for m in metrics {
                out.push_str(&format!(" {lang} {m} |"));
            }
            out.push_str(&format!(" {lang} p (n={n}) |"));
        }
        out.push_str("\n|---:|---|");
        out.push_str(&"---:|".repeat(languages.len() * (metrics.len() + 1)));
        out.push('\n');
        for (n, row) in rows.iter().enumerate() {
            out.push_str(&format!("| {} | {} |", n + 1, row.label));
            for l in &row.by_language {
                for v in &l.means {
                    out.push_str(&format!(" {v:.4} |"));
                }
                let p = l.p_value.map_or("base".to_string(), |p| format!("{p:.4}"));
                out.push_str(&format!(" {p} |"));
            }
            out.push('\n');
        }
    }
    out
}

fn csv(rows: &[Row], metrics: &[Metric]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "row".to_string(),
        "label".into(),
        "model".into(),
        "mode".into(),
        "search".into(),
        "diversity".into(),
        "query_prompt".into(),
        "lexical_weight".into(),
    ];
    header.extend(metrics.iter().map(|m| m.to_string()));
    header.extend([
        "index_recall@10".into(),
        "queries_per_s".into(),
        "p_value".into(),
    ]);
    w.write_record(&header)?;
    for (n, row) in rows.iter().enumerate() {
        let c = &row.config;
        let mut record = vec![
            (n + 1).to_string(),
            row.label.clone(),
            c.model.clone().unwrap_or_default(),
            c.mode.to_string(),
            c.search.to_string(),
            c.diversity.to_string(),
            format!("{:?}", c.query_prompt).to_lowercase(),
            c.lexical_weight.to_string(),
        ];
        record.extend(row.means.iter().map(|v| format!("{v:.6}")));
        record.push(
            row.index_recall_at_10
                .map_or(String::new(), |r| format!("{r:.4}")),
        );
        record.push(format!("{:.1}", row.queries_per_s));
        record.push(row.p_value.map_or(String::new(), |p| format!("{p:.5}")));
        w.write_record(&record)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// A result file written whole or not at all ([`govmatch::files::write_atomic`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    govmatch::files::write_atomic(path, |w| w.write_all(bytes))
        .with_context(|| format!("writing {}", path.display()))
}
