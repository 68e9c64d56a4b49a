//! `ingest`, `delete`, `search` and `index`: the catalogue of startups and challenges.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use govmatch::domain::Kind;
use govmatch::embed::{role_for, Embedder, Role};
use govmatch::index::{index_dir, open_synced, Filter, HnswIndex, HnswParams, Origin, SyncReport};
use govmatch::ingest::{read_file, store_records, Mapping};
use govmatch::store::Store;

use super::{progress_bar, ModelArgs};

#[derive(Args, Clone)]
pub struct DataArgs {
    /// Where the store and indexes live.
    #[arg(long, env = "GOVMATCH_DATA_DIR", default_value = "govmatch-data")]
    pub data_dir: PathBuf,
}

#[derive(Args)]
pub struct IngestArgs {
    /// startups or challenges.
    kind: Kind,
    /// JSON array (.json), JSON Lines (.jsonl/.ndjson) or CSV (.csv) files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Field mapping (TOML) for files in a foreign schema; see mappings/.
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Only read and validate; store nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
}

#[derive(Args)]
pub struct DeleteArgs {
    kind: Kind,
    #[arg(required = true)]
    ids: Vec<String>,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
}

#[derive(Args)]
pub struct SearchArgs {
    /// What to search: startups or challenges.
    kind: Kind,
    /// Free text to search for (embedded on the asking side).
    text: Option<String>,
    /// Use a stored record's vector as the query: `challenge:ID` or `startup:ID`.
    #[arg(long, conflicts_with = "text")]
    like: Option<String>,
    #[arg(short, long, default_value_t = 10)]
    k: usize,
    /// Exact search instead of HNSW.
    #[arg(long)]
    exact: bool,
    /// HNSW search breadth (higher: better recall, slower).
    #[arg(long)]
    ef: Option<usize>,
    #[command(flatten)]
    filter: FilterArgs,
    /// One JSON object per result.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
}

#[derive(Args, Clone, Default)]
pub struct FilterArgs {
    /// Region or country (repeatable; any matches).
    #[arg(long)]
    region: Vec<String>,
    /// Stage (repeatable).
    #[arg(long)]
    stage: Vec<String>,
    /// Sector, technology or tag (repeatable).
    #[arg(long = "sector")]
    sectors: Vec<String>,
    #[arg(long)]
    language: Vec<String>,
    /// open or closed.
    #[arg(long)]
    status: Vec<String>,
    /// Only challenges whose deadline is on or after this date (YYYY-MM-DD).
    #[arg(long)]
    deadline_from: Option<String>,
}

impl From<FilterArgs> for Filter {
    fn from(f: FilterArgs) -> Self {
        Filter {
            region: f.region,
            stage: f.stage,
            sectors: f.sectors,
            language: f.language,
            status: f.status,
            deadline_from: f.deadline_from,
        }
    }
}

