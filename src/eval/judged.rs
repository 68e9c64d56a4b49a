//! A judged set of real records: challenge ids, their languages and graded judgements kept in
//! the repository, the texts read from data that may not be redistributed (the shared folder),
//! through the same field mappings `govmatch ingest` uses.
//!
//! Layout of a set folder: `set.toml` (where the startups and each challenge source are and
//! which mapping reads them), `challenges.tsv` (`challenge-id  language  source`) and
//! `qrels.tsv` (`query-id  corpus-id  score`; optional while the pool is being judged).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::beir::read_qrels_tsv;
use super::{BeirError, Qrels};
use crate::domain::{Challenge, Kind, Record, Startup};
use crate::ingest::{read_file, IngestError, Mapping};

#[derive(Debug, thiserror::Error)]
pub enum JudgedSetError {
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{path}: not found (the set reads its texts from the shared folder; set GOVMATCH_SHARED to where it is)")]
    Missing { path: PathBuf },
    #[error(transparent)]
    Read(#[from] IngestError),
    #[error(transparent)]
    Qrels(#[from] BeirError),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    name: String,
    startups: Source,
    challenge_mappings: BTreeMap<String, PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Source {
    file: PathBuf,
    mapping: PathBuf,
}

/// The records and judgements of a judged set.
pub struct JudgedSet {
    pub name: String,
    /// The judged challenges, in the order of `challenges.tsv`.
    pub challenges: Vec<Challenge>,
    pub startups: Vec<Startup>,
    /// Language (`de`, `en`) of each challenge: the rows a comparison reports separately.
    pub languages: HashMap<String, String>,
    /// Empty while the pool is still being judged.
    pub qrels: Qrels,
}

fn invalid(path: &Path, message: impl Into<String>) -> JudgedSetError {
    JudgedSetError::Invalid {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn existing(path: PathBuf) -> Result<PathBuf, JudgedSetError> {
    if path.exists() {
        Ok(path)
    } else {
        Err(JudgedSetError::Missing { path })
    }
}

fn records(kind: Kind, file: &Path, mapping: &Path) -> Result<Vec<Record>, JudgedSetError> {
    let mapping = Mapping::load(mapping).map_err(|m| invalid(mapping, m))?;
    let records = read_file(kind, &existing(file.to_path_buf())?, Some(&mapping))?.records;
    Ok(records)
}

impl JudgedSet {
    /// Reads the set in `dir`, its texts from `shared` (the folder holding `data/realworld`).
    pub fn load(dir: &Path, shared: &Path) -> Result<Self, JudgedSetError> {
        let manifest_path = dir.join("set.toml");
        let text = std::fs::read_to_string(existing(manifest_path.clone())?)
            .map_err(|e| invalid(&manifest_path, e.to_string()))?;
        let manifest: Manifest =
            toml::from_str(&text).map_err(|e| invalid(&manifest_path, e.to_string()))?;

        let list_path = existing(dir.join("challenges.tsv"))?;
        let list =
            std::fs::read_to_string(&list_path).map_err(|e| invalid(&list_path, e.to_string()))?;
        let mut wanted: Vec<(String, String, String)> = Vec::new();
        for (n, line) in list.lines().enumerate().skip(1) {
            let fields: Vec<&str> = line.split('\t').collect();
            match fields[..] {
                [id, language, source] => {
                    wanted.push((id.to_string(), language.to_string(), source.to_string()))
                }
                [""] => {}
                _ => {
                    return Err(invalid(
                        &list_path,
                        format!(
                            "line {}: expected `challenge-id<TAB>language<TAB>source`",
                            n + 1
                        ),
                    ))
                }
            }
        }

        let mut by_id: HashMap<String, Challenge> = HashMap::new();
        let sources: HashSet<&str> = wanted.iter().map(|(_, _, s)| s.as_str()).collect();
        for source in sources {
            let mapping = manifest.challenge_mappings.get(source).ok_or_else(|| {
                invalid(
                    &manifest_path,
                    format!("challenge_mappings: no mapping for source `{source}`"),
                )
            })?;
            let file = shared.join("data/realworld/challenges").join(source);
            for record in records(Kind::Challenge, &file, &dir.join(mapping))? {
                if let Record::Challenge(c) = record {
                    by_id.insert(c.id.clone(), c);
                }
            }
        }
        let mut challenges = Vec::with_capacity(wanted.len());
        let mut languages = HashMap::new();
        for (id, language, source) in wanted {
            let c = by_id.remove(&id).ok_or_else(|| {
                invalid(&list_path, format!("challenge `{id}` is not in {source}"))
            })?;
            languages.insert(id, language);
            challenges.push(c);
        }

        let startups = records(
            Kind::Startup,
            &shared.join(&manifest.startups.file),
            &dir.join(&manifest.startups.mapping),
        )?
        .into_iter()
        .filter_map(|r| match r {
            Record::Startup(s) => Some(s),
            Record::Challenge(_) => None,
        })
        .collect();

        let qrels_path = dir.join("qrels.tsv");
        let mut qrels = if qrels_path.exists() {
            read_qrels_tsv(&qrels_path)?
        } else {
            Qrels::new()
        };
        qrels.retain(|q, _| languages.contains_key(q));
        Ok(JudgedSet {
            name: manifest.name,
            challenges,
            startups,
            languages,
            qrels,
        })
    }
}

/// Where the shared data lives: `GOVMATCH_SHARED`, else `../shared` beside the working folder.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("GOVMATCH_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared"))
}
