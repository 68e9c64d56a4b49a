//! Rank stage: turns a query (a stored record or free text) into the list a person reads —
//! dense, lexical or hybrid retrieval, filters, minimum score, diversity, steering by
//! examples, and an explanation for every match. Every front end ranks through here.

pub mod explain;
pub mod fusion;
pub mod hubness;
pub mod lexical;

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::domain::{Evidence, Explanation, Kind, Match, ScoreParts};
use crate::embed::{role_for, EmbedError, Embedder};
use crate::index::{dot, Facets, Filter, Snapshot};
use crate::ingest::{text_hash, Record};

pub use hubness::{Hubness, LiveHubness};
pub use lexical::{LexicalError, LexicalHit, LexicalIndex};

/// How candidates are found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Nearest vectors: finds what is meant, across languages.
    #[default]
    Dense,
    /// BM25: finds the exact words (names, acronyms, places).
    Lexical,
    /// Both, fused by reciprocal rank.
    Hybrid,
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "dense" => Ok(Mode::Dense),
            "lexical" => Ok(Mode::Lexical),
            "hybrid" => Ok(Mode::Hybrid),
            other => Err(format!("`{other}` is not one of: dense, lexical, hybrid")),
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Dense => "dense",
            Mode::Lexical => "lexical",
            Mode::Hybrid => "hybrid",
        })
    }
}

/// What the asker wants back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankOptions {
    pub k: usize,
    pub mode: Mode,
    pub filter: Filter,
    /// Skip the graph and compare with every record.
    pub exact: bool,
    /// HNSW search breadth (the index default when absent).
    pub ef: Option<usize>,
    /// Drop matches below this: cosine similarity in dense and hybrid mode, BM25 in lexical.
    pub min_score: Option<f32>,
    /// 0 = pure relevance order; up to 1 = spread the list over different kinds of records (MMR).
    pub diversity: f32,
    /// Ids of records (of the searched kind) the asker found good: the query moves towards them.
    pub like: Vec<String>,
    /// Ids the asker found unsuitable: the query moves away from them.
    pub unlike: Vec<String>,
    /// Build explanations (sentence evidence costs one embedding per unseen sentence).
    pub explain: bool,
    /// Hybrid mode: how much the BM25 list counts in the fusion, the dense list counting 1.
    pub lexical_weight: f32,
    /// Demote records close to everything (see [`hubness`]) when the catalogue carries their
    /// hubness; dense and hybrid modes.
    #[serde(default = "hub_reduction_default")]
    pub hub_reduction: bool,
}

fn hub_reduction_default() -> bool {
    true
}

/// The hybrid fusion weight of the BM25 list (dense = 1), chosen on the Hamburg sample with
/// `govmatch eval compare --lexical-weight …` (README, "Ranking quality").
pub const DEFAULT_LEXICAL_WEIGHT: f32 = 1.0;

