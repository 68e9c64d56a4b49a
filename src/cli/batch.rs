//! `govmatch batch`: every open challenge × every startup, top-k each, to CSV, JSON Lines or a
//! TREC run. Deterministic (challenges in id order, ties by id), parallel, and resumable: an
//! interrupted run continues where it stopped with `--resume`.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use govmatch::domain::Kind;
use govmatch::embed::role_for;
use govmatch::index::{open_synced, ExactIndex, Facets, Filter, HnswParams};
use govmatch::ingest::Record;
use govmatch::rank::hubness::{self, Hubness};
use govmatch::store::Store;
use rayon::prelude::*;

use super::catalog::DataArgs;
use super::{progress_bar, ModelArgs};

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
    /// Continue an interrupted run: keep the complete challenges already in --out.
    #[arg(long)]
    resume: bool,
    /// Rank by plain similarity, without the hub reduction the API applies by default.
    #[arg(long)]
    no_hub_reduction: bool,
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
            let name = r.name.replace('"', "\"\"");
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
        Format::Trec => writeln!(
            out,
            "{} Q0 {} {} {:.6} {tag}",
            r.challenge, r.startup, r.rank, r.score
        ),
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
    let tmp = path.with_extension("resume.tmp");
    let mut w = BufWriter::new(File::create(&tmp)?);
    if format == Format::Csv {
        writeln!(w, "challenge_id,rank,startup_id,score,startup_name")?;
    }
    for line in lines {
        if challenge_of(format, line).is_some_and(|id| complete.contains(&id)) {
            w.write_all(line.as_bytes())?;
        }
    }
    w.into_inner()?.sync_all()?;
    fs::rename(&tmp, path)?;
    Ok(complete)
}

pub fn run(args: BatchArgs) -> anyhow::Result<()> {
    let embedder = args.model.embedder()?;
    let store = Store::open(&args.data.data_dir)?;
    let start = Instant::now();
    let startups = open_synced(
        &store,
        Kind::Startup,
        &embedder.key(role_for(Kind::Startup)),
        embedder.dim(),
        &args.data.data_dir,
        HnswParams::default(),
    )?
    .0;
    if startups.is_empty() {
        bail!(
            "no startups with {} vectors in {}: run `govmatch ingest startups` first",
            embedder.model().info.id,
            args.data.data_dir.display()
        );
    }
    let mut challenges: Vec<(String, Vec<f32>)> = Vec::new();
    // Every stored challenge asks (open or not), as in the API's hubness.
    let mut askers: Vec<Vec<f32>> = Vec::new();
    for (rec, vector) in
        store.records_with_vectors(Kind::Challenge, &embedder.key(role_for(Kind::Challenge)))?
    {
        let Some(vector) = vector else { continue };
        let value = serde_json::from_str(&rec.data)?;
        let record = Record::from_value(Kind::Challenge, value)
            .map_err(|(_, e)| anyhow::anyhow!("stored challenge {}: {e}", rec.id))?;
        askers.push(vector.clone());
        if args.all || Facets::of(&record).status.as_deref() != Some("closed") {
            challenges.push((rec.id, vector));
        }
    }
    if challenges.is_empty() {
        bail!("no challenges to score in {}", args.data.data_dir.display());
    }
    let per = args.k.min(startups.len());
    let expected: HashMap<String, usize> =
        challenges.iter().map(|(id, _)| (id.clone(), per)).collect();
    let done: Vec<String> = if args.resume && args.out.exists() {
        keep_complete(&args.out, args.format, &expected)?
    } else {
        Vec::new()
    };
    let todo: Vec<&(String, Vec<f32>)> = challenges
        .iter()
        .filter(|(id, _)| !done.contains(id))
        .collect();
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
    let names: HashMap<String, String> = store
        .records(Kind::Startup)?
        .into_iter()
        .map(|r| {
            let name = serde_json::from_str::<serde_json::Value>(&r.data)
                .ok()
                .and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_string))
                .unwrap_or_default();
            (r.id, name)
        })
        .collect();
    let hubness = (!args.no_hub_reduction).then(|| {
        let items: Vec<(&str, &[f32])> = startups
            .entries()
            .iter()
            .filter_map(|e| startups.get(&e.id))
            .map(|(e, v)| (e.id.as_str(), v))
            .collect();
        Hubness::compute(&items, ExactIndex::from_vectors(embedder.dim(), &askers))
    });
    let depth = hubness::depth(per, hubness.is_some());
    let tag = format!("govmatch-{}", embedder.model().info.id);
    let bar = progress_bar(todo.len(), "challenges");
    let none = Filter::default();
    for chunk in todo.chunks(64) {
        let results: Vec<_> = chunk
            .par_iter()
            .map(|(_, v)| {
                let hits = if args.hnsw {
                    startups.search(v, depth, None, &none)
                } else {
                    startups.search_exact(v, depth, &none)
                };
                let hits: Vec<(String, f32)> = hits
                    .into_iter()
                    .map(|h| (startups.entry(h.row).id.clone(), h.score))
                    .collect();
                hubness::ranked(hubness.as_ref(), hits, per)
            })
            .collect();
        for ((id, _), hits) in chunk.iter().zip(results) {
            for (rank, (startup, score)) in hits.iter().enumerate() {
                let row = Row {
                    challenge: id,
                    rank: rank + 1,
                    startup,
                    score: *score,
                    name: names.get(startup).map_or("", String::as_str),
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
        startups.len(),
        todo.len(),
        done.len(),
        start.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}
