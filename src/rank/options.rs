//! What a caller asks of the ranker: the options every front end fills in explicitly, their
//! defaults (the served behaviour), and what can go wrong.

use serde::{Deserialize, Serialize};

use super::LexicalError;
use crate::embed::EmbedError;
use crate::index::Filter;

/// How candidates are found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    #[serde(default = "yes")]
    pub hub_reduction: bool,
    /// Lexical and hybrid modes: a German query also asks for its words' English
    /// translations ([`super::Dictionary`]), so it reaches English profiles through BM25.
    #[serde(default = "yes")]
    pub translate: bool,
}

fn yes() -> bool {
    true
}

/// The hybrid fusion weight of the BM25 list (dense = 1), chosen on the Hamburg sample with
/// `govmatch eval compare --lexical-weight …` (docs/evaluation.md).
pub const DEFAULT_LEXICAL_WEIGHT: f32 = 1.0;

/// Longest free-text query, in characters: the same for the API, the pages and the command
/// line (a longer text is almost always a pasted document, not a need).
pub const MAX_QUERY_CHARS: usize = 20_000;

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
            translate: true,
        }
    }
}

impl RankOptions {
    /// Checks the values every front end can get wrong; names the field at fault.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(0.0..=1.0).contains(&self.diversity) {
            return Err(("diversity", "must be between 0 and 1".into()));
        }
        if self.min_score.is_some_and(|s| !s.is_finite()) {
            return Err(("min_score", "must be a finite number".into()));
        }
        if !(self.lexical_weight.is_finite() && self.lexical_weight >= 0.0) {
            return Err(("lexical_weight", "must be a finite number ≥ 0".into()));
        }
        if self.ef == Some(0) {
            return Err(("ef", "must be at least 1".into()));
        }
        self.filter.validate().map_err(|e| (e.field, e.problem))
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
    /// An option that cannot be right (see [`RankOptions::validate`]).
    #[error("{field} {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("embedding: {0}")]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Lexical(#[from] LexicalError),
    /// Lexical or hybrid mode asked of a catalogue that has no BM25 index.
    #[error("mode `{0}` needs a lexical index, and this catalogue has none")]
    NoLexicalIndex(Mode),
}
