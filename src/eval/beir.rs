//! Reader for datasets in BEIR layout: `corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv`.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Qrels;
use crate::domain::read_jsonl;

#[derive(Debug, thiserror::Error)]
pub enum BeirError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(transparent)]
    Lines(#[from] crate::domain::RecordError),
}

#[derive(Debug, Clone, Deserialize)]
pub struct Document {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(default)]
    pub title: String,
    pub text: String,
}

impl Document {
    /// The text MTEB embeds: title and body joined by a space.
    pub fn full_text(&self) -> String {
        format!("{} {}", self.title, self.text).trim().to_string()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Query {
    #[serde(rename = "_id")]
    pub id: String,
    pub text: String,
}

/// A BEIR dataset restricted to the queries judged in one split.
#[derive(Debug, Clone)]
pub struct BeirDataset {
    pub corpus: Vec<Document>,
    pub queries: Vec<Query>,
    pub qrels: Qrels,
}

/// Reads qrels: BEIR's TSV (`query-id  corpus-id  score`, header line optional) or TREC's
/// `qid  iteration  docid  relevance`.
pub fn read_qrels_tsv(path: &Path) -> Result<Qrels, BeirError> {
    let text = fs::read_to_string(path).map_err(|source| BeirError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut qrels: Qrels = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() || (i == 0 && fields[0] == "query-id") {
            continue;
        }
        let err = |message: String| BeirError::Parse {
            path: path.to_path_buf(),
            line: i + 1,
            message,
        };
        let (q, d, score) = match fields[..] {
            [q, d, score] => (q, d, score),
            [q, _, d, score] => (q, d, score),
            _ => {
                return Err(err(format!(
                    "expected 3 (BEIR) or 4 (TREC) fields, found {}",
                    fields.len()
                )))
            }
        };
        let score: i32 = score
            .parse()
            .map_err(|_| err(format!("score `{score}` is not an integer")))?;
        qrels
            .entry(q.to_string())
            .or_default()
            .insert(d.to_string(), score);
    }
    Ok(qrels)
}

impl BeirDataset {
    pub fn load(dir: &Path, split: &str) -> Result<Self, BeirError> {
        let corpus: Vec<Document> = read_jsonl(&dir.join("corpus.jsonl"))?;
        let qrels = read_qrels_tsv(&dir.join("qrels").join(format!("{split}.tsv")))?;
        let mut queries: Vec<Query> = read_jsonl(&dir.join("queries.jsonl"))?;
        queries.retain(|q| qrels.contains_key(&q.id));
        Ok(BeirDataset {
            corpus,
            queries,
            qrels,
        })
    }
}
