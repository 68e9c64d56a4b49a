//! The things govmatch matches, as every front end speaks them.

use serde::{Deserialize, Serialize};

/// A startup's profile, as directories and the sample data describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Startup {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub one_liner: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub sectors: Vec<String>,
    #[serde(default)]
    pub technologies: Vec<String>,
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// A problem statement written by an agency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Challenge {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub agency: String,
    #[serde(default)]
    pub agency_type: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub desired_outcome: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub deadline: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

fn join_nonempty(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(". ")
}

impl Startup {
    /// The text embedded for a startup: name, one-liner and description. Sector tags are left
    /// out: they are matched as facets, and bare tag lists blur the profile's own words.
    pub fn embed_text(&self) -> String {
        join_nonempty(&[&self.name, &self.one_liner, &self.description])
    }
}

impl Challenge {
    /// The text embedded for a challenge: title, problem description and desired outcome.
    pub fn embed_text(&self) -> String {
        join_nonempty(&[&self.title, &self.description, &self.desired_outcome])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embed_text_skips_empty_fields() {
        let s: Startup =
            serde_json::from_str(r#"{"id":"s1","name":"Acme","description":"Sensors."}"#).unwrap();
        assert_eq!(s.embed_text(), "Acme. Sensors.");
    }
}

/// A record that could not be read, with where and why.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: std::path::PathBuf,
        line: usize,
        message: String,
    },
}

/// Reads one JSON object per line (blank lines skipped); the first bad line is an error.
pub fn read_jsonl<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
) -> Result<Vec<T>, RecordError> {
    let text = std::fs::read_to_string(path).map_err(|source| RecordError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| RecordError::Invalid {
                path: path.to_path_buf(),
                line: i + 1,
                message: e.to_string(),
            })
        })
        .collect()
}
