//! Rank stage: turns a query (a stored record or free text) into the list a person reads.
//! Every front end — API, `search`, `demo`, `batch`, `eval` — ranks through [`rank`] with
//! explicit [`RankOptions`], so the same options give the same list everywhere.
//!
//! One file per step: [`retrieve`] (dense and lexical candidate lists) → [`score`] (merge,
//! fuse, filter by score, order, diversify) → [`explain`] (reasons for each listed record).

pub mod dictionary;
pub mod explain;
pub mod fusion;
pub mod hubness;
pub mod lexical;
mod options;
pub mod request;
pub mod retrieve;
pub mod score;
mod sentences;

use std::collections::HashSet;

use crate::domain::{Kind, Match, Record};
use crate::embed::Embedder;
use crate::index::{Facets, Snapshot};

pub use dictionary::Dictionary;
pub use hubness::{Hubness, LiveHubness};
pub use lexical::{LexicalError, LexicalHit, LexicalIndex};
pub use options::{Mode, RankError, RankOptions, DEFAULT_LEXICAL_WEIGHT, MAX_QUERY_CHARS};
pub use request::{OptionError, Ranking, MAX_K};
pub use sentences::{RecordSentences, SentenceCache};

/// The collection being searched.
pub struct Catalog<'a> {
    pub kind: Kind,
    pub dense: &'a Snapshot,
    /// BM25 over the records' texts; lexical and hybrid modes need it.
    pub lexical: Option<&'a LexicalIndex>,
    /// Looks a record of this collection up by id (titles, texts, facets).
    pub record: &'a dyn Fn(&str) -> Option<Record>,
    /// Each record's hubness against the asking side; without it no hub reduction.
    pub hubness: Option<&'a Hubness>,
}

/// What is asked: the text, its vector (query side), and its facets and language when it is
/// a record.
pub struct Query<'a> {
    pub text: &'a str,
    pub vector: Option<Vec<f32>>,
    pub facets: Option<Facets>,
    /// The asking record's declared language (`de`, `en`); free text is recognised instead.
    pub language: Option<String>,
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
    opts.validate()
        .map_err(|(field, problem)| RankError::Invalid { field, problem })?;
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
    let pool = retrieve::pool_size(opts) + excluded.len();
    let hubness = catalog
        .hubness
        .filter(|_| opts.hub_reduction && opts.mode != Mode::Lexical);

    let dense = retrieve::dense(catalog, vector.as_deref(), opts, hubness, &excluded, pool);
    let lexical = retrieve::lexical(catalog, query.text, opts, &excluded, pool)?;
    let candidates = score::merge(catalog, vector.as_deref(), hubness, &dense, &lexical, opts);
    let chosen = score::choose(&candidates, opts);

    let query_terms = match (opts.explain, catalog.lexical) {
        (true, Some(lexical)) => Some(lexical.query_terms(query.text)),
        _ => None,
    };
    // Listing startups, the query is the challenge: its language, once for the whole list.
    let query_lang = match (opts.explain, catalog.kind) {
        (true, Kind::Startup) => {
            explain::language(query.language.as_deref(), query.text, catalog.lexical)
        }
        _ => explain::Lang::En,
    };
    let mut matches = Vec::with_capacity(chosen.len());
    for (n, (i, score)) in chosen.into_iter().enumerate() {
        let c = &candidates[i];
        let record = (catalog.record)(&c.id);
        let title = match &record {
            Some(Record::Startup(s)) => s.name.clone(),
            Some(Record::Challenge(ch)) => ch.title.clone(),
            None => String::new(),
        };
        let explanation = if opts.explain {
            Some(explain::explain_match(
                embedder,
                sentences,
                catalog,
                (query, query_terms.as_ref(), query_lang),
                vector.as_deref(),
                c,
                record.as_ref(),
            )?)
        } else {
            None
        };
        matches.push(Match {
            id: c.id.clone(),
            title,
            rank: n + 1,
            score,
            explanation,
        });
    }
    Ok(matches)
}
