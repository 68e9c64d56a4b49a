//! `govmatch demo`: store the bundled Hamburg sample and show each challenge's best startups,
//! ranked by the service as the API ranks; and `embed`, which prints raw vectors.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, ValueEnum};
use govmatch::domain::{Kind, Record};
use govmatch::embed::Role;
use govmatch::ingest::{read_file, store_records};
use govmatch::rank::RankOptions;
use govmatch::service::{Service, ServiceOptions};

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
    /// Keep the store and indexes here (default: a temporary directory, removed afterwards).
    #[arg(long)]
    data_dir: Option<PathBuf>,
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
    let embedder = args.model.embedder()?;
    let model_id = embedder.model().info.id.clone();
    // A fresh directory unless one is given, so the demo shows exactly the files it was given.
    let temporary = match &args.data_dir {
        Some(_) => None,
        None => Some(tempfile::tempdir()?),
    };
    let data_dir = match (&args.data_dir, &temporary) {
        (Some(d), _) => d.clone(),
        (None, Some(t)) => t.path().to_path_buf(),
        (None, None) => unreachable!("one of the two is set"),
    };
    let start = Instant::now();
    let files = [
        (Kind::Startup, args.startups.as_path()),
        (Kind::Challenge, args.challenges.as_path()),
    ];
    let loaded = store_files(&embedder, &data_dir, &files)?;
    let embed_secs = start.elapsed().as_secs_f64();
    let service = Service::open(embedder, &data_dir, ServiceOptions::default())?;
    let opts = RankOptions {
        k: args.k,
        explain: false,
        ..RankOptions::default()
    };
    let qrels = if args.qrels.exists() {
        govmatch::eval::beir::read_qrels_tsv(&args.qrels)?
    } else {
        Default::default()
    };
    println!(
        "{} startups and {} challenges embedded with {model_id} in {embed_secs:.1}s",
        loaded[0].len(),
        loaded[1].len()
    );
    println!(
        "{}
",
        super::args::describe(&opts)
    );
    if !qrels.is_empty() {
        println!(
            "** judged to solve the challenge's core, * partly relevant ({})\n",
            args.qrels.display()
        );
    }
    for record in loaded[1].iter().take(args.show) {
        let Record::Challenge(challenge) = record else {
            continue;
        };
        let served =
            service.match_record(Kind::Challenge, &challenge.id, Kind::Startup, &opts, None)?;
        println!(
            "{} — {} ({})",
            challenge.id, challenge.title, challenge.agency
        );
        let judged = qrels.get(&challenge.id);
        for m in &served.matches {
            let mark = match judged.and_then(|j| j.get(&m.id)) {
                Some(2) => "**",
                Some(1) => "* ",
                _ => "  ",
            };
            let one_liner = match service.record(Kind::Startup, &m.id) {
                Some(Record::Startup(s)) => s.one_liner,
                _ => String::new(),
            };
            println!(
                "  {}. {:.3} {mark} {:<28} {one_liner}",
                m.rank, m.score, m.title
            );
        }
        println!();
    }
    Ok(())
}

/// Reads each file (all records must be valid) and stores it in `data_dir` through the
/// ingest step; returns the records of each file, in file order.
fn store_files(
    embedder: &govmatch::embed::Embedder,
    data_dir: &Path,
    files: &[(Kind, &Path)],
) -> anyhow::Result<Vec<Vec<Record>>> {
    let mut store = govmatch::store::open(data_dir)?;
    let mut out = Vec::new();
    for &(kind, path) in files {
        let read = read_file(kind, path, None)?;
        let records = read.records;
        if let Some(issue) = read.issues.first().or(read.notes.first()) {
            anyhow::bail!("{} has a bad record: {issue}", path.display());
        }
        let bar = progress_bar(records.len(), kind.plural());
        store_records(&mut *store, embedder, &records, &|n| {
            bar.set_position(n as u64)
        })?;
        bar.finish_and_clear();
        out.push(records);
    }
    Ok(out)
}

/// Stores the bundled Hamburg sample in `data_dir` unless it already holds startups (model
/// loaded only when something must be embedded); returns the model if it was loaded, so the
/// server need not load it again.
pub fn load_sample(
    model: &ModelArgs,
    data_dir: &Path,
) -> anyhow::Result<Option<govmatch::embed::Embedder>> {
    let store = govmatch::store::open(data_dir)?;
    if store.count(Kind::Startup)? > 0 {
        eprintln!(
            "{} already holds data: serving it as it is",
            data_dir.display()
        );
        return Ok(None);
    }
    drop(store);
    let embedder = model.embedder()?;
    let files = [
        (Kind::Startup, Path::new("data/hamburg/startups.jsonl")),
        (Kind::Challenge, Path::new("data/hamburg/challenges.jsonl")),
    ];
    for (records, (kind, path)) in store_files(&embedder, data_dir, &files)?.iter().zip(files) {
        eprintln!(
            "loaded {} {} from {}",
            records.len(),
            kind.plural(),
            path.display()
        );
    }
    Ok(Some(embedder))
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
