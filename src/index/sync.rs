//! Keeping a persisted HNSW index in step with the store: load it, apply what changed in the
//! store since it was saved (inserts, tombstones), rebuild when it is damaged, built for other
//! vectors, or full of tombstones, and save it again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::filter::Facets;
use super::hnsw::{Entry, HnswIndex, HnswParams};
use super::persist;
use crate::domain::Kind;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("saving the index to {dir}: {problem}")]
    Save { dir: PathBuf, problem: String },
}

/// How the index came to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Loaded,
    /// Built from the store; the reason names what was wrong with the saved one.
    Rebuilt(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub origin: Origin,
    pub inserted: usize,
    pub removed: usize,
    /// Records that have no vector under this embedding key (ingested with another model).
    pub missing_vectors: usize,
    pub saved: bool,
    /// The saved index differs from the store (a save would write it).
    pub stale: bool,
    /// Why a [`Save::BestEffort`] save failed (a full disk, say): the index is served from
    /// memory and rebuilt from the store at the next start.
    pub save_error: Option<String>,
}

/// Rebuild once this share of graph points are tombstones.
pub const REBUILD_TOMBSTONE_RATIO: f64 = 0.2;

/// Where the index of `kind` under `embed_key` lives inside a data directory.
pub fn index_dir(data_dir: &Path, kind: Kind, embed_key: &str) -> PathBuf {
    let safe: String = embed_key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    data_dir
        .join("index")
        .join(format!("{}--{safe}", kind.plural()))
}

/// Whether bringing an index up to date may write it to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Save {
    /// Save when syncing changed anything; a failed save is an error (what `index rebuild`
    /// and ingest want: they exist to write it).
    IfChanged,
    /// Save when syncing changed anything; a failed save is logged and reported, and the
    /// index is still returned (what a server wants: its store is intact, so it serves from
    /// memory rather than refusing to start).
    BestEffort,
    /// Write nothing: what a status report needs (the report's `stale` says what a save
    /// would change).
    Never,
}

/// Loads (or builds) the index for `kind` and brings it up to date with the store; with
/// [`Save::IfChanged`] saves it when that changed anything (an empty index has no graph to
/// save and is not written).
pub fn open_synced(
    store: &dyn Store,
    kind: Kind,
    embed_key: &str,
    dim: usize,
    data_dir: &Path,
    params: HnswParams,
    save: Save,
) -> Result<(HnswIndex, SyncReport), IndexError> {
    let dir = index_dir(data_dir, kind, embed_key);
    let mut current: HashMap<String, (Entry, Vec<f32>)> = HashMap::new();
    let mut missing_vectors = 0;
    for (rec, vector) in store.records_with_vectors(kind, embed_key)? {
        let Some(vector) = vector else {
            missing_vectors += 1;
            continue;
        };
        let record = rec.decode(kind)?;
        let entry = Entry {
            id: rec.id.clone(),
            text_hash: rec.text_hash,
            facets: Facets::of(&record),
            alive: true,
        };
        current.insert(rec.id, (entry, vector));
    }
    if missing_vectors > 0 {
        tracing::warn!(
            kind = kind.plural(),
            missing_vectors,
            embed_key,
            "records without a vector for this model are not searchable; ingest them again with this model"
        );
    }
    let build_all = |current: HashMap<String, (Entry, Vec<f32>)>| {
        let mut items: Vec<(Entry, Vec<f32>)> = current.into_values().collect();
        items.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        HnswIndex::build(dim, params, items)
    };
    let (mut index, mut report) = match persist::load(&dir, embed_key, dim, params) {
        Ok((mut index, _)) => {
            let stale: Vec<String> = index
                .entries()
                .iter()
                .filter(|e| e.alive)
                .filter(|e| {
                    current
                        .get(&e.id)
                        .is_none_or(|(c, _)| c.text_hash != e.text_hash || c.facets != e.facets)
                })
                .map(|e| e.id.clone())
                .collect();
            let mut removed = 0;
            for id in &stale {
                index.remove(id);
                if !current.contains_key(id) {
                    removed += 1;
                }
            }
            let mut inserted = 0;
            let mut fresh: Vec<(Entry, Vec<f32>)> = current
                .into_values()
                .filter(|(e, _)| index.get(&e.id).is_none())
                .collect();
            fresh.sort_by(|a, b| a.0.id.cmp(&b.0.id));
            for (entry, vector) in fresh {
                index.upsert(entry, &vector);
                inserted += 1;
            }
            let report = SyncReport {
                origin: Origin::Loaded,
                inserted,
                removed,
                missing_vectors,
                saved: false,
                stale: false,
                save_error: None,
            };
            (index, report)
        }
        Err(reason) => {
            if reason != persist::LoadError::Missing {
                tracing::warn!(dir = %dir.display(), %reason, "rebuilding the index from the store");
            }
            let index = build_all(current);
            let report = SyncReport {
                origin: Origin::Rebuilt(reason.to_string()),
                inserted: index.len(),
                removed: 0,
                missing_vectors,
                saved: false,
                stale: false,
                save_error: None,
            };
            (index, report)
        }
    };
    if index.tombstone_ratio() > REBUILD_TOMBSTONE_RATIO {
        tracing::info!(
            ratio = index.tombstone_ratio(),
            "rebuilding the index: too many tombstones"
        );
        index = index.rebuilt();
    }
    let changed = report.origin != Origin::Loaded
        || report.inserted > 0
        || report.removed > 0
        || index.tombstone_ratio() > 0.0;
    report.stale = changed && !index.entries().is_empty();
    if report.stale && save != Save::Never {
        match persist::save(&index, embed_key, &dir) {
            Ok(()) => {
                report.saved = true;
                report.stale = false;
            }
            Err(problem) if save == Save::BestEffort => {
                tracing::warn!(dir = %dir.display(), %problem,
                    "could not save the index; serving it from memory (the store is intact)");
                report.save_error = Some(problem);
            }
            Err(problem) => return Err(IndexError::Save { dir, problem }),
        }
    }
    Ok((index, report))
}
