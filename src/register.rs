//! An algorithm-register entry for govmatch, in the fields of the UK Algorithmic
//! Transparency Recording Standard (ATRS v3.0: Tier 1 and the six Tier 2 sections, numbered as
//! the standard numbers them).
//!
//! Two sources, kept apart: what govmatch knows about itself (how it works, the model and its
//! hash, record counts, quality flags, the latest evaluation and exposure figures) is
//! measured or read at export; what only the operator knows (owner, contact, phase,
//! training, appeals, data agreements) comes from a small TOML file, and a missing answer is
//! an error naming the field — none is invented.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("{path}: {problem}")]
    Config { path: PathBuf, problem: String },
    /// A field the standard requires and only the operator can fill in.
    #[error("{path}: field `{field}` is missing or empty (ATRS {reference}: {what})")]
    Missing {
        path: PathBuf,
        field: &'static str,
        reference: &'static str,
        what: &'static str,
    },
    /// The `evaluation` file (an `eval compare --json` result) cannot be used.
    #[error("{path}: field `evaluation`: {problem}")]
    Evaluation { path: PathBuf, problem: String },
}

/// One data source the operator feeds in (ATRS 2.5).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DataSource {
    pub name: String,
    /// `startups` or `challenges`: which collection it fills (its records are counted).
    pub kind: String,
    pub description: String,
    #[serde(default)]
    pub url: Option<String>,
    /// How the data was collected and under which terms.
    pub collection: String,
}

/// An impact assessment done for the tool (ATRS 2.6.1); optional.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImpactAssessment {
    pub name: String,
    pub date: String,
    pub description: String,
    #[serde(default)]
    pub link: Option<String>,
}

/// What only the operator can say, read from the register config (`register.toml`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorConfig {
    pub name: Option<String>,
    pub website: Option<String>,
    pub contact_email: Option<String>,
    pub organisation: Option<String>,
    pub team: Option<String>,
    pub senior_responsible_owner: Option<String>,
    pub external_supplier: Option<String>,
    pub phase: Option<String>,
    pub scope: Option<String>,
    pub benefit: Option<String>,
    pub previous_process: Option<String>,
    pub alternatives_considered: Option<String>,
    pub frequency_and_scale: Option<String>,
    pub required_training: Option<String>,
    pub appeals_and_review: Option<String>,
    pub maintenance: Option<String>,
    pub data_access_and_storage: Option<String>,
    /// The latest `govmatch eval compare --json` result, relative to this file.
    pub evaluation: Option<PathBuf>,
    #[serde(default)]
    pub data_sources: Vec<DataSource>,
    #[serde(default)]
    pub impact_assessments: Vec<ImpactAssessment>,
    #[serde(skip)]
    path: PathBuf,
}

/// The phases ATRS 2.4.1.2 knows.
pub const PHASES: &[&str] = &["pre-deployment", "beta", "production", "retired"];

/// Operator fields the standard requires: name, ATRS reference, what it asks.
const REQUIRED: &[(&str, &str, &str)] = &[
    ("name", "1.1", "the tool's name as the public knows it"),
    (
        "contact_email",
        "1.4",
        "where the public can ask about the tool",
    ),
    (
        "organisation",
        "2.1.1",
        "the body responsible for using the tool",
    ),
    ("team", "2.1.2", "the team responsible for the tool"),
    (
        "senior_responsible_owner",
        "2.1.3",
        "the role title of the senior responsible owner",
    ),
    (
        "external_supplier",
        "2.1.4",
        "whether an external supplier is involved, and who",
    ),
    (
        "phase",
        "2.4.1.2",
        "one of pre-deployment, beta, production, retired",
    ),
    ("scope", "2.2.2", "what the tool is and is not used for"),
    ("benefit", "2.2.3", "what the tool is expected to achieve"),
    ("previous_process", "2.2.4", "how the work was done before"),
    (
        "alternatives_considered",
        "2.2.5",
        "what else was considered",
    ),
    (
        "frequency_and_scale",
        "2.3.3",
        "how often and on how many cases the tool is used",
    ),
    (
        "required_training",
        "2.3.5",
        "training the staff using it receive",
    ),
    (
        "appeals_and_review",
        "2.3.6",
        "how a startup can contest a result",
    ),
    (
        "maintenance",
        "2.4.1.3",
        "how the tool and its model are maintained",
    ),
    (
        "data_access_and_storage",
        "2.5.11",
        "who can access the data, where it is stored, for how long",
    ),
    (
        "evaluation",
        "2.4.1.4",
        "the latest `govmatch eval compare --json` result file",
    ),
    (
        "data_sources",
        "2.5.1",
        "at least one [[data_sources]] table",
    ),
];

