//! Argument groups several commands share: which model, which data directory, which
//! labelled sample. (Filters are the library's own `Filter`, flattened where needed.)

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use govmatch::embed::{EmbedOptions, Embedder, LongText};
use govmatch::index::Filter;
use govmatch::model::{registry, Backend, LoadOptions, Model, ModelError, Precision};
use govmatch::rank::{Mode, RankOptions};

/// Which model to use and how to feed it; shared by every command that embeds.
#[derive(Args, Clone, Debug)]
pub struct ModelArgs {
    /// A known model name (embeddinggemma-300m, multilingual-e5-small, all-MiniLM-L6-v2) or a
    /// model directory.
    #[arg(long, short, default_value = registry::DEFAULT_MODEL, env = "GOVMATCH_MODEL")]
    pub model: String,
    /// Where known models are installed.
    #[arg(long, env = "GOVMATCH_MODELS_DIR", default_value = "models")]
    pub models_dir: PathBuf,
    /// Texts longer than the model's window: `truncate` or `window` (overlapping windows,
    /// averaged) [default: window; truncate for eval and bench, as MTEB does].
    #[arg(long)]
    pub long_text: Option<LongText>,
    /// Most texts per forward pass.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Numeric precision of the encoder: `f32` (reference vectors) or `int8` (several times
    /// faster on CPUs with AVX-512 VNNI, cosine ≥ 0.99 to f32; stored under its own key).
    #[arg(long, env = "GOVMATCH_PRECISION", default_value = "f32")]
    pub precision: Precision,
    /// Encoder implementation: `native` (govmatch's kernels) or `candle` (the f32 reference).
    #[arg(long, env = "GOVMATCH_BACKEND", default_value = "native")]
    pub backend: Backend,
}

impl ModelArgs {
    pub fn embedder(&self) -> anyhow::Result<Embedder> {
        self.embedder_or(LongText::Window { overlap: 32 })
    }

    /// Like [`embedder`](Self::embedder), with a command's own default for long texts.
    pub fn embedder_or(&self, long_text: LongText) -> anyhow::Result<Embedder> {
        let options = LoadOptions {
            backend: self.backend,
            precision: self.precision,
        };
        let model = match Model::load_with(&self.model, &self.models_dir, options) {
            Ok(model) => model,
            Err(e @ ModelError::NotInstalled { .. }) => {
                return Err(anyhow::Error::new(e).context(format!(
                    "loading model `{}` (install the offline models with `govmatch models fetch`, \
                     or pass --model PATH to a model directory)",
                    self.model
                )))
            }
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!("loading model `{}`", self.model)))
            }
        };
        tracing::info!(
            model = %model.info.id,
            dim = model.info.dim,
            max_seq_length = model.info.max_seq_length,
            precision = %model.precision,
            "model loaded"
        );
        let options = EmbedOptions {
            long_text: self.long_text.unwrap_or(long_text),
            max_batch: self.batch_size,
            ..EmbedOptions::default()
        };
        Ok(Embedder::new(Arc::new(model), options))
    }
}

#[derive(Args, Clone)]
pub struct DataArgs {
    /// Where the store and indexes live.
    #[arg(long, env = "GOVMATCH_DATA_DIR", default_value = "govmatch-data")]
    pub data_dir: PathBuf,
}

impl DataArgs {
    /// Fails unless the data directory holds a store: commands that only read must not create
    /// one.
    pub fn require_store(&self) -> anyhow::Result<()> {
        if !govmatch::store::exists(&self.data_dir) {
            return Err(govmatch::store::StoreError::Missing {
                dir: self.data_dir.clone(),
            }
            .into());
        }
        Ok(())
    }

    /// The store of a directory that must hold one (read commands: a mistyped `--data-dir`
    /// is an error, never a new empty store).
    pub fn open_store(&self) -> anyhow::Result<Box<dyn govmatch::store::Store>> {
        Ok(govmatch::store::open_existing(&self.data_dir)?)
    }
}

/// A labelled sample's three files (default: the bundled Hamburg sample).
#[derive(Args)]
pub struct SampleFiles {
    #[arg(long, default_value = "data/hamburg/challenges.jsonl")]
    pub challenges: PathBuf,
    #[arg(long, default_value = "data/hamburg/startups.jsonl")]
    pub startups: PathBuf,
    /// Graded judgements (TREC or BEIR format).
    #[arg(long, default_value = "data/hamburg/qrels.tsv")]
    pub qrels: PathBuf,
}

/// How a command ranks: the options the API takes as parameters, with the same defaults (the
/// served ranking: dense with hub reduction).
#[derive(Args, Clone, Debug)]
pub struct RankArgs {
    /// `dense` (vectors), `lexical` (BM25) or `hybrid` (both, fused by reciprocal rank).
    #[arg(long, default_value = "dense")]
    pub mode: Mode,
    /// Rank by plain similarity, without the hub reduction the API applies by default.
    #[arg(long)]
    pub no_hub_reduction: bool,
    /// Match a German text's words in BM25 as written only, without their English translations.
    #[arg(long)]
    pub no_translate: bool,
    /// 0 = relevance order; up to 1 = spread the list over different kinds of records (MMR).
    #[arg(long, default_value_t = 0.0)]
    pub diversity: f32,
    /// Drop matches below this cosine similarity (BM25 score in lexical mode).
    #[arg(long)]
    pub min_score: Option<f32>,
    #[command(flatten)]
    pub filter: Filter,
}

impl RankArgs {
    /// The ranker's options for a list of `k` (`ef` only for HNSW search).
    pub fn options(
        &self,
        k: usize,
        exact: bool,
        ef: Option<usize>,
        explain: bool,
    ) -> anyhow::Result<RankOptions> {
        // The API's ranking fields, checked by the same function (names, limits, defaults).
        let ranking = govmatch::rank::Ranking {
            k: Some(k),
            exact: Some(exact),
            ef,
            mode: Some(self.mode),
            diversity: Some(self.diversity),
            min_score: self.min_score,
            like: Vec::new(),
            unlike: Vec::new(),
            explain: Some(explain),
            hub_reduction: Some(!self.no_hub_reduction),
            translate: Some(!self.no_translate),
        };
        ranking
            .options(self.filter.clone(), "")
            .map_err(|e| anyhow::anyhow!("--{}: {}", e.field.replace('_', "-"), e.problem))
    }
}

/// One line saying how a list was ranked, so a reader knows it is what the API serves.
pub fn describe(opts: &RankOptions) -> String {
    format!(
        "ranked as the API serves it: {} mode, hub reduction {}, {} search{}",
        opts.mode,
        if opts.hub_reduction && opts.mode != Mode::Lexical {
            "on"
        } else {
            "off"
        },
        if opts.exact { "exact" } else { "HNSW" },
        if opts.diversity > 0.0 {
            format!(", diversity {}", opts.diversity)
        } else {
            String::new()
        }
    )
}
