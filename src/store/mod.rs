//! Durable store behind one contract ([`contract`]): records and their vectors, quality
//! flags, the audit trail, feedback and shortlists. SQLite ([`sqlite`], WAL) is the embedded
//! default and the only backend today; [`open`] picks it for a data directory.
//!
//! Vectors are keyed by (embedding key, text hash): a record whose embedded text is unchanged
//! is never embedded again, and identical texts share one vector. Every write is one
//! transaction, so a crash leaves the last committed state.

pub mod contract;
pub mod sqlite;

use std::path::{Path, PathBuf};

use crate::domain::{Kind, Record};

pub use contract::{
    AuditEntry, AuditResult, AuditTrail, Catalogue, Feedback, Judged, QualityFlags, QualityRow,
    ScoutingRecord, Search, Shortlists, Store,
};
pub use sqlite::SqliteStore;

/// The contract's traits, for code that calls a store's methods.
pub mod prelude {
    pub use super::contract::{
        AuditTrail, Catalogue, QualityFlags, ScoutingRecord, Shortlists, Store,
    };
}

/// What a store operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database {path} has schema version {found}; this govmatch knows up to {known}")]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("stored vector for {text_hash} has {bytes} bytes, not a multiple of 4")]
    BadVector { text_hash: String, bytes: usize },
    /// A data directory whose database is gone or empty while saved indexes say it held
    /// records: starting over it would serve nothing and overwrite the indexes.
    #[error(
        "{path} is missing or empty, but {index} holds saved indexes of stored records; \
         refusing to open it (restore govmatch.db from a backup, or remove {index} to start empty)"
    )]
    Orphaned { path: PathBuf, index: PathBuf },
    /// A stored record whose JSON no longer reads: the store is damaged, not the request.
    #[error("stored {kind} record `{id}` is unreadable: {problem}")]
    Corrupt {
        kind: &'static str,
        id: String,
        problem: String,
    },
    /// A read command pointed at a directory without a store (a mistyped `--data-dir`).
    #[error("{dir} holds no govmatch store (nothing ingested there yet; or pass --data-dir)")]
    Missing { dir: PathBuf },
}

/// A record as stored: its JSON and the hash of the text it embeds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    pub id: String,
    pub data: String,
    pub text_hash: String,
}

impl StoredRecord {
    /// The one decoder of stored records ([`Record::from_stored`]): a row that no longer
    /// reads is [`StoreError::Corrupt`], naming it — never skipped in silence.
    pub fn decode(&self, kind: Kind) -> Result<Record, StoreError> {
        Record::from_stored(kind, &self.data).map_err(|problem| StoreError::Corrupt {
            kind: kind.plural(),
            id: self.id.clone(),
            problem,
        })
    }
}

/// What an upsert changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UpsertCounts {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// A record with its vector under one embedding key, if it has one yet.
pub type RecordWithVector = (StoredRecord, Option<Vec<f32>>);

/// The database file of a data directory.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("govmatch.db")
}

/// Whether `data_dir` holds a store (a database file with content; SQLite writes its header
/// with the first table, so a zero-byte file was never a store).
pub fn exists(data_dir: &Path) -> bool {
    std::fs::metadata(db_path(data_dir)).is_ok_and(|m| m.len() > 0)
}

/// Whether saved indexes sit in `data_dir` (only an index with records is ever saved).
pub(crate) fn has_saved_indexes(data_dir: &Path) -> bool {
    std::fs::read_dir(data_dir.join("index")).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.path().join("manifest.json").is_file())
    })
}

/// Opens the store of a data directory, creating it when the directory holds none, and
/// brings its schema up to date. A missing or empty database beside saved indexes is refused
/// ([`StoreError::Orphaned`]), touching nothing.
pub fn open(data_dir: &Path) -> Result<Box<dyn Store>, StoreError> {
    Ok(Box::new(SqliteStore::open(data_dir)?))
}

/// Opens the store of a directory that must already hold one: what read commands use, so a
/// mistyped `--data-dir` is an error instead of a new empty store.
pub fn open_existing(data_dir: &Path) -> Result<Box<dyn Store>, StoreError> {
    if !exists(data_dir) {
        return Err(StoreError::Missing {
            dir: data_dir.to_path_buf(),
        });
    }
    open(data_dir)
}