impl OperatorConfig {
    /// Reads and checks the config: malformed TOML and unknown fields are errors naming the
    /// line and field; every required field must be there.
    pub fn load(path: &Path) -> Result<Self, RegisterError> {
        let text = std::fs::read_to_string(path).map_err(|e| RegisterError::Config {
            path: path.to_path_buf(),
            problem: e.to_string(),
        })?;
        let mut config: OperatorConfig =
            toml::from_str(&text).map_err(|e| RegisterError::Config {
                path: path.to_path_buf(),
                problem: e.to_string().trim().replace('\n', " "),
            })?;
        config.path = path.to_path_buf();
        config.check()?;
        Ok(config)
    }

    fn get(&self, field: &str) -> bool {
        let text = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        match field {
            "name" => text(&self.name),
            "contact_email" => text(&self.contact_email),
            "organisation" => text(&self.organisation),
            "team" => text(&self.team),
            "senior_responsible_owner" => text(&self.senior_responsible_owner),
            "external_supplier" => text(&self.external_supplier),
            "phase" => text(&self.phase),
            "scope" => text(&self.scope),
            "benefit" => text(&self.benefit),
            "previous_process" => text(&self.previous_process),
            "alternatives_considered" => text(&self.alternatives_considered),
            "frequency_and_scale" => text(&self.frequency_and_scale),
            "required_training" => text(&self.required_training),
            "appeals_and_review" => text(&self.appeals_and_review),
            "maintenance" => text(&self.maintenance),
            "data_access_and_storage" => text(&self.data_access_and_storage),
            "evaluation" => self.evaluation.is_some(),
            "data_sources" => !self.data_sources.is_empty(),
            _ => false,
        }
    }

    fn check(&self) -> Result<(), RegisterError> {
        for &(field, reference, what) in REQUIRED {
            if !self.get(field) {
                return Err(RegisterError::Missing {
                    path: self.path.clone(),
                    field,
                    reference,
                    what,
                });
            }
        }
        let invalid = |problem: String| RegisterError::Config {
            path: self.path.clone(),
            problem,
        };
        if let Some(phase) = &self.phase {
            if !PHASES.contains(&phase.as_str()) {
                return Err(invalid(format!(
                    "field `phase`: `{phase}` is not one of {}",
                    PHASES.join(", ")
                )));
            }
        }
        if self
            .contact_email
            .as_deref()
            .is_some_and(|e| !e.contains('@'))
        {
            return Err(invalid(
                "field `contact_email`: not an e-mail address".into(),
            ));
        }
        for (i, s) in self.data_sources.iter().enumerate() {
            for (field, value) in [
                ("name", &s.name),
                ("description", &s.description),
                ("collection", &s.collection),
            ] {
                if value.trim().is_empty() {
                    return Err(invalid(format!(
                        "field `data_sources[{i}].{field}` is empty (ATRS 2.5)"
                    )));
                }
            }
            if !matches!(s.kind.as_str(), "startups" | "challenges") {
                return Err(invalid(format!(
                    "field `data_sources[{i}].kind`: `{}` is not startups or challenges",
                    s.kind
                )));
            }
        }
        Ok(())
    }

