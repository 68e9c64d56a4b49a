//! Reads: ranked matches for a stored record or a free text, and records by id. Every list
//! is ranked by [`crate::rank::rank`] with the caller's options.

use crate::domain::{Kind, Match, Record};
use crate::embed::queue::QueueError;
use crate::embed::Role;
use crate::rank::{self, Catalog, Mode, RankOptions};
use crate::store::{AuditEntry, AuditResult};

use super::audit::now;
use super::{Service, ServiceError};

/// Who asked, for the audit trail (front ends that keep no trail pass none).
pub struct Asker<'a> {
    /// The server's id of the request (unique).
    pub request_id: &'a str,
    /// The id the caller sent (`x-request-id`), kept beside it.
    pub client_request_id: Option<&'a str>,
    /// The route or command that served the list.
    pub route: &'a str,
}

/// A ranked list and the state that produced it.
#[derive(Debug, Clone)]
pub struct Served {
    pub model: String,
    /// What was searched.
    pub kind: Kind,
    pub mode: Mode,
    /// The index state that answered (`startups@VERSION`); the audit trail records it too.
    pub index_version: String,
    pub matches: Vec<Match>,
}

struct Asked {
    text: String,
    vector: Option<Vec<f32>>,
    facets: Option<crate::index::Facets>,
    language: Option<String>,
    audit_query: serde_json::Value,
}

impl Service {
    /// Records of `target` for the stored record `id` of `source` (its vector and text ask).
    pub fn match_record(
        &self,
        source: Kind,
        id: &str,
        target: Kind,
        opts: &RankOptions,
        asker: Option<Asker>,
    ) -> Result<Served, ServiceError> {
        let not_found = || ServiceError::NotFound {
            field: "id",
            kind: source.plural(),
            id: id.to_string(),
        };
        let (entry, vector) = self
            .collection(source)
            .dense
            .snapshot()
            .get(id)
            .ok_or_else(not_found)?;
        let record = self.collection(source).record(id).ok_or_else(not_found)?;
        let language = match &record {
            Record::Challenge(c) => c.language.clone(),
            Record::Startup(s) => s.languages.first().cloned(),
        };
        let asked = Asked {
            text: record.embed_text(),
            vector: Some(vector),
            facets: Some(entry.facets),
            language,
            audit_query: serde_json::json!({"kind": source.plural(), "id": id}),
        };
        self.serve(target, asked, opts, asker)
    }

    /// Records of `target` for a free text (a challenge draft or a startup description),
    /// embedded on the query side through the batching queue.
    pub fn match_text(
        &self,
        text: &str,
        target: Kind,
        opts: &RankOptions,
        asker: Option<Asker>,
    ) -> Result<Served, ServiceError> {
        // Lexical lists without explanations need no vector: skip the model.
        let needs_vector = opts.mode != Mode::Lexical || opts.explain;
        let vector = if needs_vector {
            Some(self.queue.embed(text, Role::Query).map_err(|e| match e {
                QueueError::Full(_) => ServiceError::Busy(e.to_string()),
                other => ServiceError::Queue(other),
            })?)
        } else {
            None
        };
        let asked = Asked {
            audit_query: serde_json::json!({"text": text}),
            text: text.to_string(),
            vector,
            facets: None,
            language: None,
        };
        self.serve(target, asked, opts, asker)
    }

    /// A record as it is served (parsed from the in-memory copy of the store).
    pub fn record(&self, kind: Kind, id: &str) -> Option<Record> {
        self.collection(kind).record(id)
    }

    /// A record exactly as it was stored, by id.
    pub fn stored_json(&self, kind: Kind, id: &str) -> Result<serde_json::Value, ServiceError> {
        let record = self
            .store()
            .get(kind, id)?
            .ok_or_else(|| ServiceError::NotFound {
                field: "id",
                kind: kind.plural(),
                id: id.to_string(),
            })?;
        serde_json::from_str(&record.data).map_err(|e| ServiceError::Corrupt {
            kind: kind.plural(),
            id: id.to_string(),
            problem: e.to_string(),
        })
    }

    fn serve(
        &self,
        target: Kind,
        asked: Asked,
        opts: &RankOptions,
        asker: Option<Asker>,
    ) -> Result<Served, ServiceError> {
        let collection = self.collection(target);
        let snapshot = collection.dense.snapshot();
        let lookup = |id: &str| collection.record(id);
        let hubness = self.hubness(target);
        let catalog = Catalog {
            kind: target,
            dense: &snapshot,
            lexical: Some(&collection.lexical),
            record: &lookup,
            hubness: Some(&hubness),
        };
        let query = rank::Query {
            text: &asked.text,
            vector: asked.vector,
            facets: asked.facets,
            language: asked.language,
        };
        let matches = rank::rank(
            Some(&self.embedder),
            &self.sentences,
            &query,
            &catalog,
            opts,
        )?;
        let served = Served {
            model: self.model_id().to_string(),
            kind: target,
            mode: opts.mode,
            index_version: format!("{}@{}", target.plural(), snapshot.version()),
            matches,
        };
        if let Some(asker) = asker {
            self.audit.record(AuditEntry {
                request_id: asker.request_id.to_string(),
                client_request_id: asker.client_request_id.map(str::to_string),
                served_at: now(),
                route: asker.route.to_string(),
                model: served.model.clone(),
                index_version: served.index_version.clone(),
                query: asked.audit_query,
                params: serde_json::to_value(opts).unwrap_or_default(),
                results: served
                    .matches
                    .iter()
                    .map(|m| AuditResult {
                        id: m.id.clone(),
                        score: m.score,
                    })
                    .collect(),
            });
        }
        Ok(served)
    }
}
