//! What a model directory says about itself: the sentence-transformers configs that decide
//! pooling, normalisation, sequence length and prompts. Reading them (instead of hard-coding per
//! model) is what makes any Hugging Face model directory load with `--model PATH`.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{ModelError, Pooling};

/// The facts about a model that every stage downstream needs.
#[derive(Debug, Clone)]
pub struct ModelInfo {
    /// Stable identifier: a known model's name, or the directory's name.
    pub id: String,
    pub dir: PathBuf,
    pub dim: usize,
    /// Longest token sequence (special tokens included) the model is fed.
    pub max_seq_length: usize,
    pub pooling: Pooling,
    pub normalize: bool,
    /// Prompt prepended to the asking side (e5: "query: ").
    pub query_prefix: String,
    /// Prompt prepended to the catalogue side (e5: "passage: ").
    pub passage_prefix: String,
}

/// The sizes every architecture's config.json states under these names.
#[derive(Deserialize)]
struct Dims {
    hidden_size: usize,
    max_position_embeddings: usize,
}

#[derive(Deserialize)]
struct SentenceBertConfig {
    max_seq_length: Option<usize>,
}

#[derive(Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
}

#[derive(Deserialize)]
struct StModule {
    path: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize, Default)]
struct StConfig {
    #[serde(default)]
    prompts: std::collections::HashMap<String, String>,
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ModelError> {
    let bytes = fs::read(path).map_err(ModelError::io(path))?;
    serde_json::from_slice(&bytes).map_err(|source| ModelError::Json {
        path: path.to_path_buf(),
        source,
    })
}

impl ModelInfo {
    /// Reads a model directory in Hugging Face / sentence-transformers layout.
    ///
    /// Without `modules.json` the directory is taken as a plain transformer: mean pooling,
    /// normalised, as sentence-transformers itself defaults to.
    pub fn read(id: &str, dir: &Path) -> Result<Self, ModelError> {
        let dims: Dims = read_json(&dir.join("config.json"))?;
        let modules_path = dir.join("modules.json");
        let modules: Vec<StModule> = if modules_path.exists() {
            read_json(&modules_path)?
        } else {
            Vec::new()
        };
        let pooling_dir = modules
            .iter()
            .find(|m| m.kind.ends_with("models.Pooling"))
            .map(|m| dir.join(&m.path))
            .unwrap_or_else(|| dir.join("1_Pooling"));
        let pooling_path = pooling_dir.join("config.json");
        let pooling = if pooling_path.exists() {
            let p: PoolingConfig = read_json(&pooling_path)?;
            if p.pooling_mode_max_tokens || p.pooling_mode_mean_sqrt_len_tokens {
                return Err(ModelError::Unsupported {
                    path: pooling_path,
                    message: "only mean and CLS pooling are supported".into(),
                });
            }
            match (p.pooling_mode_mean_tokens, p.pooling_mode_cls_token) {
                (true, false) => Pooling::Mean,
                (false, true) => Pooling::Cls,
                _ => {
                    return Err(ModelError::Unsupported {
                        path: pooling_path,
                        message: "exactly one of mean or CLS pooling must be enabled".into(),
                    })
                }
            }
        } else {
            Pooling::Mean
        };
        let normalize = modules.is_empty() || modules.iter().any(|m| m.kind.ends_with("Normalize"));
        let sbert_path = dir.join("sentence_bert_config.json");
        let max_seq_length = if sbert_path.exists() {
            let s: SentenceBertConfig = read_json(&sbert_path)?;
            s.max_seq_length.unwrap_or(dims.max_position_embeddings)
        } else {
            dims.max_position_embeddings
        }
        .min(dims.max_position_embeddings);
        let st_path = dir.join("config_sentence_transformers.json");
        let st: StConfig = if st_path.exists() {
            read_json(&st_path)?
        } else {
            StConfig::default()
        };
        let prompt = |key: &str| st.prompts.get(key).cloned().unwrap_or_default();
        Ok(ModelInfo {
            id: id.to_string(),
            dir: dir.to_path_buf(),
            dim: dims.hidden_size,
            max_seq_length,
            pooling,
            normalize,
            query_prefix: prompt("query"),
            // sentence-transformers calls the catalogue-side prompt "passage" or "document".
            passage_prefix: st
                .prompts
                .get("passage")
                .or_else(|| st.prompts.get("document"))
                .cloned()
                .unwrap_or_default(),
        })
    }
}