#[derive(Subcommand)]
pub enum IndexCommand {
    /// Load (or rebuild) the indexes and report their state.
    Status {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Rebuild both indexes from the store.
    Rebuild {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        model: ModelArgs,
    },
}

fn describe(kind: Kind, index: &HnswIndex, report: &SyncReport) -> String {
    let origin = match &report.origin {
        Origin::Loaded => "loaded".to_string(),
        Origin::Rebuilt(why) => format!("built ({why})"),
    };
    format!(
        "{} index: {} records, {origin}, +{} −{}{}",
        kind.plural(),
        index.len(),
        report.inserted,
        report.removed,
        if report.missing_vectors > 0 {
            format!(
                ", {} records lack a vector for this model",
                report.missing_vectors
            )
        } else {
            String::new()
        }
    )
}

fn open_index(
    store: &Store,
    embedder: &Embedder,
    kind: Kind,
    data: &DataArgs,
) -> anyhow::Result<(HnswIndex, SyncReport)> {
    let key = embedder.key(role_for(kind));
    Ok(open_synced(
        store,
        kind,
        &key,
        embedder.dim(),
        &data.data_dir,
        HnswParams::default(),
    )?)
}

fn sync(
    store: &Store,
    embedder: &Embedder,
    kind: Kind,
    data: &DataArgs,
) -> anyhow::Result<HnswIndex> {
    let (index, report) = open_index(store, embedder, kind, data)?;
    tracing::info!("{}", describe(kind, &index, &report));
    Ok(index)
}

pub fn ingest(args: IngestArgs) -> anyhow::Result<ExitCode> {
    let mapping = args
        .mapping
        .as_deref()
        .map(Mapping::load)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let mut rejected = 0;
    if args.dry_run {
        for file in &args.files {
            let (records, issues) = read_file(args.kind, file, mapping.as_ref())?;
            issues.iter().for_each(|i| eprintln!("error: {i}"));
            rejected += issues.len();
            println!(
                "{}: {} valid, {} rejected",
                file.display(),
                records.len(),
                issues.len()
            );
        }
        return Ok(if rejected > 0 {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        });
    }
    let embedder = args.model.embedder()?;
    let mut store = Store::open(&args.data.data_dir)?;
    for file in &args.files {
        let start = Instant::now();
        let (records, issues) = read_file(args.kind, file, mapping.as_ref())?;
        for issue in &issues {
            eprintln!("error: {issue}");
        }
        rejected += issues.len();
        let bar = progress_bar(records.len(), args.kind.plural());
        let counts = store_records(&mut store, &embedder, &records, &|done| {
            bar.set_position(done as u64)
        })?;
        bar.finish_and_clear();
        println!(
            "{}: {} read, {} rejected; stored {} new, {} updated, {} unchanged; embedded {} texts, reused {} stored vectors ({:.1}s)",
            file.display(),
            records.len() + issues.len(),
            issues.len(),
            counts.stored.inserted,
            counts.stored.updated,
            counts.stored.unchanged,
            counts.embedded,
            counts.reused,
            start.elapsed().as_secs_f64()
        );
    }
    let index = sync(&store, &embedder, args.kind, &args.data)?;
    println!("{} index: {} records", args.kind.plural(), index.len());
    if rejected > 0 {
        eprintln!("{rejected} record(s) rejected; the others were stored");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn delete(args: DeleteArgs) -> anyhow::Result<ExitCode> {
    let embedder = args.model.embedder()?;
    let mut store = Store::open(&args.data.data_dir)?;
    let deleted = store.delete(args.kind, &args.ids)?;
    let missing: Vec<&String> = args.ids.iter().filter(|id| !deleted.contains(id)).collect();
    sync(&store, &embedder, args.kind, &args.data)?;
    println!("deleted {} {}", deleted.len(), args.kind.plural());
    if !missing.is_empty() {
        eprintln!(
            "error: not found: {}",
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn search(args: SearchArgs) -> anyhow::Result<ExitCode> {
    let embedder = args.model.embedder()?;
    let store = Store::open(&args.data.data_dir)?;
    let query = match (&args.text, &args.like) {
        (Some(text), None) => embedder.embed_one(text, Role::Query)?,
        (None, Some(like)) => {
            let (kind, id) = like
                .split_once(':')
                .context("--like takes KIND:ID, e.g. challenge:hh-c-001")?;
            let kind: Kind = kind.parse().map_err(anyhow::Error::msg)?;
            let index = sync(&store, &embedder, kind, &args.data)?;
            match index.get(id) {
                Some((_, v)) => v.to_vec(),
                None => bail!("no {} with id `{id}`", kind.plural()),
            }
        }
        _ => bail!("give a TEXT to search for or --like KIND:ID"),
    };
    let index = sync(&store, &embedder, args.kind, &args.data)?;
    let filter: Filter = args.filter.into();
    let hits = if args.exact {
        index.search_exact(&query, args.k, &filter)
    } else {
        index.search(&query, args.k, args.ef, &filter)
    };
    for (rank, hit) in hits.iter().enumerate() {
        let entry = index.entry(hit.row);
        let record = store.get(args.kind, &entry.id)?;
        let data: serde_json::Value = record
            .map(|r| serde_json::from_str(&r.data))
            .transpose()?
            .unwrap_or_default();
        if args.json {
            println!(
                "{}",
                serde_json::json!({"rank": rank + 1, "id": entry.id, "score": hit.score, "record": data})
            );
        } else {
            let title = data
                .get("name")
                .or_else(|| data.get("title"))
                .and_then(|v| v.as_str())
                .unwrap_or("");
            println!(
                "{:>3}. {:.3}  {:<16} {title}",
                rank + 1,
                hit.score,
                entry.id
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn index(cmd: IndexCommand) -> anyhow::Result<ExitCode> {
    let (data, model, rebuild) = match cmd {
        IndexCommand::Status { data, model } => (data, model, false),
        IndexCommand::Rebuild { data, model } => (data, model, true),
    };
    let embedder = model.embedder()?;
    let store = Store::open(&data.data_dir)?;
    for kind in [Kind::Startup, Kind::Challenge] {
        let key = embedder.key(role_for(kind));
        if rebuild {
            let dir = index_dir(&data.data_dir, kind, &key);
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("removing {}", dir.display()))?;
            }
        }
        let start = Instant::now();
        let (index, report) = open_index(&store, &embedder, kind, &data)?;
        println!(
            "{} in {:.2}s",
            describe(kind, &index, &report),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}
