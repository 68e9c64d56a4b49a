//! Ingest: files of startups or challenges → validated records → vectors → the store.
//!
//! Every bad record is reported with file, position, field and problem; the good records of
//! the same file are still stored. Records are written in chunks, one transaction each, so an
//! interrupted ingest keeps every chunk committed before it and nothing half-written.

pub mod mapping;
pub mod read;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::domain::{Challenge, Kind, Startup};
use crate::embed::{EmbedError, Embedder};
use crate::store::{Store, StoreError, StoredRecord, UpsertCounts};
pub use mapping::Mapping;

/// A validated record of either kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Startup(Startup),
    Challenge(Challenge),
}

impl Record {
    pub fn id(&self) -> &str {
        match self {
            Record::Startup(s) => &s.id,
            Record::Challenge(c) => &c.id,
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Record::Startup(_) => Kind::Startup,
            Record::Challenge(_) => Kind::Challenge,
        }
    }

    pub fn embed_text(&self) -> String {
        match self {
            Record::Startup(s) => s.embed_text(),
            Record::Challenge(c) => c.embed_text(),
        }
    }

    pub fn to_json(&self) -> String {
        match self {
            Record::Startup(s) => serde_json::to_string(s),
            Record::Challenge(c) => serde_json::to_string(c),
        }
        .expect("domain types always serialise")
    }

    /// Parses a stored or submitted JSON object of `kind`, naming the field at fault.
    pub fn from_value(
        kind: Kind,
        value: serde_json::Value,
    ) -> Result<Self, (Option<String>, String)> {
        fn de<T: serde::de::DeserializeOwned>(
            v: serde_json::Value,
        ) -> Result<T, (Option<String>, String)> {
            serde_path_to_error::deserialize(v).map_err(|e| {
                let path = e.path().to_string();
                let field = (path != ".").then_some(path);
                let msg = e.into_inner().to_string();
                // serde names a missing or unknown field in its message.
                let field = field.or_else(|| msg.split('`').nth(1).map(str::to_string));
                (field, msg)
            })
        }
        let mut record = match kind {
            Kind::Startup => Record::Startup(de(value)?),
            Kind::Challenge => Record::Challenge(de(value)?),
        };
        let checked = match &mut record {
            Record::Startup(s) => s.validate(),
            Record::Challenge(c) => c.validate(),
        };
        checked.map_err(|e| (Some(e.field), e.problem))?;
        Ok(record)
    }
}

/// sha256 of the text a record embeds: unchanged text, unchanged vector.
pub fn text_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// One record that was not stored, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub file: PathBuf,
    pub position: String,
    pub field: Option<String>,
    pub problem: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: ", self.file.display(), self.position)?;
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        f.write_str(&self.problem)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    File(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
}

/// Reads, maps and validates a file. File-level problems are errors; record-level problems are
/// issues beside the good records. A repeated id is an issue; its first record is kept.
pub fn read_file(
    kind: Kind,
    path: &Path,
    mapping: Option<&Mapping>,
) -> Result<(Vec<Record>, Vec<Issue>), IngestError> {
    if let Some(m) = mapping {
        if m.kind.is_some_and(|k| k != kind) {
            return Err(IngestError::File(format!(
                "the mapping is for {}, not {}",
                m.kind.map_or("", |k| k.plural()),
                kind.plural()
            )));
        }
    }
    let format = read::Format::of(path).map_err(IngestError::File)?;
    let bytes = std::fs::read(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let raw = read::parse(&bytes, format)
        .map_err(|e| IngestError::File(format!("{}: {e}", path.display())))?;
    let mut records = Vec::new();
    let mut issues = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for r in raw {
        let issue = |field: Option<String>, problem: String| Issue {
            file: path.to_path_buf(),
            position: r.position.clone(),
            field,
            problem,
        };
        let fields = match r.fields {
            Ok(f) => f,
            Err(problem) => {
                issues.push(issue(None, problem));
                continue;
            }
        };
        let fields = match mapping {
            Some(m) => m.apply(&fields),
            None => fields,
        };
        let value = serde_json::Value::Object(mapping::coerce(fields));
        match Record::from_value(kind, value) {
            Err((field, problem)) => issues.push(issue(field, problem)),
            Ok(record) => {
                if let Some(first) = seen.get(record.id()) {
                    issues.push(issue(
                        Some("id".into()),
                        format!(
                            "duplicate id `{}` (first at {first}); this one is skipped",
                            record.id()
                        ),
                    ));
                    continue;
                }
                seen.insert(record.id().to_string(), r.position.clone());
                records.push(record);
            }
        }
    }
    Ok((records, issues))
}

/// What an ingest did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct IngestCounts {
    pub stored: UpsertCounts,
    /// Texts sent through the model.
    pub embedded: usize,
    /// Records whose vector was already stored (same model, same text).
    pub reused: usize,
}

/// Records per transaction: small enough that an interruption loses little work.
pub const CHUNK: usize = 128;

/// Embeds what is new and stores records with their vectors, chunk by chunk.
pub fn store_records(
    store: &mut Store,
    embedder: &Embedder,
    records: &[Record],
    progress: &dyn Fn(usize),
) -> Result<IngestCounts, IngestError> {
    let mut counts = IngestCounts::default();
    let mut done = 0;
    for chunk in records.chunks(CHUNK) {
        let Some(kind) = chunk.first().map(Record::kind) else {
            continue;
        };
        let key = embedder.key(crate::embed::role_for(kind));
        let texts: Vec<String> = chunk.iter().map(Record::embed_text).collect();
        let hashes: Vec<String> = texts.iter().map(|t| text_hash(t)).collect();
        let mut missing: Vec<(String, &str)> = Vec::new();
        for (hash, text) in hashes.iter().zip(&texts) {
            let known = store.vector_by_hash(&key, hash)?.is_some()
                || missing.iter().any(|(h, _)| h == hash);
            if known {
                counts.reused += 1;
            } else {
                missing.push((hash.clone(), text));
            }
        }
        let refs: Vec<&str> = missing.iter().map(|(_, t)| *t).collect();
        let vectors = if refs.is_empty() {
            Vec::new()
        } else {
            embedder.embed(&refs, crate::embed::role_for(kind))?
        };
        counts.embedded += vectors.len();
        let new: Vec<(String, Vec<f32>)> =
            missing.into_iter().map(|(h, _)| h).zip(vectors).collect();
        let stored: Vec<StoredRecord> = chunk
            .iter()
            .zip(hashes)
            .map(|(r, text_hash)| StoredRecord {
                id: r.id().to_string(),
                data: r.to_json(),
                text_hash,
            })
            .collect();
        let c = store.upsert(kind, &stored, &key, &new)?;
        counts.stored.inserted += c.inserted;
        counts.stored.updated += c.updated;
        counts.stored.unchanged += c.unchanged;
        done += chunk.len();
        progress(done);
    }
    Ok(counts)
}
