//! On-disk form of an HNSW index: hnsw_rs graph files plus a manifest saying what the graph
//! holds (embedding key, dimension, parameters, entries) with checksums of every file. A
//! directory is written whole under a temporary name and renamed into place.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::hnsw::{Entry, HnswIndex, HnswParams};

const FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub embed_key: String,
    pub dim: usize,
    pub params: HnswParams,
    pub points: usize,
    pub live: usize,
    pub basename: String,
    /// sha256 of each file in the directory but the manifest.
    pub files: Vec<(String, String)>,
    /// sha256 over the live (id, text hash) pairs, sorted: compared with the store.
    pub ids_checksum: String,
}

fn sha256_file(path: &Path) -> Result<String, String> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// Checksum of the live (id, text hash) pairs in id order.
pub fn ids_checksum<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<_> = pairs.collect();
    pairs.sort();
    let mut h = Sha256::new();
    for (id, hash) in pairs {
        h.update(id.as_bytes());
        h.update(b"\t");
        h.update(hash.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

fn io<E: std::fmt::Display>(path: &Path) -> impl Fn(E) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

pub fn save(index: &HnswIndex, embed_key: &str, dir: &Path) -> Result<(), String> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io(parent))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{name}.tmp"));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    let basename = index.dump_graph(&tmp)?;
    let entries = serde_json::to_vec(index.entries()).map_err(io(&tmp))?;
    fs::write(tmp.join("entries.json"), entries).map_err(io(&tmp))?;
    let vectors: Vec<u8> = (0..index.entries().len())
        .flat_map(|p| {
            index
                .point_vector(p)
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect::<Vec<_>>()
        })
        .collect();
    fs::write(tmp.join("vectors.f32"), vectors).map_err(io(&tmp))?;
    let mut files = Vec::new();
    let mut names: Vec<PathBuf> = fs::read_dir(&tmp)
        .map_err(io(&tmp))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    for path in names {
        let n = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.push((n, sha256_file(&path)?));
    }
    let live = index.entries().iter().filter(|e| e.alive);
    let manifest = Manifest {
        format: FORMAT,
        embed_key: embed_key.to_string(),
        dim: index.dim(),
        params: index.params(),
        points: index.entries().len(),
        live: index.len(),
        basename,
        files,
        ids_checksum: ids_checksum(live.map(|e| (e.id.as_str(), e.text_hash.as_str()))),
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(io(&tmp))?;
    fs::write(tmp.join("manifest.json"), json).map_err(io(&tmp))?;
    let old = parent.join(format!(".{name}.old"));
    if dir.exists() {
        if old.exists() {
            fs::remove_dir_all(&old).map_err(io(&old))?;
        }
        fs::rename(dir, &old).map_err(io(dir))?;
    }
    fs::rename(&tmp, dir).map_err(io(dir))?;
    if old.exists() {
        fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    Ok(())
}

/// Why a saved index was not loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// Nothing saved there yet (a new data directory, a new model): build it, quietly.
    #[error("no saved index")]
    Missing,
    /// Saved but unusable (damaged, other model or parameters): rebuild, and say why.
    #[error("{0}")]
    Unusable(String),
}

/// Loads an index saved by [`save`]; any mismatch or damage is an `Err` with the reason.
pub fn load(
    dir: &Path,
    embed_key: &str,
    dim: usize,
    params: HnswParams,
) -> Result<(HnswIndex, Manifest), LoadError> {
    let mpath = dir.join("manifest.json");
    if !mpath.exists() {
        return Err(LoadError::Missing);
    }
    load_saved(dir, &mpath, embed_key, dim, params).map_err(LoadError::Unusable)
}

fn load_saved(
    dir: &Path,
    mpath: &Path,
    embed_key: &str,
    dim: usize,
    params: HnswParams,
) -> Result<(HnswIndex, Manifest), String> {
    let manifest: Manifest = serde_json::from_slice(&fs::read(mpath).map_err(io(mpath))?)
        .map_err(|e| format!("manifest unreadable: {e}"))?;
    if manifest.format != FORMAT {
        return Err(format!(
            "index format {} (expected {FORMAT})",
            manifest.format
        ));
    }
    if manifest.embed_key != embed_key {
        return Err(format!(
            "index holds `{}` vectors, not `{embed_key}`",
            manifest.embed_key
        ));
    }
    if manifest.dim != dim {
        return Err(format!(
            "index has dimension {}, model has {dim}",
            manifest.dim
        ));
    }
    if (manifest.params.m, manifest.params.ef_construction) != (params.m, params.ef_construction) {
        return Err("index was built with other parameters".into());
    }
    for (name, want) in &manifest.files {
        let got = sha256_file(&dir.join(name)).map_err(|e| format!("damaged: {e}"))?;
        if &got != want {
            return Err(format!("damaged: {name} does not match its checksum"));
        }
    }
    let entries: Vec<Entry> =
        serde_json::from_slice(&fs::read(dir.join("entries.json")).map_err(io(dir))?)
            .map_err(|e| format!("entries unreadable: {e}"))?;
    let raw = fs::read(dir.join("vectors.f32")).map_err(io(dir))?;
    if raw.len() != entries.len() * dim * 4 {
        return Err("vectors file does not match the entries".into());
    }
    let vectors = raw
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect();
    let mut params = params;
    params.ef_search = params.ef_search.max(1);
    let index = HnswIndex::load_graph(dir, &manifest.basename, dim, params, entries, vectors)?;
    Ok((index, manifest))
}
