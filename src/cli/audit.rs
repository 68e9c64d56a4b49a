//! `govmatch audit export` (the served recommendations as JSONL), `govmatch audit shortlists`
//! (every shortlist change as JSONL) and `govmatch feedback
//! export` (analyst judgements as JSONL or as TREC qrels for `govmatch eval`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::DataArgs;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Write every served recommendation (request id, time, model, index version, parameters,
    /// returned ids and scores) as JSON lines.
    Export(ExportArgs),
    /// Write every shortlist change (challenge, startup, stage, reason, note, who, when) as
    /// JSON lines, oldest first.
    Shortlists(ExportArgs),
}

#[derive(Subcommand)]
pub enum FeedbackCommand {
    /// Write the stored judgements as JSON lines, or with --qrels as a TREC qrels file.
    Export(FeedbackExportArgs),
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Output file (default: standard output).
    #[arg(long, short)]
    out: Option<PathBuf>,
}

#[derive(Args)]
pub struct FeedbackExportArgs {
    #[command(flatten)]
    data: DataArgs,
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// TREC qrels (`qid 0 docid relevance`): the query is the challenge or startup asked
    /// about, or the request id for free-text queries; −1 counts as 0; the latest judgement
    /// of a pair wins.
    #[arg(long)]
    qrels: bool,
}

/// Writes `text` to `out` atomically (temp file + rename), or to stdout.
fn emit(out: &Option<PathBuf>, text: &str) -> anyhow::Result<()> {
    match out {
        None => {
            std::io::stdout().write_all(text.as_bytes())?;
            Ok(())
        }
        Some(path) => {
            govmatch::files::write_atomic(path, |w| w.write_all(text.as_bytes()))
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(())
        }
    }
}

pub fn audit(cmd: AuditCommand) -> anyhow::Result<()> {
    let args = match cmd {
        AuditCommand::Export(args) => args,
        AuditCommand::Shortlists(args) => {
            let store = args.data.open_store()?;
            let changes = store.all_shortlist_history()?;
            let mut text = String::new();
            for c in &changes {
                text.push_str(&serde_json::to_string(c)?);
                text.push('\n');
            }
            emit(&args.out, &text)?;
            eprintln!("{} shortlist changes", changes.len());
            return Ok(());
        }
    };
    let store = args.data.open_store()?;
    let mut text = String::new();
    let entries = store.audit()?;
    for e in &entries {
        text.push_str(&serde_json::to_string(e)?);
        text.push('\n');
    }
    emit(&args.out, &text)?;
    eprintln!("{} served recommendation lists", entries.len());
    Ok(())
}

pub fn feedback(cmd: FeedbackCommand) -> anyhow::Result<()> {
    let FeedbackCommand::Export(args) = cmd;
    let store = args.data.open_store()?;
    let judgements = store.feedback()?;
    let mut text = String::new();
    if args.qrels {
        let mut latest: BTreeMap<(String, String), i8> = BTreeMap::new();
        for f in &judgements {
            let qid = store
                .audit_entry(&f.request_id)?
                .and_then(|e| {
                    e.query
                        .get("id")
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| f.request_id.clone());
            latest.insert((qid, f.item.clone()), f.label.max(0));
        }
        for ((qid, item), rel) in &latest {
            text.push_str(&format!("{qid} 0 {item} {rel}\n"));
        }
        eprintln!(
            "{} judgements, {} query–item pairs",
            judgements.len(),
            latest.len()
        );
    } else {
        for f in &judgements {
            text.push_str(&serde_json::to_string(f)?);
            text.push('\n');
        }
        eprintln!("{} judgements", judgements.len());
    }
    emit(&args.out, &text)
}
