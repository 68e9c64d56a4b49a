//! `govmatch report quality|exposure` and `govmatch register export`: the accountability
//! reports — what the catalogue holds, how evenly the served lists expose it, and the
//! algorithm-register entry built from both.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use govmatch::domain::Kind;
use govmatch::ingest::quality::QualityReport;
use govmatch::model::registry;
use govmatch::register::{self, ExposureFigures, Facts, ModelFacts, OperatorConfig};
use govmatch::service::{ExposureReport, Service, ServiceOptions};
use govmatch::store::Store;

use super::args::{describe, DataArgs, ModelArgs, RankArgs};
use super::compare::write_atomic;

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Records flagged at ingest: contentless ones (left out of match lists by default),
    /// near-duplicate groups (same website or near-identical text), missing filter fields.
    Quality(QualityArgs),
    /// How evenly the served lists of all open challenges expose the startups: Gini, top
    /// 1%/10% share, never shown, breakdowns; with and without hub reduction.
    Exposure(Box<ExposureArgs>),
}

#[derive(Args)]
pub struct QualityArgs {
    /// Only this collection (default: both).
    #[arg(long)]
    kind: Option<Kind>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Most records listed per flag in the table (JSON lists all).
    #[arg(long, default_value_t = 25)]
    limit: usize,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(Args)]
pub struct ExposureArgs {
    /// List length: exposure counts each challenge's top k.
    #[arg(short, long, default_value_t = 10)]
    k: usize,
    /// Exact search instead of the served HNSW (slower; bit-reproducible across builds).
    #[arg(long)]
    exact: bool,
    #[arg(long)]
    ef: Option<usize>,
    #[command(flatten)]
    rank: RankArgs,
    /// Also write the report as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Also draw both runs' Lorenz curves as SVG here.
    #[arg(long)]
    svg: Option<PathBuf>,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
}

#[derive(Subcommand)]
pub enum RegisterCommand {
    /// Write the algorithm-register entry (UK ATRS v3.0 fields) from the operator config and
    /// what govmatch measures about itself.
    Export(RegisterArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Md,
}

#[derive(Args)]
pub struct RegisterArgs {
    /// The operator's answers (TOML; see data/register.example.toml).
    #[arg(long, default_value = "register.toml")]
    config: PathBuf,
    #[arg(long, value_enum, default_value = "md")]
    format: Format,
    /// Write here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// A `govmatch report exposure --json` result to quote.
    #[arg(long)]
    exposure: Option<PathBuf>,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
}

pub fn report(cmd: ReportCommand) -> anyhow::Result<()> {
    match cmd {
        ReportCommand::Quality(args) => quality(args),
        ReportCommand::Exposure(args) => exposure(*args),
    }
}

/// Opens an existing store only: a report never creates a data directory.
fn existing_store(data: &DataArgs) -> anyhow::Result<Box<dyn Store>> {
    data.open_store()
}

fn quality(args: QualityArgs) -> anyhow::Result<()> {
    let mut store = existing_store(&args.data)?;
    let kinds = match args.kind {
        Some(k) => vec![k],
        None => vec![Kind::Startup, Kind::Challenge],
    };
    let reports = kinds
        .into_iter()
        .map(|k| QualityReport::of(&mut *store, k))
        .collect::<Result<Vec<_>, _>>()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
        return Ok(());
    }
    for r in &reports {
        println!("{}", r.summary());
        println!();
        println!(
            "contentless {} ({}; left out of match lists unless include_low_quality):",
            r.kind,
            r.contentless.len()
        );
        for f in r.contentless.iter().take(args.limit) {
            println!("  {:<14} {:<32} {}", f.id, clip(&f.title, 32), f.reason);
        }
        more(r.contentless.len(), args.limit);
        println!(
            "near-duplicate groups ({}; reported, not acted on):",
            r.duplicate_groups.len()
        );
        for g in r.duplicate_groups.iter().take(args.limit) {
            println!(
                "  same {:<8} {:<32} {}",
                g.by,
                clip(&g.key, 32),
                g.ids.join(", ")
            );
        }
        more(r.duplicate_groups.len(), args.limit);
        println!();
    }
    Ok(())
}

