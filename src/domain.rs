//! The things govmatch matches, as every front end speaks them.

use serde::{Deserialize, Serialize};

pub mod json;
pub mod quality;
mod record;
pub mod text;
pub use record::{text_hash, Record};
pub use text::Lines;

/// A startup's profile, as directories and the sample data describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
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

/// Which collection a record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[serde(alias = "startups")]
    Startup,
    #[serde(alias = "challenges")]
    Challenge,
}

impl Kind {
    /// The plural used in commands, URLs and file names.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Startup => "startups",
            Kind::Challenge => "challenges",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "startup" | "startups" => Ok(Kind::Startup),
            "challenge" | "challenges" => Ok(Kind::Challenge),
            other => Err(format!("`{other}` is not one of: startups, challenges")),
        }
    }
}

/// Fields of running text, where tabs and line breaks belong; every other text field is
/// one line.
pub const RUNNING_TEXT_FIELDS: &[&str] = &["one_liner", "description", "desired_outcome"];

/// How many lines a text field may have.
pub fn lines_of(field: &str) -> Lines {
    if RUNNING_TEXT_FIELDS.contains(&field) {
        Lines::Many
    } else {
        Lines::One
    }
}

/// Growth stages a startup can be in.
pub const STAGES: &[&str] = &[
    "idea", "pre-seed", "seed", "series-a", "series-b", "series-c", "growth", "public",
];
/// Longest text accepted in one field; longer is almost always a broken export.
pub const MAX_FIELD_CHARS: usize = 50_000;
pub use text::MAX_ID_CHARS;

/// A field that fails validation, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {problem}")]
pub struct FieldError {
    pub field: String,
    pub problem: String,
}

fn field_err(field: &str, problem: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_string(),
        problem: problem.into(),
    }
}

fn check_id(id: &str) -> Result<(), FieldError> {
    match text::id_problem(id) {
        Some(problem) => Err(field_err("id", problem)),
        None => Ok(()),
    }
}

/// A text field: not too long, and no control character that could steer a terminal or
/// break a file format (tab and line breaks allowed in running text).
fn check_text(field: &str, value: &str, lines: Lines) -> Result<(), FieldError> {
    let n = value.chars().count();
    if n > MAX_FIELD_CHARS {
        return Err(field_err(
            field,
            format!("is too long ({n} characters, at most {MAX_FIELD_CHARS})"),
        ));
    }
    if let Some(c) = text::forbidden_control(value, lines) {
        return Err(field_err(
            field,
            format!("contains the control character U+{:04X}", c as u32),
        ));
    }
    Ok(())
}

fn check_required(field: &str, value: &str) -> Result<(), FieldError> {
    if text::is_blank(value) {
        return Err(field_err(field, "is missing or empty"));
    }
    Ok(())
}

/// Lower-cases and trims facet values so filters match however the source spelled them.
fn normalize_facets(field: &str, values: &mut Vec<String>) -> Result<(), FieldError> {
    for v in values.iter_mut() {
        check_text(field, v, Lines::One)?;
        *v = v.trim().to_lowercase();
    }
    values.retain(|v| !text::is_blank(v));
    values.dedup();
    Ok(())
}

fn normalize_opt(field: &str, value: &mut Option<String>) -> Result<(), FieldError> {
    if let Some(v) = value {
        check_text(field, v, Lines::One)?;
        let t = v.trim().to_lowercase();
        *value = (!text::is_blank(&t)).then_some(t);
    }
    Ok(())
}

/// Which form a checked date field keeps.
#[derive(Clone, Copy, PartialEq)]
enum Keep {
    /// The calendar date (`deadline`: what filters compare).
    Date,
    /// The value as written, trimmed (`updated_at` is shown as its source gave it).
    Written,
}

/// Accepts `YYYY-MM-DD` or an RFC 3339 timestamp (each a real date and time) — the one date
/// rule of ingest, the API and filters ([`text::parse_date`]) — blank as absent.
fn check_date(field: &str, value: &mut Option<String>, keep: Keep) -> Result<(), FieldError> {
    let Some(v) = value.as_deref() else {
        return Ok(());
    };
    if text::is_blank(v) {
        *value = None;
        return Ok(());
    }
    let date = text::parse_date(v).map_err(|problem| field_err(field, problem))?;
    *value = Some(match keep {
        Keep::Date => date,
        Keep::Written => v.trim().to_string(),
    });
    Ok(())
}

