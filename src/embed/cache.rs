//! Vectors of a whole text set kept on disk, so that evaluating ten configurations of one model
//! on one dataset embeds the corpus once, and running the comparison again embeds nothing.
//!
//! One file per (embedder key, role, exact texts): the file name is a hash of all three, so a
//! changed text, model, precision or prompt side can never be served stale vectors.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{EmbedError, Embedder, Role};

const MAGIC: &[u8; 8] = b"GMVEC001";

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("vector cache {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Embed(#[from] EmbedError),
}

/// A folder of cached vector sets.
#[derive(Debug, Clone)]
pub struct VectorCache {
    dir: PathBuf,
}

impl VectorCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        VectorCache { dir: dir.into() }
    }

    /// `$GOVMATCH_CACHE_DIR`, else `$XDG_CACHE_HOME/govmatch/vectors`, else
    /// `~/.cache/govmatch/vectors`, else `.govmatch-cache/vectors`.
    pub fn default_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("GOVMATCH_CACHE_DIR") {
            return PathBuf::from(dir).join("vectors");
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
        match base {
            Some(base) => base.join("govmatch").join("vectors"),
            None => PathBuf::from(".govmatch-cache").join("vectors"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_for(&self, embedder: &Embedder, texts: &[&str], role: Role) -> PathBuf {
        let mut hash = Sha256::new();
        hash.update(embedder.key(role).as_bytes());
        for t in texts {
            hash.update([0u8]);
            hash.update(t.as_bytes());
        }
        self.dir
            .join(format!("{}.vec", hex::encode(&hash.finalize()[..16])))
    }

    /// The vectors of `texts`, read from the cache or embedded (in chunks, reporting how many
    /// are done to `progress`) and then stored. Returns whether they came from the cache.
    pub fn get_or_embed(
        &self,
        embedder: &Embedder,
        texts: &[&str],
        role: Role,
        progress: &dyn Fn(usize),
    ) -> Result<(Vec<Vec<f32>>, bool), CacheError> {
        let path = self.path_for(embedder, texts, role);
        if let Some(vectors) = read(&path, texts.len(), embedder.dim()) {
            progress(texts.len());
            return Ok((vectors, true));
        }
        let vectors = embed_in_chunks(embedder, texts, role, progress)?;
        write(&path, &vectors, embedder.dim()).map_err(|source| CacheError::Io {
            path: path.clone(),
            source,
        })?;
        Ok((vectors, false))
    }
}

/// Embeds `texts` 256 at a time, telling `progress` how many are done after each chunk.
pub fn embed_in_chunks(
    embedder: &Embedder,
    texts: &[&str],
    role: Role,
    progress: &dyn Fn(usize),
) -> Result<Vec<Vec<f32>>, EmbedError> {
    let mut vectors = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(256) {
        vectors.extend(embedder.embed(chunk, role)?);
        progress(vectors.len());
    }
    Ok(vectors)
}

/// The stored set, or `None` when missing, truncated or of another shape (then it is redone).
fn read(path: &Path, n: usize, dim: usize) -> Option<Vec<Vec<f32>>> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).ok()?;
    let header = MAGIC.len() + 16;
    if bytes.len() != header + n * dim * 4 || &bytes[..MAGIC.len()] != MAGIC {
        return None;
    }
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or([0; 8]));
    if word(MAGIC.len()) != n as u64 || word(MAGIC.len() + 8) != dim as u64 {
        return None;
    }
    let floats: Vec<f32> = bytes[header..]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Some(floats.chunks(dim.max(1)).map(<[f32]>::to_vec).collect())
}

/// Written whole or not at all ([`crate::files::write_atomic`]): a crash leaves either the old
/// set or none.
fn write(path: &Path, vectors: &[Vec<f32>], dim: usize) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::files::write_atomic(path, |out| {
        out.write_all(MAGIC)?;
        out.write_all(&(vectors.len() as u64).to_le_bytes())?;
        out.write_all(&(dim as u64).to_le_bytes())?;
        for v in vectors {
            for x in v {
                out.write_all(&x.to_le_bytes())?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_shape_check() {
        let dir = std::env::temp_dir().join(format!("govmatch-cache-{}", std::process::id()));
        let path = dir.join("x.vec");
        let vectors = vec![vec![1.0, -2.5, 0.0], vec![0.25, 3.0, -1.0]];
        write(&path, &vectors, 3).unwrap();
        assert_eq!(read(&path, 2, 3), Some(vectors));
        // Another shape is a miss, not garbage.
        assert_eq!(read(&path, 3, 3), None);
        assert_eq!(read(&path, 2, 4), None);
        // A truncated file (a crash before the rename cannot leave one, a full disk can).
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert_eq!(read(&path, 2, 3), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
