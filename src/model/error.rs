use std::path::PathBuf;

/// Everything that can go wrong while finding, fetching, loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: invalid JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    #[error("model `{name}` is not installed in {dir}")]
    NotInstalled { name: String, dir: PathBuf },
    #[error("unknown model `{0}`: not a known model name ({known}) and not a model directory", known = super::registry::known_names().join(", "))]
    Unknown(String),
    #[error("{path}: model_type `{model_type}` is not an architecture govmatch runs (known: {known})", known = super::arch::known_model_types().join(", "))]
    UnknownArchitecture { path: PathBuf, model_type: String },
    #[error("unsupported model configuration in {path}: {message}")]
    Unsupported { path: PathBuf, message: String },
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("fetch failed: {0}")]
    Fetch(String),
    #[error("inference failed: {0}")]
    Inference(String),
    #[error("inference failed: {0}")]
    Candle(#[from] candle_core::Error),
}

impl ModelError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| ModelError::Io { path, source }
    }
}
