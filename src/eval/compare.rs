//! Several ranking configurations on one dataset, side by side: each runs through the same
//! [`rank`](crate::rank::rank) the API serves, so the numbers describe the product, and each
//! row is tested against a baseline row for significance.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use super::run::{rank_queries, snapshot_of, Docs};
use super::{evaluate, mean, BeirDataset, JudgedSet, Metric, Qrels, Run};
use crate::domain::{Challenge, Startup};
use crate::embed::cache::embed_in_chunks;
use crate::embed::{CacheError, Embedder, Role, VectorCache};
use crate::index::{ExactIndex, Filter, HnswIndex, HnswParams, LiveIndex, Snapshot};
use crate::rank::{
    Hubness, LexicalError, LexicalIndex, Mode, RankError, RankOptions, DEFAULT_LEXICAL_WEIGHT,
};

/// Queries, documents and judgements, whatever file layout they came from.
pub struct Dataset {
    pub name: String,
    /// (id, text) of each query: the asking side.
    pub queries: Vec<(String, String)>,
    /// (id, text) of each document: the catalogue.
    pub docs: Vec<(String, String)>,
    pub qrels: Qrels,
    /// Language of each query, where known: a comparison also reports each language alone.
    pub languages: HashMap<String, String>,
}

impl Dataset {
    /// A BEIR split; documents are title + " " + text, as MTEB embeds them.
    pub fn from_beir(name: &str, data: &BeirDataset) -> Self {
        Dataset {
            name: name.to_string(),
            queries: data
                .queries
                .iter()
                .map(|q| (q.id.clone(), q.text.clone()))
                .collect(),
            docs: data
                .corpus
                .iter()
                .map(|d| (d.id.clone(), d.full_text()))
                .collect(),
            qrels: data.qrels.clone(),
            languages: HashMap::new(),
        }
    }

    /// Challenges ask, startups are searched: what the matcher does.
    pub fn from_sample(
        name: &str,
        challenges: &[Challenge],
        startups: &[Startup],
        qrels: Qrels,
    ) -> Self {
        Dataset {
            name: name.to_string(),
            queries: challenges
                .iter()
                .map(|c| (c.id.clone(), c.embed_text()))
                .collect(),
            docs: startups
                .iter()
                .map(|s| (s.id.clone(), s.embed_text()))
                .collect(),
            qrels,
            languages: challenges
                .iter()
                .filter_map(|c| Some((c.id.clone(), c.language.clone()?)))
                .collect(),
        }
    }

    /// A judged set of real records; languages as the set declares them.
    pub fn from_judged(set: &JudgedSet) -> Self {
        let mut data =
            Dataset::from_sample(&set.name, &set.challenges, &set.startups, set.qrels.clone());
        data.languages = set.languages.clone();
        data
    }

    /// The languages of the queries, sorted; empty when fewer than two are known.
    pub fn language_groups(&self) -> Vec<String> {
        let mut langs: Vec<String> = self.languages.values().cloned().collect();
        langs.sort();
        langs.dedup();
        if langs.len() < 2 {
            langs.clear();
        }
        langs
    }
}

/// How dense candidates are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Search {
    /// Every document compared: the reference.
    Exact,
    /// The HNSW graph searched with breadth `ef`.
    Hnsw { ef: usize },
}

impl std::fmt::Display for Search {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Search::Exact => f.write_str("exact"),
            Search::Hnsw { ef } => write!(f, "hnsw@{ef}"),
        }
    }
}

impl std::str::FromStr for Search {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('@') {
            None if s == "exact" => Ok(Search::Exact),
            None if s == "hnsw" => Ok(Search::Hnsw {
                ef: HnswParams::default().ef_search,
            }),
            Some(("hnsw", ef)) => match ef.parse() {
                Ok(ef) if ef > 0 => Ok(Search::Hnsw { ef }),
                _ => Err(format!("`{s}`: ef must be a positive whole number")),
            },
            _ => Err(format!("`{s}` is not one of: exact, hnsw, hnsw@EF")),
        }
    }
}

/// Which prompt the query side gets (models without prompts embed both alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QueryPrompt {
    /// "query: " for the asker, "passage: " for the catalogue: the model's intended use.
    Query,
    /// "passage: " on both sides: treats a long challenge as a document like the profiles.
    Passage,
}

