//! Warm-up: the sentence vectors explanations need, loaded from the store and the missing
//! ones embedded (and kept), so the first requests after a start need not wait for them.

use std::collections::HashSet;

use crate::domain::Kind;
use crate::embed::role_for;
use crate::rank::{explain, SentenceCache};

use super::{Service, ServiceError};

/// What a warm-up did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Warmed {
    pub loaded: usize,
    pub embedded: usize,
}

impl Service {
    /// Runs on the caller's thread (a server runs it in the background); stops early once
    /// [`Service::shut_down`] has begun.
    pub fn warm_sentences(&self) -> Result<Warmed, ServiceError> {
        // Its own connection: the warm-up must not hold the store lock writers need.
        let mut store = crate::store::open(&self.data_dir)?;
        let stored = store.sentence_vectors()?;
        let mut warmed = Warmed {
            loaded: stored.len(),
            embedded: 0,
        };
        self.sentences.insert(stored);
        for kind in [Kind::Startup, Kind::Challenge] {
            let texts = self.collection(kind).texts();
            let mut seen = HashSet::new();
            let todo: Vec<(String, String)> = texts
                .iter()
                .flat_map(|t| explain::sentences(t))
                .map(|s| (SentenceCache::key(&self.embedder, kind, &s), s))
                .filter(|(k, _)| !self.sentences.contains(k) && seen.insert(k.clone()))
                .collect();
            for chunk in todo.chunks(64) {
                if self.stopping() {
                    return Ok(warmed);
                }
                let batch: Vec<&str> = chunk.iter().map(|(_, s)| s.as_str()).collect();
                let vectors = self.embedder.embed(&batch, role_for(kind))?;
                let items: Vec<(String, Vec<f32>)> =
                    chunk.iter().map(|(k, _)| k.clone()).zip(vectors).collect();
                store.put_sentence_vectors(&items)?;
                self.sentences.insert(items);
                warmed.embedded += chunk.len();
            }
        }
        tracing::info!(
            loaded = warmed.loaded,
            embedded = warmed.embedded,
            "sentence vectors for explanations ready"
        );
        Ok(warmed)
    }
}