    /// The evaluation file's path, relative to the config file.
    pub fn evaluation_path(&self) -> PathBuf {
        let p = self.evaluation.clone().unwrap_or_default();
        if p.is_absolute() {
            p
        } else {
            self.path.parent().unwrap_or(Path::new(".")).join(p)
        }
    }

    /// Reads the latest evaluation the config points to.
    pub fn evaluation(&self) -> Result<Evaluation, RegisterError> {
        let path = self.evaluation_path();
        let problem = |problem: String| RegisterError::Evaluation {
            path: self.path.clone(),
            problem: format!("{}: {problem}", path.display()),
        };
        let text = std::fs::read_to_string(&path).map_err(|e| problem(e.to_string()))?;
        let mut e: Evaluation = serde_json::from_str(&text)
            .map_err(|e| problem(format!("not an `eval compare --json` result ({e})")))?;
        if e.rows.is_empty() {
            return Err(problem("holds no rows".into()));
        }
        e.file = path.display().to_string();
        Ok(e)
    }
}

/// The figures of an `eval compare --json` result that a register shows.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Evaluation {
    #[serde(default)]
    pub file: String,
    pub dataset: String,
    pub queries: usize,
    pub documents: usize,
    pub metrics: Vec<String>,
    pub rows: Vec<EvaluationRow>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct EvaluationRow {
    pub label: String,
    pub means: Vec<f64>,
    #[serde(default)]
    pub by_language: Vec<LanguageFigures>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LanguageFigures {
    pub language: String,
    pub queries: usize,
    pub means: Vec<f64>,
}

/// What govmatch measured about itself for the entry.
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    pub govmatch_version: String,
    /// Checksum of the stored startups' (id, text hash) pairs: the version of the catalogue
    /// the index serves.
    pub index_version: String,
    pub model: ModelFacts,
    pub startups: usize,
    pub challenges: usize,
    /// Startups flagged contentless (left out of match lists by default).
    pub contentless_startups: usize,
    pub contentless_challenges: usize,
    /// Gini of startup exposure and never-shown count, when an exposure report was given.
    pub exposure: Option<ExposureFigures>,
    /// Date of the export (YYYY-MM-DD).
    pub date: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelFacts {
    pub name: String,
    /// sha256 over the installed model's files (name and hash of each).
    pub hash: String,
    pub source: String,
    pub licence: String,
    pub dimension: usize,
    pub precision: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExposureFigures {
    pub k: usize,
    pub challenges: usize,
    pub gini: f64,
    pub top_10_percent_share: f64,
    pub never_shown: usize,
    pub startups: usize,
}

/// A bilingual text.
#[derive(Debug, Clone, Serialize)]
pub struct Text {
    pub de: String,
    pub en: String,
}

/// The entry, in ATRS v3.0's sections.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub standard: &'static str,
    pub tier_1: Tier1,
    pub owner_and_responsibility: OwnerSection,
    pub description_and_rationale: RationaleSection,
    pub decision_making_process: DecisionSection,
    pub tool_specification: ToolSection,
    pub data_specification: DataSection,
    pub risks_mitigations_and_impact_assessments: RiskSection,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tier1 {
    /// 1.1
    pub name: String,
    /// 1.2: how and why the tool is used.
    pub description: Text,
    /// 1.3
    pub website: Option<String>,
    /// 1.4
    pub contact_email: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OwnerSection {
    pub organisation: String,
    pub team: String,
    pub senior_responsible_owner: String,
    pub external_supplier: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RationaleSection {
    /// 2.2.1: how it works, in plain words.
    pub detailed_description: Text,
    pub scope: String,
    pub benefit: String,
    pub previous_process: String,
    pub alternatives_considered: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionSection {
    pub process_integration: Text,
    pub provided_information: Text,
    pub frequency_and_scale: String,
    /// 2.3.4: the human decision the tool supports.
    pub human_decisions_and_review: Text,
    pub required_training: String,
    pub appeals_and_review: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolSection {
    pub system_architecture: String,
    pub phase: String,
    pub maintenance: String,
    pub govmatch_version: String,
    pub index_version: String,
    pub model: ModelFacts,
    pub model_task: String,
    pub model_input: String,
    pub model_output: String,
    /// 2.4.1.4: the latest evaluation, as measured.
    pub model_performance: Evaluation,
}

#[derive(Debug, Clone, Serialize)]
pub struct DataSection {
    pub sources: Vec<DataSourceEntry>,
    pub data_modality: String,
    pub sensitive_attributes: String,
    pub data_completeness_and_representativeness: Text,
    pub data_cleaning: String,
    pub data_access_and_storage: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DataSourceEntry {
    #[serde(flatten)]
    pub source: DataSource,
    /// Records of its kind in the store at export (all sources of a kind together).
    pub records_of_kind: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct RiskSection {
    pub impact_assessments: Vec<ImpactAssessment>,
    pub risks: Vec<Risk>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Risk {
    pub name: String,
    pub description: Text,
    pub mitigation: Text,
}

fn req(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// Builds the entry from a checked operator config, the measured facts and the evaluation.
pub fn entry(op: &OperatorConfig, facts: &Facts, evaluation: Evaluation) -> Entry {
    let m = &facts.model;
    let how_de = format!(
        "govmatch wandelt jede Challenge einer Behörde und jedes Startup-Profil mit dem \
         Sprachmodell {} in einen Zahlenvektor um, der die Bedeutung des Textes erfasst, \
         sprachübergreifend (deutsch und englisch). Für eine Challenge sucht es die Profile \
         mit den ähnlichsten Vektoren (HNSW-Index), stuft Profile herab, die zu fast allem \
         passen (Hub-Reduktion), und lässt Profile ohne verwertbaren Inhalt weg. Zu jedem \
         Vorschlag nennt es die Gründe: die ähnlichsten Sätze, gemeinsame Begriffe (mit \
         Übersetzung), gemeinsame Themen und Region. Das Modell läuft lokal; keine Daten \
         verlassen den Server.",
        m.name
    );
    let how_en = format!(
        "govmatch turns every agency challenge and every startup profile into a vector of \
         numbers that captures the text's meaning, across German and English, with the \
         language model {}. For a challenge it finds the profiles with the closest vectors \
         (an HNSW index), ranks down profiles that resemble almost everything (hub \
         reduction), and leaves out profiles without usable content. Every suggestion comes \
         with its reasons: the closest sentences, shared terms (with translation), shared \
         topics and region. The model runs locally; no data leaves the server.",
        m.name
    );
    let exposure_note = facts.exposure.as_ref().map_or_else(
        || Text {
            de: "Noch nicht gemessen: `govmatch report exposure --json` erzeugen und \
                 beim Export angeben."
                .into(),
            en: "Not measured yet: run `govmatch report exposure --json` and pass it to the \
                 export."
                .into(),
        },
        |x| Text {
            de: format!(
                "Gemessen über {} offene Challenges, Top {}: Gini {:.3}, die 10 % \
                 sichtbarsten Startups erhalten {:.1} % der Aufmerksamkeit, {} von {} \
                 Startups werden nie gezeigt.",
                x.challenges,
                x.k,
                x.gini,
                100.0 * x.top_10_percent_share,
                x.never_shown,
                x.startups
            ),
            en: format!(
                "Measured over {} open challenges, top {}: Gini {:.3}, the most exposed 10% \
                 of startups get {:.1}% of the attention, {} of {} startups are never shown.",
                x.challenges,
                x.k,
                x.gini,
                100.0 * x.top_10_percent_share,
                x.never_shown,
                x.startups
            ),
        },
    );
    let by_kind = |kind: &str| match kind {
        "startups" => facts.startups,
        _ => facts.challenges,
    };
    Entry {
        standard: "UK Algorithmic Transparency Recording Standard (ATRS) v3.0",
        tier_1: Tier1 {
            name: req(&op.name),
            description: Text {
                de: format!(
                    "{how_de} Der Vorschlag ist eine Hilfe bei der Marktsichtung: Welche \
                     Startups kontaktiert, erprobt oder beauftragt werden, entscheiden \
                     Menschen."
                ),
                en: format!(
                    "{how_en} The suggestions help scout the market: people decide which \
                     startups are contacted, piloted or contracted."
                ),
            },
            website: op.website.clone(),
            contact_email: req(&op.contact_email),
        },
        owner_and_responsibility: OwnerSection {
            organisation: req(&op.organisation),
            team: req(&op.team),
            senior_responsible_owner: req(&op.senior_responsible_owner),
            external_supplier: req(&op.external_supplier),
        },
        description_and_rationale: RationaleSection {
            detailed_description: Text {
                de: how_de.clone(),
                en: how_en.clone(),
            },
            scope: req(&op.scope),
            benefit: req(&op.benefit),
            previous_process: req(&op.previous_process),
            alternatives_considered: req(&op.alternatives_considered),
        },
        decision_making_process: DecisionSection {
            process_integration: Text {
                de: "Scouts und Fachbehörden rufen für eine Challenge eine Rangliste \
                     passender Startups ab (Web-Oberfläche, HTTP-API oder Stapellauf) und \
                     sichten sie, bevor sie Kontakt aufnehmen."
                    .into(),
                en: "Scouts and agencies fetch a ranked list of fitting startups for a \
                     challenge (web app, HTTP API or batch run) and review it before \
                     contacting anyone."
                    .into(),
            },
            provided_information: Text {
                de: "Je Vorschlag: Rang, Wert, eine Begründung in Worten, die ähnlichsten \
                     Sätze, gemeinsame Begriffe und Themen, die Teilwerte; jede Liste wird \
                     mit Modell, Indexstand und Parametern im Prüfprotokoll festgehalten."
                    .into(),
                en: "Per suggestion: rank, score, a reason in words, the closest sentences, \
                     shared terms and topics, the score parts; every list is kept in the \
                     audit trail with model, index version and parameters."
                    .into(),
            },
            frequency_and_scale: req(&op.frequency_and_scale),
            human_decisions_and_review: Text {
                de: "Die Maschine beauftragt niemanden und schließt niemanden aus einem \
                     Verfahren aus. Menschen entscheiden über Kontakt, Pilot und Vertrag; \
                     Rückmeldungen zu Vorschlägen fließen in die Bewertung der Rangfolge ein."
                    .into(),
                en: "The engine contracts nobody and excludes nobody from a procedure. \
                     People decide on contact, pilot and contract; their feedback on \
                     suggestions feeds the evaluation of the ranking."
                    .into(),
            },
            required_training: req(&op.required_training),
            appeals_and_review: req(&op.appeals_and_review),
        },
        tool_specification: ToolSection {
            system_architecture: format!(
                "Local transformer encoder ({}, {}-dimensional vectors, {} precision) → \
                 HNSW nearest-neighbour index with hub reduction → ranked lists with \
                 explanations, served over HTTP and the command line; SQLite store with \
                 audit trail.",
                m.name, m.dimension, m.precision
            ),
            phase: req(&op.phase),
            maintenance: req(&op.maintenance),
            govmatch_version: facts.govmatch_version.clone(),
            index_version: facts.index_version.clone(),
            model: m.clone(),
            model_task: "Text embedding for semantic similarity (retrieval).".into(),
            model_input: "The text of a challenge (title, description, desired outcome) or \
                          of a startup profile (name, one-liner, description)."
                .into(),
            model_output: "A unit vector per text; similarity is the cosine of two vectors.".into(),
            model_performance: evaluation,
        },
        data_specification: DataSection {
            sources: op
                .data_sources
                .iter()
                .map(|s| DataSourceEntry {
                    records_of_kind: by_kind(&s.kind),
                    source: s.clone(),
                })
                .collect(),
            data_modality: "Text (profiles and problem statements) with facets (region, \
                            stage, sectors, language, status)."
                .into(),
            sensitive_attributes: "None processed: company profiles and public calls; no \
                                   personal data is needed for matching."
                .into(),
            data_completeness_and_representativeness: Text {
                de: format!(
                    "Im Bestand: {} Startups, {} Challenges. Ohne verwertbaren Inhalt \
                     markiert und nicht vorgeschlagen: {} Startups, {} Challenges \
                     (`govmatch report quality`). Sichtbarkeit: {}",
                    facts.startups,
                    facts.challenges,
                    facts.contentless_startups,
                    facts.contentless_challenges,
                    exposure_note.de
                ),
                en: format!(
                    "Stored: {} startups, {} challenges. Flagged contentless and not \
                     suggested: {} startups, {} challenges (`govmatch report quality`). \
                     Exposure: {}",
                    facts.startups,
                    facts.challenges,
                    facts.contentless_startups,
                    facts.contentless_challenges,
                    exposure_note.en
                ),
            },
            data_cleaning: "Records are validated at ingest (each bad field named, the \
                            record rejected); quality flags mark contentless texts, \
                            near-duplicates and missing filter fields, nothing is dropped \
                            silently."
                .into(),
            data_access_and_storage: req(&op.data_access_and_storage),
        },
        risks_mitigations_and_impact_assessments: RiskSection {
            impact_assessments: op.impact_assessments.clone(),
            risks: risks(facts, exposure_note),
        },
    }
}

fn risks(facts: &Facts, exposure: Text) -> Vec<Risk> {
    vec![
        Risk {
            name: "Hubness".into(),
            description: Text {
                de: "Breit formulierte Profile ähneln vielen Challenges und stünden sonst \
                     in vielen Listen oben."
                    .into(),
                en: "Broadly worded profiles resemble many challenges and would otherwise \
                     top many lists."
                    .into(),
            },
            mitigation: Text {
                de: "Hub-Reduktion ist voreingestellt: der Wert eines Profils sinkt um die \
                     Hälfte seiner mittleren Ähnlichkeit zu allen Challenges; die Begründung \
                     sagt, um wie viele Plätze."
                    .into(),
                en: "Hub reduction is on by default: a profile's score drops by half its \
                     mean similarity to all challenges; the explanation says by how many \
                     places."
                    .into(),
            },
        },
        Risk {
            name: "Language bias".into(),
            description: Text {
                de: "Challenges sind oft deutsch, Profile oft englisch; ein einsprachiges \
                     Verfahren benachteiligt anderssprachige Texte."
                    .into(),
                en: "Challenges are often German, profiles often English; a monolingual \
                     method disadvantages texts in the other language."
                    .into(),
            },
            mitigation: Text {
                de: "Mehrsprachiges Modell; Wortsuche mit deutsch-englischem Wörterbuch; \
                     die Bewertung wird je Sprache berichtet (siehe Leistung)."
                    .into(),
                en: "A multilingual model; keyword search with a German–English \
                     dictionary; evaluation is reported per language (see performance)."
                    .into(),
            },
        },
        Risk {
            name: "Contentless profiles".into(),
            description: Text {
                de: "Platzhalter-Profile (\u{201e}Stay tuned!\u{201c}) passen ein wenig zu \
                     allem und verdrängen echte Treffer."
                    .into(),
                en: "Placeholder profiles (\u{201c}Stay tuned!\u{201d}) fit everything a \
                     little and push out real matches."
                    .into(),
            },
            mitigation: Text {
                de: format!(
                    "Beim Import markiert und standardmäßig nicht vorgeschlagen (derzeit {} \
                     Startups); mit include_low_quality sichtbar, mit Hinweis.",
                    facts.contentless_startups
                ),
                en: format!(
                    "Flagged at ingest and left out of lists by default (now {} startups); \
                     shown with include_low_quality, with a note.",
                    facts.contentless_startups
                ),
            },
        },
        Risk {
            name: "Concentrated exposure".into(),
            description: Text {
                de: "Wenige Startups könnten den Großteil der Aufmerksamkeit erhalten.".into(),
                en: "A few startups could get most of the attention.".into(),
            },
            mitigation: Text {
                de: format!(
                    "Gemessen mit `govmatch report exposure` (auch GET \
                     /v1/reports/exposure). {}",
                    exposure.de
                ),
                en: format!(
                    "Measured with `govmatch report exposure` (also GET \
                     /v1/reports/exposure). {}",
                    exposure.en
                ),
            },
        },
    ]
}

/// The entry as a Markdown document, German and English side by side in each field.
pub fn markdown(e: &Entry) -> String {
    let mut s = String::new();
    let mut line = |t: String| {
        s.push_str(&t);
        s.push('\n');
    };
    let text = |t: &Text| format!("**DE:** {}\n\n**EN:** {}", t.de, t.en);
    line(format!("# {}\n", e.tier_1.name));
    line(format!("*{}*\n", e.standard));
    line("## Tier 1 — Overview\n".into());
    line(format!(
        "**1.2 Description**\n\n{}\n",
        text(&e.tier_1.description)
    ));
    if let Some(w) = &e.tier_1.website {
        line(format!("**1.3 Website:** {w}\n"));
    }
    line(format!("**1.4 Contact:** {}\n", e.tier_1.contact_email));
    let o = &e.owner_and_responsibility;
    line("## 2.1 Owner and responsibility\n".into());
    line(format!("- **2.1.1 Organisation:** {}", o.organisation));
    line(format!("- **2.1.2 Team:** {}", o.team));
    line(format!(
        "- **2.1.3 Senior responsible owner:** {}",
        o.senior_responsible_owner
    ));
    line(format!(
        "- **2.1.4 External supplier:** {}\n",
        o.external_supplier
    ));
    let r = &e.description_and_rationale;
    line("## 2.2 Description and rationale\n".into());
    line(format!(
        "**2.2.1 Detailed description**\n\n{}\n",
        text(&r.detailed_description)
    ));
    line(format!("**2.2.2 Scope:** {}\n", r.scope));
    line(format!("**2.2.3 Benefit:** {}\n", r.benefit));
    line(format!(
        "**2.2.4 Previous process:** {}\n",
        r.previous_process
    ));
    line(format!(
        "**2.2.5 Alternatives considered:** {}\n",
        r.alternatives_considered
    ));
    let d = &e.decision_making_process;
    line("## 2.3 Decision-making process\n".into());
    line(format!(
        "**2.3.1 Process integration**\n\n{}\n",
        text(&d.process_integration)
    ));
    line(format!(
        "**2.3.2 Provided information**\n\n{}\n",
        text(&d.provided_information)
    ));
    line(format!(
        "**2.3.3 Frequency and scale of usage:** {}\n",
        d.frequency_and_scale
    ));
    line(format!(
        "**2.3.4 Human decisions and review**\n\n{}\n",
        text(&d.human_decisions_and_review)
    ));
    line(format!(
        "**2.3.5 Required training:** {}\n",
        d.required_training
    ));
    line(format!(
        "**2.3.6 Appeals and review:** {}\n",
        d.appeals_and_review
    ));
    let t = &e.tool_specification;
    line("## 2.4 Tool specification\n".into());
    line(format!(
        "**2.4.1.1 System architecture:** {}\n",
        t.system_architecture
    ));
    line(format!("**2.4.1.2 Phase:** {}\n", t.phase));
    line(format!("**2.4.1.3 Maintenance:** {}\n", t.maintenance));
    line(format!(
        "**Version:** govmatch {}, catalogue (index) version `{}`\n",
        t.govmatch_version, t.index_version
    ));
    line("**2.4.1.4 Model**\n".into());
    line(format!("- name: {}", t.model.name));
    line(format!("- hash (sha256 of its files): `{}`", t.model.hash));
    line(format!("- source: {}", t.model.source));
    line(format!("- licence: {}", t.model.licence));
    line(format!(
        "- vectors: {} dimensions, {} precision",
        t.model.dimension, t.model.precision
    ));
    line(format!("- task: {}", t.model_task));
    line(format!("- input: {}", t.model_input));
    line(format!("- output: {}\n", t.model_output));
    let p = &t.model_performance;
    line(format!(
        "**Model performance** (from `{}`: {}, {} queries, {} documents)\n",
        p.file, p.dataset, p.queries, p.documents
    ));
    line(format!("| configuration | {} |", p.metrics.join(" | ")));
    line(format!("|---|{}", "---:|".repeat(p.metrics.len())));
    for row in &p.rows {
        let cells: Vec<String> = row.means.iter().map(|m| format!("{m:.4}")).collect();
        line(format!("| {} | {} |", row.label, cells.join(" | ")));
        for l in &row.by_language {
            let cells: Vec<String> = l.means.iter().map(|m| format!("{m:.4}")).collect();
            line(format!(
                "| {} — {} ({} queries) | {} |",
                row.label,
                l.language,
                l.queries,
                cells.join(" | ")
            ));
        }
    }
    line(String::new());
    let ds = &e.data_specification;
    line("## 2.5 Data specification\n".into());
    for src in &ds.sources {
        line(format!(
            "- **{}** ({}; {} records of this kind stored): {} — collection: {}{}",
            src.source.name,
            src.source.kind,
            src.records_of_kind,
            src.source.description,
            src.source.collection,
            src.source
                .url
                .as_deref()
                .map(|u| format!(" — {u}"))
                .unwrap_or_default()
        ));
    }
    line(String::new());
    line(format!("**2.5.2 Data modality:** {}\n", ds.data_modality));
    line(format!(
        "**2.5.5 Sensitive attributes:** {}\n",
        ds.sensitive_attributes
    ));
    line(format!(
        "**2.5.6 Completeness and representativeness**\n\n{}\n",
        text(&ds.data_completeness_and_representativeness)
    ));
    line(format!("**2.5.9 Data cleaning:** {}\n", ds.data_cleaning));
    line(format!(
        "**2.5.11 Data access and storage:** {}\n",
        ds.data_access_and_storage
    ));
    let rk = &e.risks_mitigations_and_impact_assessments;
    line("## 2.6 Risks, mitigations and impact assessments\n".into());
    for a in &rk.impact_assessments {
        line(format!(
            "- **Impact assessment: {}** ({}): {}{}",
            a.name,
            a.date,
            a.description,
            a.link
                .as_deref()
                .map(|l| format!(" — {l}"))
                .unwrap_or_default()
        ));
    }
    for risk in &rk.risks {
        line(format!(
            "### {}\n\n{}\n\n*Mitigation:*\n\n{}\n",
            risk.name,
            text(&risk.description),
            text(&risk.mitigation)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_required_field_is_named_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("register.toml");
        std::fs::write(&path, "name = \"x\"\n").unwrap();
        let e = OperatorConfig::load(&path).unwrap_err().to_string();
        assert!(e.contains("`contact_email`") && e.contains("1.4"), "{e}");
        std::fs::write(&path, "name = \"x\"\nowner = \"y\"\n").unwrap();
        let e = OperatorConfig::load(&path).unwrap_err().to_string();
        assert!(e.contains("owner"), "{e}");
        std::fs::write(&path, "name = [\n").unwrap();
        let e = OperatorConfig::load(&path).unwrap_err().to_string();
        assert!(e.contains("register.toml"), "{e}");
    }
}
