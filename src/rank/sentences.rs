//! Sentence vectors for explanations, kept in memory so explaining a hot record costs no
//! model call (the server fills it at start from the store and a warm-up).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use super::explain;
use crate::domain::{text_hash, Kind};
use crate::embed::{role_for, EmbedError, Embedder};

/// Sentence vectors by sentence hash, so explaining the same record twice embeds nothing.
#[derive(Default)]
pub struct SentenceCache {
    vectors: Mutex<HashMap<String, Vec<f32>>>,
    /// Per record text: its sentences with their vectors, so a hot record costs no splitting
    /// and no key hashing per request (keyed by a hash of embedder key, kind and text).
    records: Mutex<HashMap<u64, Arc<RecordSentences>>>,
}

/// A record's sentences and their vectors, in text order.
pub type RecordSentences = Vec<(String, Vec<f32>)>;

/// Records whose sentences are kept split before that cache starts over.
const RECORD_CACHE_LIMIT: usize = 50_000;

/// Sentences kept before the cache starts over (about 300 MB of 384-d vectors; a catalogue of
/// 5,000 profiles has about 40,000).
const SENTENCE_CACHE_LIMIT: usize = 200_000;

impl SentenceCache {
    /// The cache key of one sentence embedded for a record of `kind`: stable across runs, so
    /// vectors can be kept on disk under it.
    pub fn key(embedder: &Embedder, kind: Kind, sentence: &str) -> String {
        text_hash(&format!("{}\u{0}{sentence}", embedder.key(role_for(kind))))
    }

    /// Adds vectors computed elsewhere (loaded from disk, or by a warm-up).
    pub fn insert(&self, items: impl IntoIterator<Item = (String, Vec<f32>)>) {
        let mut cache = self.vectors.lock().unwrap_or_else(|p| p.into_inner());
        for (k, v) in items {
            if cache.len() >= SENTENCE_CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(k, v);
        }
    }

    pub fn contains(&self, key: &str) -> bool {
        self.vectors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.vectors.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sentences of a record's `text` and their vectors (embedding those not cached).
    pub fn for_text(
        &self,
        embedder: &Embedder,
        kind: Kind,
        text: &str,
    ) -> Result<Arc<RecordSentences>, EmbedError> {
        let key = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            embedder.key(role_for(kind)).hash(&mut h);
            kind.hash(&mut h);
            text.hash(&mut h);
            h.finish()
        };
        let lock = || self.records.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(hit) = lock().get(&key) {
            return Ok(hit.clone());
        }
        let split = explain::sentences(text);
        let vectors = self.vectors(embedder, kind, &split)?;
        let items: Arc<RecordSentences> = Arc::new(
            split
                .into_iter()
                .zip(vectors)
                .filter(|(_, v)| !v.is_empty())
                .collect(),
        );
        let mut records = lock();
        if records.len() >= RECORD_CACHE_LIMIT {
            records.clear();
        }
        records.insert(key, items.clone());
        Ok(items)
    }

    fn vectors(
        &self,
        embedder: &Embedder,
        kind: Kind,
        sentences: &[String],
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let keys: Vec<String> = sentences
            .iter()
            .map(|s| Self::key(embedder, kind, s))
            .collect();
        let missing: Vec<(String, &str)> = {
            let cache = self.vectors.lock().unwrap_or_else(|p| p.into_inner());
            keys.iter()
                .zip(sentences)
                .filter(|(k, _)| !cache.contains_key(*k))
                .map(|(k, s)| (k.clone(), s.as_str()))
                .collect()
        };
        if !missing.is_empty() {
            let texts: Vec<&str> = missing.iter().map(|(_, s)| *s).collect();
            let fresh = embedder.embed(&texts, role_for(kind))?;
            self.insert(missing.into_iter().map(|(k, _)| k).zip(fresh));
        }
        let cache = self.vectors.lock().unwrap_or_else(|p| p.into_inner());
        Ok(keys
            .iter()
            .map(|k| cache.get(k).cloned().unwrap_or_default())
            .collect())
    }
}
