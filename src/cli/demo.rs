//! The main job for now: embed the bundled Hamburg sample and show each challenge's best
//! startups; and `embed`, which prints raw vectors.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};
use govmatch::domain::{read_jsonl, Challenge, Startup};
use govmatch::embed::Role;
use govmatch::index::ExactIndex;

use super::{progress_bar, ModelArgs};

#[derive(Args)]
pub struct DemoArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[arg(long, default_value = "data/hamburg/startups.jsonl")]
    startups: PathBuf,
    #[arg(long, default_value = "data/hamburg/challenges.jsonl")]
    challenges: PathBuf,
    /// Startups shown per challenge.
    #[arg(long, short, default_value_t = 5)]
    k: usize,
    /// Challenges shown (all are embedded).
    #[arg(long, default_value_t = 5)]
    show: usize,
    /// Judgements to mark the results with, if the file exists (2 = solves the core, 1 = partly).
    #[arg(long, default_value = "data/hamburg/qrels.tsv")]
    qrels: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Query,
    Passage,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Query => Role::Query,
            RoleArg::Passage => Role::Passage,
        }
    }
}

#[derive(Args)]
pub struct EmbedArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Which side the texts are on (picks the model's prompt).
    #[arg(long, value_enum, default_value = "query")]
    role: RoleArg,
    /// Texts to embed.
    #[arg(required = true)]
    texts: Vec<String>,
}

pub fn embed(args: EmbedArgs) -> anyhow::Result<()> {
    let embedder = args.model.embedder()?;
    let texts: Vec<&str> = args.texts.iter().map(String::as_str).collect();
    let vectors = embedder.embed(&texts, args.role.into())?;
    for (text, vector) in texts.iter().zip(vectors) {
        println!("{}", serde_json::json!({ "text": text, "vector": vector }));
    }
    Ok(())
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let startups: Vec<Startup> = read_jsonl(&args.startups)?;
    let challenges: Vec<Challenge> = read_jsonl(&args.challenges)?;
    let embedder = args.model.embedder()?;
    let model_id = embedder.model().info.id.clone();

    let start = Instant::now();
    let bar = progress_bar(startups.len(), "startups");
    let mut index = ExactIndex::new(embedder.dim());
    for chunk in startups.chunks(64) {
        let texts: Vec<String> = chunk.iter().map(Startup::embed_text).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        for v in embedder.embed(&refs, Role::Passage)? {
            index.push(&v);
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    let texts: Vec<String> = challenges.iter().map(Challenge::embed_text).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let queries = embedder.embed(&refs, Role::Query)?;
    let embed_secs = start.elapsed().as_secs_f64();
    let results = index.search_many(&queries, args.k);
    let qrels = if args.qrels.exists() {
        govmatch::eval::beir::read_qrels_tsv(&args.qrels)?
    } else {
        Default::default()
    };
    println!(
        "{} startups and {} challenges embedded with {model_id} in {embed_secs:.1}s\n",
        startups.len(),
        challenges.len()
    );
    if !qrels.is_empty() {
        println!(
            "** judged to solve the challenge's core, * partly relevant ({})\n",
            args.qrels.display()
        );
    }
    for (challenge, hits) in challenges.iter().zip(results).take(args.show) {
        println!(
            "{} — {} ({})",
            challenge.id, challenge.title, challenge.agency
        );
        let judged = qrels.get(&challenge.id);
        for (rank, hit) in hits.iter().enumerate() {
            let s = &startups[hit.row];
            let mark = match judged.and_then(|j| j.get(&s.id)) {
                Some(2) => "**",
                Some(1) => "* ",
                _ => "  ",
            };
            println!(
                "  {}. {:.3} {mark} {:<28} {}",
                rank + 1,
                hit.score,
                s.name,
                s.one_liner
            );
        }
        println!();
    }
    Ok(())
}

/// Stores the bundled Hamburg sample in `data_dir` unless it already holds startups (model
/// loaded only when something must be embedded).
pub fn load_sample(model: &ModelArgs, data_dir: &std::path::Path) -> anyhow::Result<()> {
    use govmatch::domain::Kind;
    use govmatch::ingest::{read_file, store_records};
    let mut store = govmatch::store::Store::open(data_dir)?;
    if store.count(Kind::Startup)? > 0 {
        eprintln!(
            "{} already holds data: serving it as it is",
            data_dir.display()
        );
        return Ok(());
    }
    let embedder = model.embedder()?;
    for (kind, path) in [
        (Kind::Startup, "data/hamburg/startups.jsonl"),
        (Kind::Challenge, "data/hamburg/challenges.jsonl"),
    ] {
        let (records, issues) = read_file(kind, std::path::Path::new(path), None)?;
        if let Some(issue) = issues.first() {
            anyhow::bail!("the bundled sample {path} has a bad record: {issue}");
        }
        let bar = progress_bar(records.len(), kind.plural());
        store_records(&mut store, &embedder, &records, &|n| bar.inc(n as u64))?;
        bar.finish_and_clear();
        eprintln!("loaded {} {} from {path}", records.len(), kind.plural());
    }
    Ok(())
}

/// Example requests against the demo data, printed once the server is ready.
pub fn example_requests(addr: &str) -> String {
    let base = format!("http://{addr}");
    format!(
        "ready. Try:\n  curl -s '{base}/v1/challenges/hh-c-001/matches?k=5' | jq\n  \
         curl -s {base}/v1/match -H 'content-type: application/json' \\\n    \
         -d '{{\"text\": \"Sensoren melden freie Ladesäulen für E-Autos\", \"k\": 5, \"mode\": \"hybrid\"}}' | jq\n  \
         curl -s '{base}/v1/startups/hh-s-001/matches?k=3&open=true' | jq"
    )
}
