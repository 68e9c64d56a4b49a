use std::path::PathBuf;
use std::time::Instant;

use clap::Subcommand;
use govmatch::domain::{read_jsonl, Challenge, Startup};
use govmatch::embed::LongText;
use govmatch::eval::beir::read_qrels_tsv;
use govmatch::eval::{challenge_run, dense_run, score, BeirDataset};

use super::{progress_bar, ModelArgs, SampleFiles};

#[derive(Subcommand)]
pub enum EvalCommand {
    /// Rank startups for each challenge of a labelled sample (default: the bundled Hamburg
    /// sample) as served (exact dense search with hub reduction); prints nDCG@10, MRR@10,
    /// Recall@10/100.
    Sample {
        #[command(flatten)]
        sample: SampleFiles,
        #[command(flatten)]
        model: ModelArgs,
        /// Rank by plain similarity, without the served hub reduction.
        #[arg(long)]
        no_hub_reduction: bool,
        #[arg(long)]
        json: bool,
    },
    /// Dense retrieval with exact cosine search on a BEIR-layout folder; prints nDCG@10 and
    /// Recall@100 (as MTEB computes them: title + " " + text, model prompts, truncation).
    Beir {
        /// Folder with corpus.jsonl, queries.jsonl and qrels/<split>.tsv.
        dir: PathBuf,
        #[arg(long, default_value = "test")]
        split: String,
        #[command(flatten)]
        model: ModelArgs,
        /// Print the scores as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Several configurations on one dataset in one go (models × modes × search × diversity
    /// × query prompt): one table of metrics, index recall, queries/s and a significance test
    /// against a baseline row; optionally JSON, CSV, TREC runs and an SVG chart.
    Compare(Box<super::compare::CompareArgs>),
}

pub fn run(cmd: EvalCommand) -> anyhow::Result<()> {
    match cmd {
        EvalCommand::Compare(args) => super::compare::run(*args),
        EvalCommand::Sample {
            sample,
            model,
            no_hub_reduction,
            json,
        } => {
            let challenges: Vec<Challenge> = read_jsonl(&sample.challenges)?;
            let startups: Vec<Startup> = read_jsonl(&sample.startups)?;
            let qrels = read_qrels_tsv(&sample.qrels)?;
            let embedder = model.embedder()?;
            let start = Instant::now();
            let run = challenge_run(&embedder, &challenges, &startups, 100, !no_hub_reduction)?;
            let scores = score(&run, &qrels);
            let model_id = &embedder.model().info.id;
            if json {
                let mut value = serde_json::to_value(scores)?;
                value["model"] = model_id.as_str().into();
                value["hub_reduction"] = (!no_hub_reduction).into();
                println!("{value}");
            } else {
                println!("model        {model_id}");
                println!(
                    "hub reduction {}",
                    if no_hub_reduction { "off" } else { "on" }
                );
                println!("challenges   {} judged", scores.queries);
                println!("nDCG@10      {:.4}", scores.ndcg_at_10);
                println!("MRR@10       {:.4}", scores.mrr_at_10);
                println!("Recall@10    {:.4}", scores.recall_at_10);
                println!("Recall@100   {:.4}", scores.recall_at_100);
                println!("time         {:.1}s", start.elapsed().as_secs_f64());
            }
            Ok(())
        }
        EvalCommand::Beir {
            dir,
            split,
            model,
            json,
        } => {
            let data = BeirDataset::load(&dir, &split)?;
            let embedder = model.embedder_or(LongText::Truncate)?;
            let start = Instant::now();
            let bar = progress_bar(data.corpus.len(), "corpus");
            let run = dense_run(&embedder, &data, 100, &|done| bar.set_position(done as u64))?;
            bar.finish_and_clear();
            let scores = score(&run, &data.qrels);
            let secs = start.elapsed().as_secs_f64();
            let model_id = &embedder.model().info.id;
            if json {
                let mut value = serde_json::to_value(scores)?;
                value["model"] = model_id.as_str().into();
                value["dataset"] = dir.display().to_string().into();
                value["seconds"] = secs.into();
                println!("{value}");
            } else {
                println!("dataset      {}", dir.display());
                println!("model        {model_id}");
                println!("corpus       {} documents", data.corpus.len());
                println!("queries      {} ({split})", scores.queries);
                println!("nDCG@10      {:.5}", scores.ndcg_at_10);
                println!("Recall@100   {:.5}", scores.recall_at_100);
                println!("MRR@10       {:.5}", scores.mrr_at_10);
                println!("time         {secs:.1}s");
            }
            Ok(())
        }
    }
}