fn more(n: usize, limit: usize) {
    if n > limit {
        println!("  … {} more (--limit, or --json for all)", n - limit);
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

fn exposure(args: ExposureArgs) -> anyhow::Result<()> {
    let opts = args.rank.options(args.k, args.exact, args.ef, false)?;
    existing_store(&args.data)?;
    let service = Service::open(
        args.model.embedder()?,
        &args.data.data_dir,
        ServiceOptions::default(),
    )?;
    let start = Instant::now();
    let report = service.exposure(&opts)?;
    println!(
        "{} open challenges × {} startups ({}; model {}, top {}, weight {})",
        report.challenges,
        report.startups,
        describe(&opts)
            .replace(", hub reduction on", "")
            .replace(", hub reduction off", ""),
        report.model,
        report.k,
        report.weighting
    );
    if report.include_low_quality {
        println!("contentless startups included (--include-low-quality)");
    } else {
        println!(
            "{} contentless startups left out by the quality rule (--include-low-quality brings them back)",
            report.left_out_low_quality
        );
    }
    print!("{}", exposure_table(&report));
    println!("total {:.1} s", start.elapsed().as_secs_f64());
    if let Some(path) = &args.json {
        write_atomic(path, serde_json::to_string_pretty(&report)?.as_bytes())?;
    }
    if let Some(path) = &args.svg {
        super::plot::lorenz(path, &report)?;
    }
    Ok(())
}

/// The summary side by side, then each breakdown's largest groups.
pub fn exposure_table(r: &ExposureReport) -> String {
    let mut s = String::new();
    let head: Vec<String> = r
        .runs
        .iter()
        .map(|run| {
            format!(
                "hub reduction {}",
                if run.hub_reduction { "on" } else { "off" }
            )
        })
        .collect();
    s += &format!(
        "\n{:<34}{}\n",
        "",
        head.iter().map(|h| format!("{h:>20}")).collect::<String>()
    );
    let row = |name: &str, f: &dyn Fn(&govmatch::eval::exposure::Inequality) -> String| {
        format!(
            "{name:<34}{}\n",
            r.runs
                .iter()
                .map(|run| format!("{:>20}", f(&run.summary)))
                .collect::<String>()
        )
    };
    s += &row("Gini", &|x| format!("{:.4}", x.gini));
    s += &row("share of top 1% of startups", &|x| {
        format!("{:.1}%", 100.0 * x.top_1_percent_share)
    });
    s += &row("share of top 10% of startups", &|x| {
        format!("{:.1}%", 100.0 * x.top_10_percent_share)
    });
    s += &row("never shown", &|x| {
        format!("{} of {}", x.never_shown, x.startups)
    });
    s += &format!(
        "{:<34}{}\n",
        "lists with a contentless startup",
        r.runs
            .iter()
            .map(|run| format!("{:>20}", run.lists_with_contentless))
            .collect::<String>()
    );
    for run in &r.runs {
        s += &format!(
            "\nhub reduction {}: most exposed (exposure, lists): {}\n",
            if run.hub_reduction { "on" } else { "off" },
            run.most_exposed
                .iter()
                .take(5)
                .map(|e| format!("{} ({:.1}, {})", e.name, e.exposure, e.lists))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    if let Some(run) = r.runs.first() {
        for (facet, rows) in &run.breakdowns {
            s += &format!(
                "\nby {facet} (hub reduction {}; largest groups){}\n",
                if run.hub_reduction { "on" } else { "off" },
                ""
            );
            s += &format!(
                "  {:<24}{:>9}{:>12}{:>12}{:>8}{:>8}\n",
                "value", "startups", "catalogue", "exposure", "ratio", "never"
            );
            for g in rows.iter().take(6) {
                s += &format!(
                    "  {:<24}{:>9}{:>11.1}%{:>11.1}%{:>8.2}{:>8}\n",
                    clip(&g.value, 24),
                    g.startups,
                    100.0 * g.catalogue_share,
                    100.0 * g.exposure_share,
                    g.ratio,
                    g.never_shown
                );
            }
        }
    }
    s
}

pub fn register(cmd: RegisterCommand) -> anyhow::Result<()> {
    let RegisterCommand::Export(args) = cmd;
    let op = OperatorConfig::load(&args.config)?;
    let evaluation = op.evaluation()?;
    let mut store = existing_store(&args.data)?;
    let startups = QualityReport::of(&mut *store, Kind::Startup)?;
    let challenges = QualityReport::of(&mut *store, Kind::Challenge)?;
    let (id, dir) = registry::resolve(&args.model.model, &args.model.models_dir)
        .with_context(|| format!("model `{}`", args.model.model))?;
    let known = registry::find(&id);
    let dimension = model_dimension(&dir)?;
    let exposure = args.exposure.as_deref().map(read_exposure).transpose()?;
    let records = store.records(Kind::Startup)?;
    let facts = Facts {
        govmatch_version: env!("CARGO_PKG_VERSION").to_string(),
        index_version: govmatch::index::persist::ids_checksum(
            records
                .iter()
                .map(|r| (r.id.as_str(), r.text_hash.as_str())),
        )[..16]
            .to_string(),
        model: ModelFacts {
            name: id.clone(),
            hash: govmatch::model::fetch::fingerprint(&dir)?,
            source: known.map_or_else(
                || dir.display().to_string(),
                |k| format!("https://huggingface.co/{}", k.hub_repo),
            ),
            licence: known
                .map_or("see the model directory", |k| k.licence)
                .to_string(),
            dimension,
            precision: args.model.precision.to_string(),
        },
        startups: startups.records,
        challenges: challenges.records,
        contentless_startups: startups.contentless.len(),
        contentless_challenges: challenges.contentless.len(),
        exposure,
        date: time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!("[year]-[month]-[day]"))?,
    };
    let entry = register::entry(&op, &facts, evaluation);
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&serde_json::json!({
            "entry": entry,
            "generated": facts.date,
        }))?,
        Format::Md => register::markdown(&entry),
    };
    match &args.out {
        Some(path) => write_atomic(path, text.as_bytes())?,
        None => println!("{text}"),
    }
    Ok(())
}

/// The embedding size from the model's config (`hidden_size`, or the last Dense layer's
/// `out_features` when sentence-transformers projects it).
fn model_dimension(dir: &Path) -> anyhow::Result<usize> {
    let read = |p: PathBuf| -> anyhow::Result<serde_json::Value> {
        let text = std::fs::read_to_string(&p).with_context(|| p.display().to_string())?;
        Ok(serde_json::from_str(&text)?)
    };
    let mut dim = read(dir.join("config.json"))?
        .get("hidden_size")
        .and_then(|v| v.as_u64())
        .unwrap_or(0) as usize;
    for layer in ["2_Dense", "3_Dense"] {
        let p = dir.join(layer).join("config.json");
        if p.exists() {
            if let Some(out) = read(p)?.get("out_features").and_then(|v| v.as_u64()) {
                dim = out as usize;
            }
        }
    }
    Ok(dim)
}

fn read_exposure(path: &Path) -> anyhow::Result<ExposureFigures> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("--exposure {}", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("--exposure {}: not JSON", path.display()))?;
    let bad = || {
        anyhow::anyhow!(
            "--exposure {}: not a `report exposure --json` result",
            path.display()
        )
    };
    let run = v["runs"]
        .as_array()
        .and_then(|runs| runs.iter().find(|r| r["hub_reduction"] == true))
        .ok_or_else(bad)?;
    let s = &run["summary"];
    Ok(ExposureFigures {
        k: v["k"].as_u64().ok_or_else(bad)? as usize,
        challenges: v["challenges"].as_u64().ok_or_else(bad)? as usize,
        gini: s["gini"].as_f64().ok_or_else(bad)?,
        top_10_percent_share: s["top_10_percent_share"].as_f64().ok_or_else(bad)?,
        never_shown: s["never_shown"].as_u64().ok_or_else(bad)? as usize,
        startups: s["startups"].as_u64().ok_or_else(bad)? as usize,
    })
}
