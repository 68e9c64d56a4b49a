//! The architectures govmatch can run, keyed by config.json's `model_type`.
//!
//! To add one: write its encoder as one file (e.g. `native/gemma3.rs`, exposing a [`Loader`]),
//! declare and re-export it in `native/mod.rs`, and add one line to [`ARCHITECTURES`] — three
//! files (and `registry.rs` for a model known by name); docs/ARCHITECTURE.md keeps the list.

use std::path::Path;

use serde::Deserialize;

use super::{read_json, Encoder, LoadOptions, ModelError, ModelInfo};

/// Builds an architecture's encoder from a model directory; it picks its backend from
/// `options` and refuses combinations it does not implement with [`ModelError::Unsupported`].
pub(crate) type Loader =
    fn(dir: &Path, info: &ModelInfo, options: LoadOptions) -> Result<Box<dyn Encoder>, ModelError>;

/// One architecture: the `model_type` values whose weights it reads, and its loader.
pub(crate) struct Architecture {
    pub model_types: &'static [&'static str],
    pub load: Loader,
}

/// Every architecture govmatch runs. New architecture: its encoder file, its line in
/// `native/mod.rs`, and one line here.
///
/// `xlm-roberta` (multilingual-e5-base/-large) is deliberately absent: its tensor names match
/// BERT's, but its positions start after the padding id, so BERT's loader would load it and
/// silently compute different vectors.
pub(crate) const ARCHITECTURES: &[Architecture] = &[
    Architecture {
        model_types: &["bert"],
        load: super::native::load_bert,
    },
    Architecture {
        model_types: &["gemma3_text"],
        load: super::native::load_gemma3,
    },
];

/// The `model_type` values [`ARCHITECTURES`] knows, for error messages.
pub(crate) fn known_model_types() -> Vec<&'static str> {
    ARCHITECTURES
        .iter()
        .flat_map(|a| a.model_types.iter().copied())
        .collect()
}

#[derive(Deserialize)]
struct ModelType {
    /// Older BERT exports omit it; before the registry existed those loaded as BERT, so they
    /// still do.
    #[serde(default = "bert")]
    model_type: String,
}

fn bert() -> String {
    "bert".into()
}

/// Loads the encoder of the model in `dir` with the architecture its config.json names.
pub(crate) fn load_encoder(
    dir: &Path,
    info: &ModelInfo,
    options: LoadOptions,
) -> Result<Box<dyn Encoder>, ModelError> {
    let path = dir.join("config.json");
    let ModelType { model_type } = read_json(&path)?;
    let arch = ARCHITECTURES
        .iter()
        .find(|a| a.model_types.contains(&model_type.as_str()))
        .ok_or(ModelError::UnknownArchitecture { path, model_type })?;
    (arch.load)(dir, info, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_model_type_names_it_and_the_known_ones() {
        let dir = std::env::temp_dir().join(format!("govmatch-arch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(
            dir.join("config.json"),
            r#"{"model_type": "mamba", "hidden_size": 8, "max_position_embeddings": 16}"#,
        )
        .expect("write config");
        let info = ModelInfo::read("t", &dir).expect("info");
        let err = load_encoder(&dir, &info, LoadOptions::default())
            .err()
            .expect("mamba is not registered");
        std::fs::remove_dir_all(&dir).ok();
        let message = err.to_string();
        assert!(matches!(err, ModelError::UnknownArchitecture { .. }));
        assert!(
            message.contains("`mamba`") && message.contains("known: bert, gemma3_text"),
            "{message}"
        );
    }
}