impl QueryPrompt {
    fn role(self) -> Role {
        match self {
            QueryPrompt::Query => Role::Query,
            QueryPrompt::Passage => Role::Passage,
        }
    }
}

impl std::str::FromStr for QueryPrompt {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "query" => Ok(QueryPrompt::Query),
            "passage" => Ok(QueryPrompt::Passage),
            other => Err(format!("`{other}` is not one of: query, passage")),
        }
    }
}

/// One row of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    /// The model's name; `None` for lexical rows, which use no model.
    pub model: Option<String>,
    pub mode: Mode,
    pub search: Search,
    pub diversity: f32,
    pub query_prompt: QueryPrompt,
    /// Weight of the BM25 list in hybrid fusion (dense = 1).
    pub lexical_weight: f32,
    /// Dense and hybrid rows: subtract half of each document's hubness (CSLS: its mean
    /// similarity to its 10 nearest queries), as the served ranking does by default
    /// ([`crate::rank::hubness`]).
    pub hub_reduction: bool,
    /// Lexical and hybrid rows: German queries also ask BM25 for their words' English
    /// translations, as served by default.
    pub translate: bool,
}

impl Config {
    /// A short name for tables, plots and run-file tags.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if let Some(m) = &self.model {
            parts.push(m.clone());
        }
        parts.push(self.mode.to_string());
        if self.model.is_some() && self.mode != Mode::Lexical {
            parts.push(self.search.to_string());
            if self.query_prompt == QueryPrompt::Passage {
                parts.push("passage-prompt".into());
            }
        }
        if self.mode == Mode::Hybrid && self.lexical_weight != DEFAULT_LEXICAL_WEIGHT {
            parts.push(format!("lw{}", self.lexical_weight));
        }
        if self.diversity > 0.0 {
            parts.push(format!("mmr{}", self.diversity));
        }
        if self.hub_reduction {
            parts.push("csls".into());
        }
        if !self.translate && self.mode != Mode::Dense {
            parts.push("no-translation".into());
        }
        parts.join(" ")
    }
}

/// The values of each dimension a comparison crosses.
#[derive(Clone, Copy)]
pub struct Grid<'a> {
    pub models: &'a [String],
    pub modes: &'a [Mode],
    pub searches: &'a [Search],
    pub diversities: &'a [f32],
    pub prompts: &'a [QueryPrompt],
    pub lexical_weights: &'a [f32],
    /// Add a hub-reduced twin of every dense and hybrid row.
    pub hub_reduction: bool,
    /// German → English translation on and/or off in rows with a BM25 list.
    pub translations: &'a [bool],
}

/// Every combination asked for. Lexical rows use no model, search or prompt, so they appear
/// once per diversity, after the dense and hybrid rows; the first row is the first model's.
pub fn configurations(grid: &Grid) -> Vec<Config> {
    let Grid {
        models,
        modes,
        searches,
        diversities,
        prompts,
        lexical_weights,
        hub_reduction,
        translations,
    } = *grid;
    let mut out = Vec::new();
    // Translation only changes rows with a BM25 list.
    let served_translation = [true];
    let translations_of = |mode: Mode| -> &[bool] {
        if mode == Mode::Dense || translations.is_empty() {
            &served_translation
        } else {
            translations
        }
    };
    let default_weight = [DEFAULT_LEXICAL_WEIGHT];
    for model in models {
        for &mode in modes.iter().filter(|&&m| m != Mode::Lexical) {
            // The fusion weight only means something in hybrid rows.
            let weights: &[f32] = if mode == Mode::Hybrid && !lexical_weights.is_empty() {
                lexical_weights
            } else {
                &default_weight
            };
            for &lexical_weight in weights {
                for &query_prompt in prompts {
                    for &search in searches {
                        for &diversity in diversities {
                            for &translate in translations_of(mode) {
                                let config = Config {
                                    model: Some(model.clone()),
                                    mode,
                                    search,
                                    diversity,
                                    query_prompt,
                                    lexical_weight,
                                    hub_reduction: false,
                                    translate,
                                };
                                let twin = hub_reduction.then(|| Config {
                                    hub_reduction: true,
                                    ..config.clone()
                                });
                                out.push(config);
                                out.extend(twin);
                            }
                        }
                    }
                }
            }
        }
    }
    if modes.contains(&Mode::Lexical) {
        for &diversity in diversities {
            // Spreading a lexical list needs document vectors: take the first model's.
            let model = (diversity > 0.0).then(|| models.first().cloned()).flatten();
            if diversity > 0.0 && model.is_none() {
                continue;
            }
            for &translate in translations_of(Mode::Lexical) {
                out.push(Config {
                    model: model.clone(),
                    mode: Mode::Lexical,
                    search: Search::Exact,
                    diversity,
                    query_prompt: QueryPrompt::Query,
                    lexical_weight: DEFAULT_LEXICAL_WEIGHT,
                    hub_reduction: false,
                    translate,
                });
            }
        }
    }
    out
}

