//! `govmatch batch`: every open challenge × every startup, top-k each, to CSV, JSON Lines or a
//! TREC run, ranked by the service as the API ranks (exact search by default). Deterministic
//! (challenges in id order, ties by id), parallel, and resumable: an interrupted run
//! continues where it stopped with `--resume`.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use govmatch::domain::Kind;
use govmatch::eval::trec::write_line;
use govmatch::service::{Service, ServiceOptions};
use rayon::prelude::*;

use super::{progress_bar, DataArgs, ModelArgs, RankArgs};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
    Trec,
}

#[derive(Args)]
pub struct BatchArgs {
    /// Output file.
    #[arg(long, short)]
    out: PathBuf,
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Startups per challenge.
    #[arg(short, long, default_value_t = 20)]
    k: usize,
    /// Include closed challenges.
    #[arg(long)]
    all: bool,
    /// Use the HNSW index instead of exact search (for very large catalogues).
    #[arg(long)]
    hnsw: bool,
    /// HNSW search breadth (with --hnsw).
    #[arg(long, requires = "hnsw")]
    ef: Option<usize>,
    /// Continue an interrupted run: keep the complete challenges already in --out.
    #[arg(long)]
    resume: bool,
    #[command(flatten)]
    rank: RankArgs,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
}

struct Row<'a> {
    challenge: &'a str,
    rank: usize,
    startup: &'a str,
    score: f32,
    name: &'a str,
}

fn write_row(out: &mut dyn Write, format: Format, tag: &str, r: &Row) -> std::io::Result<()> {
    match format {
        Format::Csv => {
            // A name that starts like a formula must not run as one in a spreadsheet.
            let name = govmatch::domain::text::csv_safe(r.name).replace('"', "\"\"");
            writeln!(
                out,
                "{},{},{},{:.6},\"{name}\"",
                r.challenge, r.rank, r.startup, r.score
            )
        }
        Format::Jsonl => writeln!(
            out,
            "{}",
            serde_json::json!({"challenge_id": r.challenge, "rank": r.rank, "startup_id": r.startup,
                               "score": r.score, "startup_name": r.name})
        ),
        Format::Trec => write_line(out, r.challenge, r.startup, r.rank, r.score, tag),
    }
}

fn challenge_of(format: Format, line: &str) -> Option<String> {
    match format {
        Format::Csv => line.split(',').next().map(str::to_string),
        Format::Trec => line.split_whitespace().next().map(str::to_string),
        Format::Jsonl => serde_json::from_str::<serde_json::Value>(line)
            .ok()?
            .get("challenge_id")?
            .as_str()
            .map(str::to_string),
    }
}

/// Keeps the challenges of an earlier run that are complete (`per_challenge` rows and a final
/// newline), rewriting the file atomically without any partial tail; returns their ids.
fn keep_complete(
    path: &Path,
    format: Format,
    per_challenge: &HashMap<String, usize>,
) -> anyhow::Result<Vec<String>> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines: Vec<&str> = text
        .split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .collect();
    if format == Format::Csv
        && lines
            .first()
            .is_some_and(|l| l.starts_with("challenge_id,"))
    {
        lines.remove(0);
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for line in &lines {
        let id = challenge_of(format, line).unwrap_or_default();
        match counts.last_mut() {
            Some((last, n)) if *last == id => *n += 1,
            _ => counts.push((id, 1)),
        }
    }
    let complete: Vec<String> = counts
        .iter()
        .filter(|(id, n)| per_challenge.get(id) == Some(n))
        .map(|(id, _)| id.clone())
        .collect();
    govmatch::files::write_atomic(path, |w| {
        if format == Format::Csv {
            writeln!(w, "challenge_id,rank,startup_id,score,startup_name")?;
        }
        for line in lines {
            if challenge_of(format, line).is_some_and(|id| complete.contains(&id)) {
                w.write_all(line.as_bytes())?;
            }
        }
        Ok(())
    })?;
    Ok(complete)
}

pub fn run(args: BatchArgs) -> anyhow::Result<()> {
    let opts = args.rank.options(args.k, !args.hnsw, args.ef, false)?;
    let start = Instant::now();
    args.data.require_store()?;
    let service = Service::open(
        args.model.embedder()?,
        &args.data.data_dir,
        ServiceOptions::default(),
    )?;
    let n_startups = service.len(Kind::Startup);
    if n_startups == 0 {
        bail!(
            "no startups with {} vectors in {}: ingest startups first",
            service.model_id(),
            args.data.data_dir.display()
        );
    }
    // Challenges in id order (the output's order), open ones unless --all.
    let mut challenges: Vec<String> = service
        .collection(Kind::Challenge)
        .dense
        .snapshot()
        .items()
        .into_iter()
        .filter(|(e, _)| args.all || e.facets.status.as_deref() != Some("closed"))
        .map(|(e, _)| e.id)
        .collect();
    challenges.sort();
    if challenges.is_empty() {
        bail!("no challenges to score in {}", args.data.data_dir.display());
    }
    let per = args.k.min(n_startups);
    let expected: HashMap<String, usize> = challenges.iter().map(|id| (id.clone(), per)).collect();
    let done: Vec<String> = if args.resume && args.out.exists() {
        keep_complete(&args.out, args.format, &expected)?
    } else {
        Vec::new()
    };
    let todo: Vec<&String> = challenges.iter().filter(|id| !done.contains(id)).collect();
    let file = if done.is_empty() {
        File::create(&args.out)
    } else {
        OpenOptions::new().append(true).open(&args.out)
    }
    .with_context(|| format!("opening {}", args.out.display()))?;
    let mut out = BufWriter::new(file);
    if done.is_empty() && args.format == Format::Csv {
        writeln!(out, "challenge_id,rank,startup_id,score,startup_name")?;
    }
    eprintln!("{}", super::args::describe(&opts));
    let tag = format!("govmatch-{}", service.model_id());
    let bar = progress_bar(todo.len(), "challenges");
    for chunk in todo.chunks(64) {
        let results: Vec<_> = chunk
            .par_iter()
            .map(|id| service.match_record(Kind::Challenge, id, Kind::Startup, &opts, None))
            .collect::<Result<_, _>>()?;
        for (id, served) in chunk.iter().zip(results) {
            for m in &served.matches {
                let row = Row {
                    challenge: id,
                    rank: m.rank,
                    startup: &m.id,
                    score: m.score,
                    name: &m.title,
                };
                write_row(&mut out, args.format, &tag, &row)?;
            }
        }
        // A whole chunk lands before the next starts, so an interruption loses at most one.
        out.flush()?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    out.into_inner()?.sync_all()?;
    eprintln!(
        "{} challenges × {} startups, top {per}: {} scored now, {} kept from before, in {:.1}s → {}",
        challenges.len(),
        n_startups,
        todo.len(),
        done.len(),
        start.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}