impl Default for RankOptions {
    fn default() -> Self {
        RankOptions {
            k: 10,
            mode: Mode::default(),
            filter: Filter::default(),
            exact: false,
            ef: None,
            min_score: None,
            diversity: 0.0,
            like: Vec::new(),
            unlike: Vec::new(),
            explain: true,
            lexical_weight: DEFAULT_LEXICAL_WEIGHT,
            hub_reduction: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RankError {
    /// A `like`/`unlike` id that is not in the searched collection.
    #[error("no {kind} with id `{id}`")]
    UnknownExample {
        field: &'static str,
        kind: &'static str,
        id: String,
    },
    #[error("{0} must be between 0 and 1")]
    OutOfRange(&'static str),
    #[error("embedding: {0}")]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Lexical(#[from] LexicalError),
}

/// The collection being searched.
pub struct Catalog<'a> {
    pub kind: Kind,
    pub dense: &'a Snapshot,
    pub lexical: &'a LexicalIndex,
    /// Looks a record of this collection up by id (titles, texts, facets).
    pub record: &'a dyn Fn(&str) -> Option<Record>,
    /// Each record's hubness against the asking side; without it no hub reduction.
    pub hubness: Option<&'a Hubness>,
}

/// What is asked: the text, its vector (query side), and its facets when it is a record.
pub struct Query<'a> {
    pub text: &'a str,
    pub vector: Option<Vec<f32>>,
    pub facets: Option<Facets>,
}

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

/// Candidates fetched per list before fusion and diversity pick the final `k`.
fn pool_size(opts: &RankOptions) -> usize {
    let k = opts.k.max(1);
    match (opts.mode, opts.diversity > 0.0) {
        (Mode::Dense, false) => k,
        (Mode::Dense, true) => (k * 4).max(50),
        _ => (k * 4).max(100),
    }
}

struct Candidate {
    id: String,
    parts: ScoreParts,
    vector: Option<Vec<f32>>,
    facets: Option<Facets>,
}

/// Ranks `catalog` for `query`. `embedder` is needed for sentence evidence only (without
/// one, explanations carry no sentences).
pub fn rank(
    embedder: Option<&Embedder>,
    sentences: &SentenceCache,
    query: &Query,
    catalog: &Catalog,
    opts: &RankOptions,
) -> Result<Vec<Match>, RankError> {
    if !(0.0..=1.0).contains(&opts.diversity) {
        return Err(RankError::OutOfRange("diversity"));
    }
    let examples = |ids: &[String], field: &'static str| -> Result<Vec<Vec<f32>>, RankError> {
        ids.iter()
            .map(|id| {
                catalog
                    .dense
                    .get(id)
                    .map(|(_, v)| v)
                    .ok_or_else(|| RankError::UnknownExample {
                        field,
                        kind: catalog.kind.plural(),
                        id: id.clone(),
                    })
            })
            .collect()
    };
    let like = examples(&opts.like, "like")?;
    let unlike = examples(&opts.unlike, "unlike")?;
    let vector = if like.is_empty() && unlike.is_empty() {
        query.vector.clone().map(|mut v| {
            crate::embed::normalize(&mut v);
            v
        })
    } else {
        fusion::steer(query.vector.as_deref(), &like, &unlike)
    };
    let excluded: HashSet<&str> = opts
        .like
        .iter()
        .chain(&opts.unlike)
        .map(String::as_str)
        .collect();
    let pool = pool_size(opts) + excluded.len();
    let hubness = catalog
        .hubness
        .filter(|_| opts.hub_reduction && opts.mode != Mode::Lexical);

    // Dense and lexical lists, each already filtered. The dense list holds (id, similarity,
    // hubness under hub reduction), in ranking order.
    let dense: Vec<(String, f32, Option<f32>)> = match (&vector, opts.mode) {
        (Some(v), Mode::Dense | Mode::Hybrid) => {
            let depth = hubness::depth(pool, hubness.is_some());
            let hits: Vec<(String, f32)> = catalog
                .dense
                .search(v, depth, opts.ef, &opts.filter, opts.exact)
                .into_iter()
                .map(|s| (s.id, s.score))
                .filter(|(id, _)| !excluded.contains(id.as_str()))
                .collect();
            match hubness {
                Some(h) => h
                    .rerank(hits, pool, |id| catalog.dense.get(id).map(|(_, v)| v))
                    .into_iter()
                    .map(|(id, s, hub)| (id, s, Some(hub)))
                    .collect(),
                None => hits.into_iter().map(|(id, s)| (id, s, None)).collect(),
            }
        }
        _ => Vec::new(),
    };
    let lexical: Vec<(String, f32)> = if matches!(opts.mode, Mode::Lexical | Mode::Hybrid) {
        // BM25 cannot filter inside its search here: fetch more, keep those that pass.
        let want = if opts.filter.is_empty() {
            pool
        } else {
            pool * 5
        };
        catalog
            .lexical
            .search(query.text, want)?
            .into_iter()
            .filter(|h| !excluded.contains(h.id.as_str()))
            // Without a filter there is nothing to check here; the facets and vectors of the
            // candidates that stay are looked up once, below.
            .filter(|h| {
                opts.filter.is_empty()
                    || catalog
                        .dense
                        .get(&h.id)
                        .is_some_and(|(e, _)| opts.filter.matches(&e.facets))
            })
            .take(pool)
            .map(|h| (h.id, h.score))
            .collect()
    } else {
        Vec::new()
    };

    let mut candidates: Vec<Candidate> = Vec::new();
    let mut position: HashMap<String, usize> = HashMap::new();
    let mut slot = |id: &str, candidates: &mut Vec<Candidate>| -> usize {
        *position.entry(id.to_string()).or_insert_with(|| {
            candidates.push(Candidate {
                id: id.to_string(),
                parts: ScoreParts::default(),
                vector: None,
                facets: None,
            });
            candidates.len() - 1
        })
    };
    for (rank, (id, score, hub)) in dense.iter().enumerate() {
        let i = slot(id, &mut candidates);
        candidates[i].parts.dense = Some(*score);
        candidates[i].parts.dense_rank = Some(rank + 1);
        candidates[i].parts.hubness = *hub;
    }
    for (rank, (id, score)) in lexical.iter().enumerate() {
        let i = slot(id, &mut candidates);
        candidates[i].parts.lexical = Some(*score);
        candidates[i].parts.lexical_rank = Some(rank + 1);
    }
    for c in &mut candidates {
        if let Some((entry, v)) = catalog.dense.get(&c.id) {
            if c.parts.dense.is_none() {
                c.parts.dense = vector.as_ref().map(|q| dot(q, &v));
            }
            if let Some(h) = hubness {
                // Records only in the lexical list were not measured with the dense list.
                let hub = *c
                    .parts
                    .hubness
                    .get_or_insert_with(|| h.get(&c.id, || Some(v.clone())));
                c.parts.adjusted = c.parts.dense.map(|d| d - hubness::WEIGHT * hub);
            }
            c.vector = Some(v);
            c.facets = Some(entry.facets);
        }
    }
    let score_of = |c: &Candidate| -> f32 {
        match opts.mode {
            Mode::Dense => c
                .parts
                .adjusted
                .or(c.parts.dense)
                .unwrap_or(f32::NEG_INFINITY),
            Mode::Lexical => c.parts.lexical.unwrap_or(0.0),
            Mode::Hybrid => c.parts.fused.unwrap_or(0.0),
        }
    };
    if opts.mode == Mode::Hybrid {
        let dense_ids: Vec<String> = dense.iter().map(|(id, _, _)| id.clone()).collect();
        let lexical_ids: Vec<String> = lexical.iter().map(|(id, _)| id.clone()).collect();
        let fused = fusion::rrf(&[(&dense_ids, 1.0), (&lexical_ids, opts.lexical_weight)]);
        for (id, f) in fused {
            if let Some(&i) = position.get(&id) {
                candidates[i].parts.fused = Some(f);
            }
        }
    }
    if let Some(min) = opts.min_score {
        candidates.retain(|c| match opts.mode {
            Mode::Lexical => c.parts.lexical.is_some_and(|s| s >= min),
            _ => c.parts.dense.is_some_and(|s| s >= min),
        });
    }
    candidates.sort_by(|a, b| {
        score_of(b)
            .total_cmp(&score_of(a))
            .then_with(|| a.id.cmp(&b.id))
    });

    let chosen: Vec<usize> = if opts.diversity > 0.0 {
        // Relevance on a 0..1 scale relative to the best candidate, whatever the mode's score.
        let top = candidates.first().map_or(1.0, score_of);
        let floor = candidates.last().map_or(0.0, score_of);
        let span = (top - floor).max(1e-6);
        let empty: Vec<f32> = Vec::new();
        let items: Vec<(f32, &[f32])> = candidates
            .iter()
            .map(|c| {
                (
                    (score_of(c) - floor) / span,
                    c.vector.as_deref().unwrap_or(&empty),
                )
            })
            .collect();
        fusion::mmr(&items, opts.k, opts.diversity)
    } else {
        (0..candidates.len().min(opts.k)).collect()
    };

    let query_terms = opts
        .explain
        .then(|| catalog.lexical.query_terms(query.text));
    let mut matches = Vec::with_capacity(chosen.len());
    for (n, i) in chosen.into_iter().enumerate() {
        let c = &candidates[i];
        let record = (catalog.record)(&c.id);
        let title = match &record {
            Some(Record::Startup(s)) => s.name.clone(),
            Some(Record::Challenge(ch)) => ch.title.clone(),
            None => String::new(),
        };
        let explanation = match &query_terms {
            Some(terms) => Some(explain_one(
                embedder,
                sentences,
                catalog,
                (query, terms),
                vector.as_deref(),
                c,
                record.as_ref(),
            )?),
            None => None,
        };
        matches.push(Match {
            id: c.id.clone(),
            title,
            rank: n + 1,
            score: score_of(c),
            explanation,
        });
    }
    Ok(matches)
}

fn explain_one(
    embedder: Option<&Embedder>,
    sentences: &SentenceCache,
    catalog: &Catalog,
    (query, query_terms): (&Query, &lexical::QueryTerms),
    vector: Option<&[f32]>,
    c: &Candidate,
    record: Option<&Record>,
) -> Result<Explanation, RankError> {
    let facets = match (&query.facets, &c.facets) {
        (Some(a), Some(b)) => explain::shared_facets(a, b),
        _ => Vec::new(),
    };
    let text = record.map(Record::embed_text).unwrap_or_default();
    let mut evidence = Vec::new();
    if let (Some(q), Some(embedder)) = (vector, embedder) {
        let items = sentences.for_text(embedder, catalog.kind, &text)?;
        let mut scored: Vec<(f32, usize)> = items
            .iter()
            .enumerate()
            .map(|(i, (_, v))| (dot(q, v), i))
            .collect();
        // Best first; equal similarities keep text order.
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        evidence = scored
            .into_iter()
            .take(3)
            .map(|(similarity, i)| Evidence {
                similarity,
                text: items[i].0.clone(),
            })
            .collect();
    }
    let terms = catalog.lexical.shared_terms(query_terms, &text, 6);
    Ok(Explanation {
        summary: explain::summary(
            &c.parts,
            &facets,
            &evidence,
            &terms,
            c.parts
                .hubness
                .zip(catalog.hubness)
                .is_some_and(|(h, hubness)| hubness.is_broad(h))
                .then_some(match catalog.kind {
                    Kind::Startup => "challenges",
                    Kind::Challenge => "startups",
                }),
        ),
        scores: c.parts.clone(),
        facets,
        sentences: evidence,
        terms,
    })
}
