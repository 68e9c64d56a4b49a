//! Ingest: files of startups or challenges → validated records → vectors → the store.
//!
//! Every bad record is reported with file, position, field and problem; the good records of
//! the same file are still stored. Records are written in chunks, one transaction each, so an
//! interrupted ingest keeps every chunk committed before it and nothing half-written.

pub mod mapping;
pub mod quality;
pub mod read;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::domain::{text, text_hash, Kind, Record};
use crate::embed::{EmbedError, Embedder};
use crate::store::{Store, StoreError, StoredRecord, UpsertCounts};
pub use mapping::Mapping;

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

/// A file as read: the valid records, the rejected ones, and what was changed on the way in.
#[derive(Debug, Default)]
pub struct FileRead {
    pub records: Vec<Record>,
    /// Records not stored, each with why.
    pub issues: Vec<Issue>,
    /// Records stored with a normalised value (an id spelled loosely, a stray control
    /// character), each saying what changed.
    pub notes: Vec<Issue>,
}

/// Imported values made to fit the rules, each change described: ids through
/// [`text::normalize_id`], forbidden control characters in text replaced by spaces. What is
/// still wrong afterwards is left for validation to refuse.
fn normalize_imported(
    fields: &mut serde_json::Map<String, serde_json::Value>,
) -> Vec<(String, String)> {
    use serde_json::Value;
    let mut notes = Vec::new();
    if let Some(Value::String(id)) = fields.get_mut("id") {
        if text::id_problem(id).is_some() {
            if let Some(fixed) = text::normalize_id(id) {
                notes.push((
                    "id".to_string(),
                    format!("`{}` normalised to `{fixed}`", text::printable(id)),
                ));
                *id = fixed;
            }
        }
    }
    for (name, value) in fields.iter_mut() {
        let lines = crate::domain::lines_of(name);
        let texts: Vec<&mut String> = match value {
            Value::String(s) => vec![s],
            Value::Array(items) => items
                .iter_mut()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        for t in texts {
            if text::forbidden_control(t, lines).is_some() {
                *t = text::strip_controls(t, lines);
                notes.push((
                    name.clone(),
                    "control characters replaced by spaces".to_string(),
                ));
            }
        }
    }
    notes
}

/// Reads, maps, normalises and validates a file. File-level problems are errors;
/// record-level problems are issues beside the good records. A repeated id is an issue; its
/// first record is kept.
pub fn read_file(
    kind: Kind,
    path: &Path,
    mapping: Option<&Mapping>,
) -> Result<FileRead, IngestError> {
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
    let mut notes = Vec::new();
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
                issues.push(issue(r.field.clone(), problem));
                continue;
            }
        };
        let fields = match mapping {
            Some(m) => m.apply(&fields),
            None => fields,
        };
        let mut fields = mapping::coerce(fields);
        let changed = normalize_imported(&mut fields);
        match Record::from_value(kind, serde_json::Value::Object(fields)) {
            Err((field, problem)) => issues.push(issue(field, problem)),
            Ok(record) => {
                notes.extend(changed.into_iter().map(|(f, p)| issue(Some(f), p)));
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
    Ok(FileRead {
        records,
        issues,
        notes,
    })
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

/// One record as its chunk was committed: what live indexes need to follow the store.
pub struct Committed<'a> {
    pub record: &'a Record,
    /// The text that was embedded (and that BM25 indexes).
    pub text: &'a str,
    pub text_hash: &'a str,
    pub vector: &'a [f32],
}

/// How many transactions a write may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    /// One per [`CHUNK`] records: a long import that is interrupted keeps what it committed
    /// (what `govmatch ingest` wants; it reports each file's counts).
    PerChunk,
    /// One for everything: all records land or none do (what an HTTP upload wants, so its
    /// answer is exact even when the process dies or the disk fills mid-way).
    Once,
}

/// Embeds what is new and stores records with their vectors, chunk by chunk.
pub fn store_records(
    store: &mut dyn Store,
    embedder: &Embedder,
    records: &[Record],
    progress: &dyn Fn(usize),
) -> Result<IngestCounts, IngestError> {
    store_records_then(
        store,
        embedder,
        records,
        Commit::PerChunk,
        progress,
        &mut |_| {},
    )
}

/// [`store_records`], calling `committed` with each chunk once its transaction is committed,
/// so a server's indexes see writes in the order the store does. The one write path of every
/// front end: `govmatch ingest`, the demo's sample and the API's upserts.
pub fn store_records_then(
    store: &mut dyn Store,
    embedder: &Embedder,
    records: &[Record],
    commit: Commit,
    progress: &dyn Fn(usize),
    committed: &mut dyn FnMut(&[Committed]),
) -> Result<IngestCounts, IngestError> {
    let mut counts = IngestCounts::default();
    let mut done = 0;
    let size = match commit {
        Commit::PerChunk => CHUNK,
        Commit::Once => records.len().max(1),
    };
    for chunk in records.chunks(size) {
        let Some(kind) = chunk.first().map(Record::kind) else {
            continue;
        };
        let role = crate::embed::role_for(kind);
        let key = embedder.key(role);
        let texts: Vec<String> = chunk.iter().map(Record::embed_text).collect();
        let hashes: Vec<String> = texts.iter().map(|t| text_hash(t)).collect();
        let mut vectors: Vec<Option<Vec<f32>>> = Vec::with_capacity(chunk.len());
        // Texts to embed, each once, with the positions that wait for its vector.
        let mut missing: Vec<(&str, &str, Vec<usize>)> = Vec::new();
        for (i, (hash, text)) in hashes.iter().zip(&texts).enumerate() {
            if let Some(m) = missing.iter_mut().find(|(h, _, _)| *h == hash.as_str()) {
                m.2.push(i);
                counts.reused += 1;
                vectors.push(None);
                continue;
            }
            match store.vector_by_hash(&key, hash)? {
                Some(v) => {
                    counts.reused += 1;
                    vectors.push(Some(v));
                }
                None => {
                    missing.push((hash, text, vec![i]));
                    vectors.push(None);
                }
            }
        }
        let refs: Vec<&str> = missing.iter().map(|(_, t, _)| *t).collect();
        let fresh = if refs.is_empty() {
            Vec::new()
        } else {
            embedder.embed(&refs, role)?
        };
        counts.embedded += fresh.len();
        let mut new: Vec<(String, Vec<f32>)> = Vec::with_capacity(fresh.len());
        for ((hash, _, waiting), v) in missing.into_iter().zip(fresh) {
            for &i in &waiting {
                vectors[i] = Some(v.clone());
            }
            new.push((hash.to_string(), v));
        }
        let stored: Vec<StoredRecord> = chunk
            .iter()
            .zip(&hashes)
            .map(|(r, text_hash)| StoredRecord {
                id: r.id().to_string(),
                data: r.to_json(),
                text_hash: text_hash.clone(),
            })
            .collect();
        let flags: Vec<_> = chunk.iter().map(quality::row).collect();
        let c = store.upsert(kind, &stored, &flags, &key, &new)?;
        counts.stored.inserted += c.inserted;
        counts.stored.updated += c.updated;
        counts.stored.unchanged += c.unchanged;
        let vectors: Vec<Vec<f32>> = vectors.into_iter().map(Option::unwrap_or_default).collect();
        let items: Vec<Committed> = chunk
            .iter()
            .zip(&texts)
            .zip(&hashes)
            .zip(&vectors)
            .map(|(((record, text), hash), vector)| Committed {
                record,
                text,
                text_hash: hash,
                vector,
            })
            .collect();
        committed(&items);
        done += chunk.len();
        progress(done);
    }
    Ok(counts)
}
