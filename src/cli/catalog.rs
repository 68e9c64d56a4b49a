//! `ingest`, `delete`, `search` and `index`: the catalogue of startups and challenges.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use govmatch::domain::Kind;
use govmatch::embed::{role_for, Embedder};
use govmatch::index::{index_dir, open_synced, HnswIndex, HnswParams, Origin, Save, SyncReport};
use govmatch::ingest::{read_file, store_records, FileRead, Mapping};
use govmatch::service::{Service, ServiceOptions};
use govmatch::store::Store;

use super::{progress_bar, DataArgs, ModelArgs, RankArgs};

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
    /// Use a stored record as the query: `challenge:ID` or `startup:ID`.
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
    /// Print each match's explanation (summary and evidence).
    #[arg(long)]
    explain: bool,
    #[command(flatten)]
    rank: RankArgs,
    /// One JSON object per result.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
}

#[derive(Subcommand)]
pub enum IndexCommand {
    /// Report the indexes' state against the store (writes nothing).
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
    store: &dyn Store,
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
        Save::IfChanged,
    )?)
}

fn sync(
    store: &dyn Store,
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
            let read = read_file(args.kind, file, mapping.as_ref())?;
            read.notes.iter().for_each(|n| eprintln!("normalised: {n}"));
            read.issues.iter().for_each(|i| eprintln!("error: {i}"));
            rejected += read.issues.len();
            println!(
                "{}: {} valid ({} normalised), {} rejected",
                file.display(),
                read.records.len(),
                read.notes.len(),
                read.issues.len()
            );
        }
        return Ok(if rejected > 0 {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        });
    }
    // Every file is read and checked before the model loads or the store is created, so a
    // missing or unreadable file costs nothing and leaves nothing behind.
    let mut files = Vec::with_capacity(args.files.len());
    for file in &args.files {
        let start = Instant::now();
        let read = read_file(args.kind, file, mapping.as_ref())?;
        files.push((file, read, start));
    }
    if files.iter().all(|(_, read, _)| read.records.is_empty()) {
        for (file, read, _) in &files {
            read.issues.iter().for_each(|i| eprintln!("error: {i}"));
            println!(
                "{}: {} read, {} rejected",
                file.display(),
                read.issues.len(),
                read.issues.len()
            );
            rejected += read.issues.len();
        }
        eprintln!("{rejected} record(s) rejected; nothing was stored");
        return Ok(ExitCode::from(2));
    }
    let embedder = args.model.embedder()?;
    let mut store = govmatch::store::open(&args.data.data_dir)?;
    for (file, read, start) in files {
        let FileRead {
            records,
            issues,
            notes,
        } = read;
        for note in &notes {
            eprintln!("normalised: {note}");
        }
        for issue in &issues {
            eprintln!("error: {issue}");
        }
        rejected += issues.len();
        let bar = progress_bar(records.len(), args.kind.plural());
        let counts = store_records(&mut *store, &embedder, &records, &|done| {
            bar.set_position(done as u64)
        })?;
        bar.finish_and_clear();
        println!(
            "{}: {} read, {} rejected, {} value(s) normalised; stored {} new, {} updated, {} unchanged; embedded {} texts, reused {} stored vectors ({:.1}s)",
            file.display(),
            records.len() + issues.len(),
            issues.len(),
            notes.len(),
            counts.stored.inserted,
            counts.stored.updated,
            counts.stored.unchanged,
            counts.embedded,
            counts.reused,
            start.elapsed().as_secs_f64()
        );
    }
    let index = sync(&*store, &embedder, args.kind, &args.data)?;
    println!("{} index: {} records", args.kind.plural(), index.len());
    println!(
        "{}",
        govmatch::ingest::quality::QualityReport::of(&mut *store, args.kind)?.summary()
    );
    if rejected > 0 {
        eprintln!("{rejected} record(s) rejected; the others were stored");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn delete(args: DeleteArgs) -> anyhow::Result<ExitCode> {
    let mut store = args.data.open_store()?;
    let embedder = args.model.embedder()?;
    let deleted = store.delete(args.kind, &args.ids, "govmatch delete (command line)")?;
    let missing: Vec<&String> = args.ids.iter().filter(|id| !deleted.contains(id)).collect();
    sync(&*store, &embedder, args.kind, &args.data)?;
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
    let opts = args
        .rank
        .options(args.k, args.exact, args.ef, args.explain)?;
    let source = match (&args.text, &args.like) {
        (Some(_), None) => None,
        (None, Some(like)) => {
            let (kind, id) = like
                .split_once(':')
                .context("--like takes KIND:ID, e.g. challenge:hh-c-001")?;
            let kind: Kind = kind.parse().map_err(anyhow::Error::msg)?;
            Some((kind, id))
        }
        _ => bail!("give a TEXT to search for or --like KIND:ID"),
    };
    args.data.require_store()?;
    let service = Service::open(
        args.model.embedder()?,
        &args.data.data_dir,
        ServiceOptions::default(),
    )?;
    let served = match (source, &args.text) {
        (Some((kind, id)), _) => service.match_record(kind, id, args.kind, &opts, None)?,
        (None, Some(text)) => service.match_text(text, args.kind, &opts, None)?,
        (None, None) => unreachable!("checked above"),
    };
    eprintln!("{}", super::args::describe(&opts));
    for m in &served.matches {
        if args.json {
            let record = service
                .record(args.kind, &m.id)
                .map(|r| serde_json::from_str::<serde_json::Value>(&r.to_json()))
                .transpose()?
                .unwrap_or_default();
            let mut line = serde_json::to_value(m)?;
            line["record"] = record;
            println!("{line}");
        } else {
            // Stored text is shown, never obeyed: controls are printed as escapes.
            use govmatch::domain::text::printable;
            println!(
                "{:>3}. {:.3}  {:<16} {}",
                m.rank,
                m.score,
                printable(&m.id),
                printable(&m.title)
            );
            if let Some(e) = &m.explanation {
                println!("       {}", printable(&e.summary));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn index(cmd: IndexCommand) -> anyhow::Result<ExitCode> {
    let (data, model, rebuild) = match cmd {
        IndexCommand::Status { data, model } => (data, model, false),
        IndexCommand::Rebuild { data, model } => (data, model, true),
    };
    let store = if rebuild {
        govmatch::store::open(&data.data_dir)?
    } else {
        data.open_store()?
    };
    let embedder = model.embedder()?;
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
        // Status only looks: it reports what a rebuild would write instead of writing it.
        let (index, report) = if rebuild {
            open_index(&*store, &embedder, kind, &data)?
        } else {
            open_synced(
                &*store,
                kind,
                &key,
                embedder.dim(),
                &data.data_dir,
                HnswParams::default(),
                Save::Never,
            )?
        };
        println!(
            "{} in {:.2}s{}",
            describe(kind, &index, &report),
            start.elapsed().as_secs_f64(),
            if report.stale {
                "; the saved index is behind the store (`govmatch index rebuild` writes it)"
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
