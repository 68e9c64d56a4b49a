//! Optional download from the Hugging Face hub, for users with internet (feature `hub`).
//! Offline machines use `govmatch models fetch`; no test depends on this path.

use std::path::{Path, PathBuf};

use super::ModelError;

const FILES: &[&str] = &[
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
];

/// Downloads the files govmatch reads from `repo` into `models_dir/hub/<org>--<name>`.
pub fn download(repo: &str, models_dir: &Path) -> Result<PathBuf, ModelError> {
    let api = hf_hub::api::sync::Api::new().map_err(|e| ModelError::Fetch(e.to_string()))?;
    let model = api.model(repo.to_string());
    let dir = models_dir.join("hub").join(repo.replace('/', "--"));
    std::fs::create_dir_all(dir.join("1_Pooling")).map_err(ModelError::io(&dir))?;
    for file in FILES {
        match model.get(file) {
            Ok(cached) => {
                let dest = dir.join(file);
                std::fs::copy(&cached, &dest).map_err(ModelError::io(&dest))?;
            }
            // Only the first three are required; the sentence-transformers configs are optional.
            Err(e) if FILES[..3].contains(file) => {
                return Err(ModelError::Fetch(format!("{repo}/{file}: {e}")))
            }
            Err(_) => {}
        }
    }
    Ok(dir)
}