/// One model's side of the comparison: its vectors of the dataset and the index over them.
pub struct Prepared {
    pub embedder: Embedder,
    pub snapshot: Arc<Snapshot>,
    /// Query vectors by prompt side.
    queries: HashMap<Role, Vec<Vec<f32>>>,
    /// Seconds spent embedding (0 when everything came from the cache).
    pub embed_seconds: f64,
    /// Texts embedded now rather than read from the cache.
    pub embedded: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error(transparent)]
    Vectors(#[from] CacheError),
    #[error(transparent)]
    Rank(#[from] RankError),
    #[error(transparent)]
    Lexical(#[from] LexicalError),
    #[error("model `{0}` was not prepared")]
    Unprepared(String),
    #[error("baseline row {0} does not exist")]
    Baseline(usize),
}

impl Prepared {
    /// Embeds the documents (passage side) and the queries (each prompt side asked for),
    /// through `cache` when given, and builds the HNSW graph over the documents.
    pub fn new(
        embedder: Embedder,
        data: &Dataset,
        prompts: &[QueryPrompt],
        cache: Option<&VectorCache>,
        progress: &dyn Fn(usize),
    ) -> Result<Self, CompareError> {
        let start = Instant::now();
        let mut embedded = 0;
        let mut get = |texts: &[&str], role: Role, progress: &dyn Fn(usize)| {
            let (vectors, cached) = match cache {
                Some(cache) => cache.get_or_embed(&embedder, texts, role, progress)?,
                None => (
                    embed_in_chunks(&embedder, texts, role, progress).map_err(CacheError::from)?,
                    false,
                ),
            };
            if !cached {
                embedded += texts.len();
            }
            Ok::<_, CompareError>(vectors)
        };
        let doc_texts: Vec<&str> = data.docs.iter().map(|(_, t)| t.as_str()).collect();
        let docs = get(&doc_texts, Role::Passage, progress)?;
        let query_texts: Vec<&str> = data.queries.iter().map(|(_, t)| t.as_str()).collect();
        let mut queries = HashMap::new();
        for p in prompts {
            let role = p.role();
            if let std::collections::hash_map::Entry::Vacant(slot) = queries.entry(role) {
                slot.insert(get(&query_texts, role, &|_| {})?);
            }
        }
        let embed_seconds = if embedded > 0 {
            start.elapsed().as_secs_f64()
        } else {
            0.0
        };
        let snapshot = snapshot_of(embedder.dim(), &data.docs, docs);
        Ok(Prepared {
            embedder,
            snapshot,
            queries,
            embed_seconds,
            embedded,
        })
    }
}

/// One configuration's results.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub label: String,
    pub config: Config,
    /// Means, in the order of the comparison's metrics.
    pub means: Vec<f64>,
    /// Mean share of the exact top 10 that the HNSW search returns (HNSW rows only).
    pub index_recall_at_10: Option<f64>,
    /// Queries ranked per second (all cores; query vectors already computed).
    pub queries_per_s: f64,
    /// Two-sided p-value of the paired randomization test on the first metric against the
    /// baseline row (absent for the baseline itself).
    pub p_value: Option<f64>,
    /// Per query: id and the metric values.
    pub per_query: Vec<(String, Vec<f64>)>,
    /// Per query language, when the dataset knows them.
    pub by_language: Vec<LanguageRow>,
    #[serde(skip)]
    pub run: Run,
}

/// One row's results on the queries of one language.
#[derive(Debug, Clone, Serialize)]
pub struct LanguageRow {
    pub language: String,
    /// Queries evaluated (those with a relevant judgement).
    pub queries: usize,
    pub means: Vec<f64>,
    /// The paired test on these queries alone, against the baseline row.
    pub p_value: Option<f64>,
}

/// Runs every configuration and tests each against row `baseline` (0-based).
pub fn compare(
    data: &Dataset,
    configs: &[Config],
    prepared: &HashMap<String, Prepared>,
    metrics: &[Metric],
    baseline: usize,
    progress: &dyn Fn(usize),
) -> Result<Vec<Row>, CompareError> {
    if baseline >= configs.len() {
        return Err(CompareError::Baseline(baseline + 1));
    }
    let lexical = LexicalIndex::new()?;
    lexical.upsert_many(data.docs.iter().map(|(id, t)| (id.as_str(), t.as_str())))?;
    let depth = metrics.iter().map(|m| m.k()).max().unwrap_or(10).max(10);
    // Lexical rows without a model search an empty graph: rank() only reads it for vectors.
    let empty =
        LiveIndex::new(HnswIndex::build(1, HnswParams::default(), Vec::new()), 1).snapshot();
    let mut rows = Vec::with_capacity(configs.len());
    // Hubness depends only on the model and the query side: computed once for all its rows.
    let mut hubness_of: HashMap<(&str, Role), Arc<Hubness>> = HashMap::new();
    for (n, config) in configs.iter().enumerate() {
        let model = match &config.model {
            Some(name) => Some(
                prepared
                    .get(name)
                    .ok_or_else(|| CompareError::Unprepared(name.clone()))?,
            ),
            None => None,
        };
        let snapshot = model.map_or(&empty, |m| &m.snapshot);
        let query_vectors = model.and_then(|m| m.queries.get(&config.query_prompt.role()));
        let hubness = match (config.hub_reduction, &config.model, model, query_vectors) {
            (true, Some(name), Some(m), Some(q)) => Some(
                hubness_of
                    .entry((name.as_str(), config.query_prompt.role()))
                    .or_insert_with(|| {
                        let dim = q.first().map_or(0, Vec::len);
                        Arc::new(Hubness::of_snapshot(
                            &m.snapshot,
                            ExactIndex::from_vectors(dim, q),
                        ))
                    })
                    .clone(),
            ),
            _ => None,
        };
        let opts = RankOptions {
            k: depth,
            mode: config.mode,
            filter: Filter::default(),
            exact: config.search == Search::Exact,
            ef: match config.search {
                Search::Hnsw { ef } => Some(ef),
                Search::Exact => None,
            },
            min_score: None,
            diversity: config.diversity,
            like: Vec::new(),
            unlike: Vec::new(),
            explain: false,
            lexical_weight: config.lexical_weight,
            hub_reduction: config.hub_reduction,
            translate: config.translate,
        };
        let start = Instant::now();
        let docs = Docs {
            dense: snapshot,
            lexical: Some(&lexical),
            hubness: hubness.as_deref(),
        };
        let run = rank_queries(
            &docs,
            &data.queries,
            query_vectors.map(Vec::as_slice),
            model.map(|m| &m.embedder),
            &opts,
        )?;
        let secs = start.elapsed().as_secs_f64().max(1e-9);
        let evaluation = evaluate(&run, &data.qrels, metrics);
        let by_language = data
            .language_groups()
            .into_iter()
            .map(|lang| {
                let values: Vec<&Vec<f64>> = evaluation
                    .per_query
                    .iter()
                    .filter(|(q, _)| data.languages.get(q) == Some(&lang))
                    .map(|(_, v)| v)
                    .collect();
                let means = (0..metrics.len())
                    .map(|i| mean(&values.iter().map(|v| v[i]).collect::<Vec<_>>()))
                    .collect();
                LanguageRow {
                    language: lang,
                    queries: values.len(),
                    means,
                    p_value: None,
                }
            })
            .collect();
        let index_recall_at_10 = match (config.search, query_vectors) {
            (Search::Hnsw { ef }, Some(vectors)) if config.mode != Mode::Lexical => {
                Some(index_recall(snapshot, vectors, ef, 10))
            }
            _ => None,
        };
        rows.push(Row {
            label: config.label(),
            config: config.clone(),
            means: evaluation.means,
            index_recall_at_10,
            queries_per_s: data.queries.len() as f64 / secs,
            p_value: None,
            per_query: evaluation.per_query,
            by_language,
            run,
        });
        progress(n + 1);
    }
    let first = |row: &Row, lang: Option<&String>| -> Vec<f64> {
        row.per_query
            .iter()
            .filter(|(q, _)| lang.is_none_or(|l| data.languages.get(q) == Some(l)))
            .map(|(_, v)| v[0])
            .collect()
    };
    let base = rows[baseline].clone();
    for (n, row) in rows.iter_mut().enumerate() {
        if n != baseline {
            let (overall, by_language) = {
                let test = |lang| {
                    randomization_test(&first(&base, lang), &first(row, lang), 10_000, 20261123)
                };
                let by: Vec<f64> = row
                    .by_language
                    .iter()
                    .map(|l| test(Some(&l.language)))
                    .collect();
                (test(None), by)
            };
            row.p_value = Some(overall);
            for (l, p) in row.by_language.iter_mut().zip(by_language) {
                l.p_value = Some(p);
            }
        }
    }
    Ok(rows)
}

/// Mean share of the exact top `k` that the graph search at breadth `ef` finds.
fn index_recall(snapshot: &Snapshot, queries: &[Vec<f32>], ef: usize, k: usize) -> f64 {
    let none = Filter::default();
    let total: f64 = queries
        .par_iter()
        .map(|q| {
            let exact = snapshot.search(q, k, None, &none, true);
            let graph = snapshot.search(q, k, Some(ef), &none, false);
            let found = graph
                .iter()
                .filter(|g| exact.iter().any(|e| e.id == g.id))
                .count();
            found as f64 / exact.len().max(1) as f64
        })
        .sum();
    total / queries.len().max(1) as f64
}

/// Paired randomization (sign-flip) test of the mean difference between two systems' per-query
/// scores: how often randomly swapping each query's pair gives a difference at least as large.
/// Two-sided; `rounds` permutations from a fixed seed, so the p-value is reproducible.
pub fn randomization_test(a: &[f64], b: &[f64], rounds: usize, seed: u64) -> f64 {
    let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    if diffs.is_empty() {
        return 1.0;
    }
    let observed = diffs.iter().sum::<f64>().abs();
    let mut state = seed;
    let mut next = || {
        // splitmix64: small, fast, and the same on every platform.
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut at_least = 0usize;
    for _ in 0..rounds {
        let mut sum = 0.0;
        let mut bits = 0u64;
        for (i, d) in diffs.iter().enumerate() {
            if i % 64 == 0 {
                bits = next();
            }
            sum += if bits >> (i % 64) & 1 == 1 { *d } else { -*d };
        }
        // A tolerance so that ties with the observed value count, as they should.
        if sum.abs() >= observed - 1e-12 {
            at_least += 1;
        }
    }
    (at_least + 1) as f64 / (rounds + 1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn randomization_test_separates_real_from_noise() {
        // The same system: nothing to find.
        let a: Vec<f64> = (0..50).map(|i| (i % 7) as f64 / 7.0).collect();
        assert_eq!(randomization_test(&a, &a, 1000, 1), 1.0);
        // Better on every query: p at the resolution of the test.
        let b: Vec<f64> = a.iter().map(|x| x + 0.1).collect();
        assert!(randomization_test(&a, &b, 1000, 1) < 0.01);
        // Better on some, worse on as many: not significant.
        let c: Vec<f64> = a
            .iter()
            .enumerate()
            .map(|(i, x)| if i % 2 == 0 { x + 0.1 } else { x - 0.1 })
            .collect();
        assert!(randomization_test(&a, &c, 1000, 1) > 0.5);
    }

    #[test]
    fn search_and_configurations_parse_and_expand() {
        assert_eq!("exact".parse::<Search>(), Ok(Search::Exact));
        assert_eq!("hnsw@64".parse::<Search>(), Ok(Search::Hnsw { ef: 64 }));
        assert!("hnsw@0".parse::<Search>().is_err());
        assert!("flat".parse::<Search>().is_err());
        let configs = configurations(&Grid {
            models: &["a".into(), "b".into()],
            modes: &[Mode::Dense, Mode::Lexical, Mode::Hybrid],
            searches: &[Search::Exact, Search::Hnsw { ef: 32 }],
            diversities: &[0.0],
            prompts: &[QueryPrompt::Query],
            lexical_weights: &[1.0],
            hub_reduction: false,
            translations: &[true],
        });
        // 2 models × 2 model modes × 2 searches, and one lexical row.
        assert_eq!(configs.len(), 9);
        assert_eq!(configs[0].label(), "a dense exact");
        assert_eq!(configs[8].label(), "lexical");
    }
}
