//! One collection (startups or challenges) as the service holds it: the live dense index,
//! BM25, and the parsed records, so reads never take the store lock.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::domain::{Kind, Record};
use crate::embed::Embedder;
use crate::index::{open_synced, HnswParams, LiveIndex, Save};
use crate::index::{Entry, Facets};
use crate::ingest::Committed;
use crate::rank::LexicalIndex;
use crate::store::Store;

use super::ServiceError;

/// Writes per rebuild of an index's graph (see `LiveIndex`).
const REBUILD_AFTER: usize = 1000;

pub struct Collection {
    pub dense: Arc<LiveIndex>,
    pub lexical: LexicalIndex,
    records: RwLock<HashMap<String, Record>>,
}

impl Collection {
    /// Brings the persisted index of `kind` up to date with the store and indexes the texts.
    pub fn open(
        store: &dyn Store,
        embedder: &Embedder,
        kind: Kind,
        data_dir: &std::path::Path,
    ) -> Result<Self, ServiceError> {
        let key = embedder.key(crate::embed::role_for(kind));
        let (index, report) = open_synced(
            store,
            kind,
            &key,
            embedder.dim(),
            data_dir,
            HnswParams::default(),
            Save::BestEffort,
        )?;
        tracing::info!(kind = kind.plural(), records = index.len(), origin = ?report.origin, "index ready");
        let lexical = LexicalIndex::new()?;
        let records: HashMap<String, Record> = store
            .records(kind)?
            .into_iter()
            .map(|r| Ok((r.id.clone(), r.decode(kind)?)))
            .collect::<Result<_, crate::store::StoreError>>()?;
        let texts: Vec<(&str, String)> = records
            .iter()
            .map(|(id, r)| (id.as_str(), r.embed_text()))
            .collect();
        lexical.upsert_many(texts.iter().map(|(id, t)| (*id, t.as_str())))?;
        Ok(Collection {
            dense: LiveIndex::new(index, REBUILD_AFTER),
            lexical,
            records: RwLock::new(records),
        })
    }

    /// A record by id.
    pub fn record(&self, id: &str) -> Option<Record> {
        self.records
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// Every record, by id.
    pub fn all(&self) -> Vec<Record> {
        let map = self.records.read().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<Record> = map.values().cloned().collect();
        all.sort_by(|a, b| a.id().cmp(b.id()));
        all
    }

    /// Every record's embedded text (for the sentence warm-up).
    pub fn texts(&self) -> Vec<String> {
        self.records
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(Record::embed_text)
            .collect()
    }

    /// Follows one committed chunk of the store.
    pub fn apply(&self, committed: &[Committed]) -> Result<(), ServiceError> {
        for c in committed {
            let entry = Entry {
                id: c.record.id().to_string(),
                text_hash: c.text_hash.to_string(),
                facets: Facets::of(c.record),
                alive: true,
            };
            self.dense.upsert(entry, c.vector.to_vec());
        }
        self.lexical
            .upsert_many(committed.iter().map(|c| (c.record.id(), c.text)))?;
        let mut map = self.records.write().unwrap_or_else(|p| p.into_inner());
        for c in committed {
            map.insert(c.record.id().to_string(), c.record.clone());
        }
        Ok(())
    }

    /// Follows a delete in the store.
    pub fn forget(&self, id: &str) -> Result<(), ServiceError> {
        self.dense.remove(id);
        self.records
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        self.lexical.remove(&[id])?;
        Ok(())
    }
}