impl Startup {
    /// Checks and normalises a record before it is stored.
    pub fn validate(&mut self) -> Result<(), FieldError> {
        check_id(&self.id)?;
        check_required("name", &self.name)?;
        for (f, v) in [
            ("name", &self.name),
            ("one_liner", &self.one_liner),
            ("description", &self.description),
        ] {
            check_text(f, v, lines_of(f))?;
        }
        if text::is_blank(&self.one_liner) && text::is_blank(&self.description) {
            return Err(field_err(
                "description",
                "is empty, and so is one_liner: nothing says what the startup does",
            ));
        }
        normalize_facets("sectors", &mut self.sectors)?;
        normalize_facets("technologies", &mut self.technologies)?;
        normalize_facets("languages", &mut self.languages)?;
        normalize_opt("stage", &mut self.stage)?;
        normalize_opt("region", &mut self.region)?;
        for (f, v) in [("country", &self.country), ("website", &self.website)] {
            if let Some(v) = v {
                check_text(f, v, Lines::One)?;
            }
        }
        check_date("updated_at", &mut self.updated_at, Keep::Written)?;
        if let Some(stage) = &self.stage {
            if !STAGES.contains(&stage.as_str()) {
                return Err(field_err(
                    "stage",
                    format!("`{stage}` is not one of: {}", STAGES.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

impl Challenge {
    /// Checks and normalises a record before it is stored. A challenge without a status is open.
    pub fn validate(&mut self) -> Result<(), FieldError> {
        check_id(&self.id)?;
        check_required("title", &self.title)?;
        for (f, v) in [
            ("title", &self.title),
            ("agency", &self.agency),
            ("description", &self.description),
            ("desired_outcome", &self.desired_outcome),
        ] {
            check_text(f, v, lines_of(f))?;
        }
        if let Some(v) = &self.agency_type {
            check_text("agency_type", v, Lines::One)?;
        }
        normalize_facets("tags", &mut self.tags)?;
        normalize_opt("region", &mut self.region)?;
        normalize_opt("language", &mut self.language)?;
        normalize_opt("status", &mut self.status)?;
        match self.status.as_deref() {
            None => self.status = Some("open".into()),
            Some("open" | "closed") => {}
            Some(other) => {
                return Err(field_err(
                    "status",
                    format!("`{other}` is not one of: open, closed"),
                ))
            }
        }
        check_date("deadline", &mut self.deadline, Keep::Date)?;
        check_date("updated_at", &mut self.updated_at, Keep::Written)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_field() {
        let mut c: Challenge = serde_json::from_str(r#"{"id":"c1","title":" "}"#).unwrap();
        assert_eq!(c.validate().unwrap_err().field, "title");
        let mut c: Challenge =
            serde_json::from_str(r#"{"id":"c1","title":"T","deadline":"2027-13-01"}"#).unwrap();
        assert_eq!(c.validate().unwrap_err().field, "deadline");
        let mut c: Challenge = serde_json::from_str(
            r#"{"id":"c1","title":"T","deadline":"2021-01-06T17:00:00-05:00","tags":[" Verkehr ",""]}"#,
        )
        .unwrap();
        c.validate().unwrap();
        assert_eq!(c.deadline.as_deref(), Some("2021-01-06"));
        assert_eq!(c.status.as_deref(), Some("open"));
        assert_eq!(c.tags, vec!["verkehr"]);
        let mut s: Startup =
            serde_json::from_str(r#"{"id":"s1","name":"A","description":"x","stage":"Series-A"}"#)
                .unwrap();
        s.validate().unwrap();
        assert_eq!(s.stage.as_deref(), Some("series-a"));
        s.stage = Some("unicorn".into());
        assert_eq!(s.validate().unwrap_err().field, "stage");
    }

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

/// Reads one JSON object per line (blank lines skipped, a leading byte-order mark allowed,
/// repeated keys refused, see [`json`]); the first bad line is an error.
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
            json::from_str(l).map_err(|e| RecordError::Invalid {
                path: path.to_path_buf(),
                line: i + 1,
                message: e.to_string(),
            })
        })
        .collect()
}

/// One suggestion: a record of the searched kind, where it ranks, and why it is there. What
/// every front end returns (API JSON, batch JSONL, explanations on the command line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Match {
    pub id: String,
    /// Startup name or challenge title.
    pub title: String,
    /// 1-based position in the list.
    pub rank: usize,
    /// One scale in every mode, [0, 1], higher is better, never rising along the list: dense
    /// — cosine similarity less half the record's hubness (plain cosine with hub reduction
    /// off); lexical — `bm25 / (bm25 + 10)`; hybrid — the fused reciprocal-rank score over
    /// its maximum (1 = first in both lists); with diversity — the value MMR picked it at. The
    /// parts are in `explanation.scores`.
    pub score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}

/// Why a record was suggested, in parts a machine can use and a summary a person can read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Explanation {
    /// One or two plain sentences for a non-technical reader.
    pub summary: String,
    pub scores: ScoreParts,
    /// Facets both sides share (sectors/tags, region, language).
    pub facets: Vec<FacetMatch>,
    /// The sentences of the suggested record closest in meaning to the query, best first.
    pub sentences: Vec<Evidence>,
    /// Words both texts use, rarest in the catalogue first.
    pub terms: Vec<String>,
    /// Why the record was flagged contentless at ingest; such records are listed only when
    /// low-quality records are asked for (`include_low_quality`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<String>,
}

/// The signals behind a score; absent parts did not contribute.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreParts {
    /// Cosine similarity of the two texts' vectors.
    pub dense: Option<f32>,
    /// Rank in the dense list (1-based), when the record was in it.
    pub dense_rank: Option<usize>,
    /// Under hub reduction: the rank plain similarity alone would give (1-based); the
    /// difference to `dense_rank` is how far hub reduction moved the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity_rank: Option<usize>,
    /// BM25 score, when the record was in the lexical list.
    pub lexical: Option<f32>,
    pub lexical_rank: Option<usize>,
    /// Reciprocal rank fusion score (hybrid mode).
    pub fused: Option<f32>,
    /// Under hub reduction: how close this record is to the other side *in general* (its mean
    /// similarity to its 10 nearest records there). Broad texts that fit everything score high.
    pub hubness: Option<f32>,
    /// Under hub reduction: `dense` minus half the `hubness`, what the dense ranking orders by.
    pub adjusted: Option<f32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FacetMatch {
    /// "sectors", "region" or "language".
    pub facet: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evidence {
    pub text: String,
    /// Cosine similarity of this sentence to the query.
    pub similarity: f32,
}

/// Where a shortlisted startup stands in the venture-client pipeline: proposed → contacted →
/// pilot → contract, or rejected (with a reason). The web app shows the German names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Proposed,
    Contacted,
    Pilot,
    Contract,
    Rejected,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Proposed,
        Stage::Contacted,
        Stage::Pilot,
        Stage::Contract,
        Stage::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Proposed => "proposed",
            Stage::Contacted => "contacted",
            Stage::Pilot => "pilot",
            Stage::Contract => "contract",
            Stage::Rejected => "rejected",
        }
    }

    /// The name the city's venture-client process uses.
    pub fn german(self) -> &'static str {
        match self {
            Stage::Proposed => "vorgeschlagen",
            Stage::Contacted => "kontaktiert",
            Stage::Pilot => "Pilot",
            Stage::Contract => "Vertrag",
            Stage::Rejected => "abgelehnt",
        }
    }
}

impl std::str::FromStr for Stage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stage::ALL
            .into_iter()
            .find(|st| st.as_str() == s || st.german().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!(
                    "`{s}` is not a stage; one of: {}",
                    Stage::ALL.map(Stage::as_str).join(", ")
                )
            })
    }
}

/// Longest shortlist note or rejection reason, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

/// One startup on a challenge's shortlist, as last changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShortlistEntry {
    pub challenge: String,
    pub startup: String,
    pub stage: Stage,
    /// Why it was rejected (required for `rejected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub note: String,
    /// Who made the last change (the signed-in key's label, or a name given).
    pub changed_by: String,
    /// RFC 3339, UTC.
    pub changed_at: String,
}

impl ShortlistEntry {
    /// Checks what a person typed, naming the field at fault.
    pub fn validate(&self) -> Result<(), FieldError> {
        for (field, value) in [
            ("note", Some(self.note.as_str())),
            ("reason", self.reason.as_deref()),
        ] {
            if value.is_some_and(|v| v.chars().count() > MAX_NOTE_CHARS) {
                return Err(field_err(
                    field,
                    format!("is longer than {MAX_NOTE_CHARS} characters"),
                ));
            }
        }
        for (field, value) in [
            ("note", Some(self.note.as_str())),
            ("reason", self.reason.as_deref()),
        ] {
            if let Some(c) = value.and_then(|v| text::forbidden_control(v, Lines::Many)) {
                return Err(field_err(
                    field,
                    format!("contains the control character U+{:04X}", c as u32),
                ));
            }
        }
        if self.stage == Stage::Rejected && self.reason.as_deref().is_none_or(text::is_blank) {
            return Err(field_err("reason", "is needed when a startup is rejected"));
        }
        Ok(())
    }
}
