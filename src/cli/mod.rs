//! Command-line front end: parse arguments, call the library, print.

mod args;
mod audit;
mod batch;
mod bench;
mod bench_index;
mod catalog;
mod compare;
mod demo;
mod eval;
mod models;
mod plot;
mod report;

use std::process::ExitCode;

pub use args::{DataArgs, ModelArgs, RankArgs, SampleFiles};
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "govmatch",
    version,
    about = "Match startups to public-agency challenges"
)]
struct Cli {
    /// Log more (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fetch, verify and list the offline models.
    #[command(subcommand)]
    Models(models::ModelsCommand),
    /// Embed and match the bundled Hamburg sample: the main job.
    Demo(demo::DemoArgs),
    /// Print embeddings of texts as JSON lines.
    Embed(demo::EmbedArgs),
    /// Add or update startups or challenges from files (exit 2 if some records were rejected).
    Ingest(catalog::IngestArgs),
    /// Delete startups or challenges by id.
    Delete(catalog::DeleteArgs),
    /// Search stored startups or challenges by text or by another record.
    Search(catalog::SearchArgs),
    /// Serve the HTTP API (localhost only unless API keys are set).
    Serve(ServeArgs),
    /// Score every open challenge against every startup, top-k each, to CSV/JSONL/TREC.
    Batch(batch::BatchArgs),
    /// Inspect or rebuild the HNSW indexes.
    #[command(subcommand)]
    Index(catalog::IndexCommand),
    /// Measure ranking quality.
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// Measure speed.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// The audit trail of served recommendations.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Judgements given through `POST /v1/feedback`.
    #[command(subcommand)]
    Feedback(audit::FeedbackCommand),
    /// Accountability reports: data quality and exposure fairness.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// The algorithm-register entry (UK ATRS fields).
    #[command(subcommand)]
    Register(report::RegisterCommand),
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on (port 0: any free port; the bound address is printed). Anything
    /// but localhost needs API keys.
    #[arg(long, env = "GOVMATCH_ADDR", default_value = "127.0.0.1:8080", value_parser = parse_addr)]
    addr: std::net::SocketAddr,
    /// An API key as SCOPE:KEY, scope `read` (matches, reads) or `write` (also changes and
    /// feedback); repeatable, or comma-separated in the environment.
    #[arg(
        long = "api-key",
        env = "GOVMATCH_API_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    api_keys: Vec<String>,
    /// Free-text queries waiting for the model before new ones get 429.
    #[arg(long, default_value_t = 256)]
    queue_capacity: usize,
    /// Seconds a client has to send a request's headers before its connection is closed
    /// (slow or stalled clients cannot hold connections open).
    #[arg(long, default_value_t = 10.0, value_parser = positive_seconds)]
    header_timeout: f64,
    /// Load the bundled Hamburg sample into the data directory first (if it is empty) and
    /// print example requests.
    #[arg(long)]
    demo: bool,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
}

/// HOST:PORT with a host name (`localhost:8080`) or an IP address; the first address the name
/// resolves to is used.
fn parse_addr(s: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::ToSocketAddrs;
    if let Ok(addr) = s.parse() {
        return Ok(addr);
    }
    if !s.contains(':') {
        return Err(format!(
            "`{s}` needs a port: HOST:PORT, e.g. 127.0.0.1:8080"
        ));
    }
    s.to_socket_addrs()
        .map_err(|e| format!("`{s}`: {e}"))?
        .next()
        .ok_or_else(|| format!("`{s}` resolves to no address"))
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let keys = crate::api::ApiKeys::parse(&args.api_keys)?;
    let banner = args
        .demo
        .then(|| demo::example_requests(&args.addr.to_string()));
    let (model, demo_dir) = (
        args.model.clone(),
        args.demo.then(|| args.data.data_dir.clone()),
    );
    let config = crate::api::ServeConfig {
        addr: args.addr,
        keys,
        data_dir: args.data.data_dir,
        // Runs after the server listens: the demo's sample is stored in the background too,
        // and the model it loads is the one served.
        load: Box::new(move || {
            let preloaded = match &demo_dir {
                Some(dir) => demo::load_sample(&model, dir)?,
                None => None,
            };
            match preloaded {
                Some(embedder) => Ok(embedder),
                None => model.embedder(),
            }
        }),
        queue_capacity: args.queue_capacity,
        header_timeout: std::time::Duration::from_secs_f64(args.header_timeout),
        banner,
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Each blocking thread holds a request's work; a burst queues instead of spawning
        // hundreds of threads (and their memory).
        .max_blocking_threads(crate::api::MAX_BLOCKING_THREADS)
        .build()?
        .block_on(crate::api::serve(config))
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn,govmatch=info",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let ok = |r: anyhow::Result<()>| r.map(|()| ExitCode::SUCCESS);
    let result = match cli.command {
        Command::Models(cmd) => ok(models::run(cmd)),
        Command::Demo(args) => ok(demo::run(args)),
        Command::Embed(args) => ok(demo::embed(args)),
        Command::Ingest(args) => catalog::ingest(args),
        Command::Delete(args) => catalog::delete(args),
        Command::Search(args) => catalog::search(args),
        Command::Index(cmd) => catalog::index(cmd),
        Command::Batch(args) => ok(batch::run(args)),
        Command::Serve(args) => ok(serve(args)),
        Command::Eval(cmd) => ok(eval::run(cmd)),
        Command::Bench(cmd) => ok(bench::run(cmd)),
        Command::Audit(cmd) => ok(audit::audit(cmd)),
        Command::Feedback(cmd) => ok(audit::feedback(cmd)),
        Command::Report(cmd) => ok(report::report(cmd)),
        Command::Register(cmd) => ok(report::register(cmd)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", message(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each cause once: library errors often already quote
/// their source ("path: No such file"), which the chain would repeat.
fn message(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

/// A progress bar on stderr, hidden when stderr is not a terminal.
pub fn progress_bar(len: usize, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>12} [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})",
        )
        .expect("static template is valid")
        .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

/// A number of seconds above zero (and under a day).
fn positive_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v < 86_400.0 => Ok(v),
        _ => Err(format!("`{s}` is not a number of seconds above 0")),
    }
}
