//! The store contract: every read and write the service and the commands make, as a small
//! set of traits a backend implements — records and vectors, quality flags, the audit trail
//! with feedback, the scouting record, shortlists — and the values they speak. A backend
//! owns its transactions (each write method is one: all of it lands, or none) and its
//! migrations (run on open). SQLite ([`super::sqlite`]) is the embedded default; any other
//! backend proves itself by passing the conformance suite (`tests/store_contract.rs`)
//! unchanged.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{RecordWithVector, StoreError, StoredRecord, UpsertCounts};
use crate::domain::{Kind, ShortlistEntry};

type Result<T> = std::result::Result<T, StoreError>;

/// Records of both kinds with their vectors (keyed by embedding key and text hash, so an
/// unchanged text is never embedded again) and the sentence vectors of explanations.
pub trait Catalogue {
    /// The vector of an already embedded text, if any.
    fn vector_by_hash(&self, embed_key: &str, text_hash: &str) -> Result<Option<Vec<f32>>>;

    /// Writes records, their quality flags (`quality[i]` belongs to `records[i]`) and new
    /// vectors in one transaction: all of it lands, or none.
    fn upsert(
        &mut self,
        kind: Kind,
        records: &[StoredRecord],
        quality: &[QualityRow],
        embed_key: &str,
        vectors: &[(String, Vec<f32>)],
    ) -> Result<UpsertCounts>;

    /// Deletes records by id and returns the ids that existed, in one transaction: their
    /// quality flags go too, vectors no record uses any more go, and their shortlist entries
    /// are closed — each gets a last history row (stage `rejected`, the reason, `actor`) and
    /// leaves the current shortlist; a deleted challenge's history is closed, so a challenge
    /// created again under the id starts clean.
    fn delete(&mut self, kind: Kind, ids: &[String], actor: &str) -> Result<Vec<String>>;

    fn get(&self, kind: Kind, id: &str) -> Result<Option<StoredRecord>>;

    fn count(&self, kind: Kind) -> Result<usize>;

    /// Every record of a kind, ordered by id.
    fn records(&self, kind: Kind) -> Result<Vec<StoredRecord>>;

    /// Every record of a kind with its vector under `embed_key` (None if not embedded yet),
    /// ordered by id so everything built from it is deterministic.
    fn records_with_vectors(&self, kind: Kind, embed_key: &str) -> Result<Vec<RecordWithVector>>;

    /// Every stored sentence vector with its key (see `rank::SentenceCache::key`).
    fn sentence_vectors(&self) -> Result<Vec<(String, Vec<f32>)>>;

    /// Keeps sentence vectors (one transaction; a key written again is replaced).
    fn put_sentence_vectors(&mut self, items: &[(String, Vec<f32>)]) -> Result<()>;
}

/// The data-quality flags of each record, written with it.
pub trait QualityFlags {
    /// The flags of every stored record of a kind, ordered by id.
    fn quality(&self, kind: Kind) -> Result<Vec<QualityRow>>;

    /// Records stored before quality flags existed, to assess once.
    fn records_without_quality(&self, kind: Kind) -> Result<Vec<StoredRecord>>;

    /// Stores flags of records already stored (one transaction).
    fn put_quality(&mut self, kind: Kind, rows: &[QualityRow]) -> Result<()>;
}

/// Every served recommendation list, and the judgements given on them.
pub trait AuditTrail {
    /// Appends audit entries in one transaction.
    fn append_audit(&mut self, entries: &[AuditEntry]) -> Result<()>;

    /// The audit trail in the order it was written.
    fn audit(&self) -> Result<Vec<AuditEntry>>;

    /// The latest audit entry of a request, if it was served here.
    fn audit_entry(&self, request_id: &str) -> Result<Option<AuditEntry>>;

    /// Stores one judgement (its time set by the store).
    fn add_feedback(&mut self, f: &Feedback) -> Result<()>;

    /// All judgements, oldest first.
    fn feedback(&self) -> Result<Vec<Feedback>>;
}

/// The searches served for one record, folded, for scouting reports.
pub trait ScoutingRecord {
    /// The folded searches for the record `id` of `kind` (plural), in the order first
    /// served, and the feedback given on them.
    fn searches_for(&self, kind: &str, id: &str) -> Result<(Vec<Search>, Vec<Judged>)>;
}

/// Per challenge, the startups a scout keeps and their stage; every change in a history.
pub trait Shortlists {
    /// Sets a startup's place on a challenge's shortlist and appends the change to the
    /// history, in one transaction.
    fn put_shortlist(&mut self, e: &ShortlistEntry) -> Result<()>;

    /// A challenge's shortlist, in the order startups were first added.
    fn shortlist(&self, challenge: &str) -> Result<Vec<ShortlistEntry>>;

    /// Every change to a challenge's shortlist, oldest first (closed history of a deleted
    /// challenge left out).
    fn shortlist_history(&self, challenge: &str) -> Result<Vec<ShortlistEntry>>;

    /// Every change to every shortlist, oldest first, those of deleted challenges included.
    fn all_shortlist_history(&self) -> Result<Vec<ShortlistEntry>>;

    /// One startup's place on one shortlist.
    fn shortlist_entry(&self, challenge: &str, startup: &str) -> Result<Option<ShortlistEntry>>;

    /// Shortlisted startups per challenge (rejected ones not counted).
    fn shortlist_counts(&self) -> Result<HashMap<String, usize>>;
}

/// A whole store: what [`super::open`] returns and the service holds.
pub trait Store:
    Catalogue + QualityFlags + AuditTrail + ScoutingRecord + Shortlists + Send
{
    /// Where the store lives (a file path, a database URL without its password), for
    /// messages.
    fn location(&self) -> String;

    /// The schema version its migrations have reached.
    fn schema_version(&self) -> Result<i64>;
}

/// One served recommendation list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Made by the server, unique: what feedback and reports refer to.
    pub request_id: String,
    /// The caller's own `x-request-id`, kept beside for their correlation, never as a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
    /// RFC 3339, UTC.
    pub served_at: String,
    pub route: String,
    pub model: String,
    /// Which state of the index answered (base build and writes since).
    pub index_version: String,
    /// What was asked: `{"kind","id"}` for a stored record, `{"text"}` for free text.
    pub query: serde_json::Value,
    pub params: serde_json::Value,
    pub results: Vec<AuditResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditResult {
    pub id: String,
    pub score: f32,
}

/// A judgement on one suggested item: −1 wrong, 0 not relevant, 1 relevant, 2 highly relevant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub request_id: String,
    pub item: String,
    pub label: i8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Set by the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_at: Option<String>,
}

/// One record's quality flags, as stored beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityRow {
    pub id: String,
    pub informative_words: usize,
    /// Why the record is contentless; `None` when it has content.
    pub contentless: Option<String>,
    /// Filter fields the record lacks.
    pub missing: Vec<String>,
    pub website_key: Option<String>,
    pub text_key: Option<String>,
}

/// Identical lists served for one record: same model, index version, parameters and results.
#[derive(Debug, Clone, Serialize)]
pub struct Search {
    pub first_served_at: String,
    pub last_served_at: String,
    /// How often this list was served.
    pub times: usize,
    /// One request that served it (to look it up in the audit trail).
    pub request_id: String,
    pub route: String,
    pub model: String,
    pub index_version: String,
    pub params: serde_json::Value,
    pub results: Vec<AuditResult>,
}

/// A judgement, with the search (index into the searches) it was given on.
#[derive(Debug, Clone, Serialize)]
pub struct Judged {
    #[serde(flatten)]
    pub feedback: Feedback,
    pub search: usize,
}
