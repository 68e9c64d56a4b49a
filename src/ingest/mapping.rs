//! Field mappings: load foreign schemas (YC exports, innovation-call scrapes…) without code.
//!
//! A mapping is a small TOML file:
//! ```toml
//! kind = "startups"
//! [fields]                      # our field = their field, or a list of theirs (joined)
//! description = "long_description"
//! sectors = "tags"
//! [defaults]                    # values for fields the source lacks
//! region = "us"
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::domain::Kind;

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Source {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub kind: Option<Kind>,
    #[serde(default)]
    pub fields: BTreeMap<String, Source>,
    #[serde(default)]
    pub defaults: BTreeMap<String, toml::Value>,
}

/// Fields that hold lists; a string there is split on commas or semicolons.
pub const LIST_FIELDS: &[&str] = &["sectors", "technologies", "languages", "tags"];

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn to_json(v: &toml::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

impl Mapping {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Maps one source record to our field names. Several sources for one field are joined
    /// (texts by blank lines, lists concatenated); blank values count as absent.
    pub fn apply(&self, record: &Map<String, Value>) -> Map<String, Value> {
        let mut out = Map::new();
        for (target, source) in &self.fields {
            let names: Vec<&String> = match source {
                Source::One(s) => vec![s],
                Source::Many(v) => v.iter().collect(),
            };
            let values: Vec<&Value> = names
                .iter()
                .filter_map(|n| record.get(n.as_str()))
                .filter(|v| !is_blank(v))
                .collect();
            let value = match values.as_slice() {
                [] => continue,
                [one] => (*one).clone(),
                many if many.iter().all(|v| v.is_array()) => Value::Array(
                    many.iter()
                        .flat_map(|v| v.as_array().cloned().unwrap_or_default())
                        .collect(),
                ),
                many => Value::String(
                    many.iter()
                        .map(|v| match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join("\n\n"),
                ),
            };
            out.insert(target.clone(), value);
        }
        for (field, value) in &self.defaults {
            if out.get(field).is_none_or(is_blank) {
                out.insert(field.clone(), to_json(value));
            }
        }
        out
    }
}

/// Coerces loosely typed values (CSV cells, foreign exports) to what our fields expect:
/// lists from "a; b" strings, strings from numbers or from lists (joined), blanks dropped.
pub fn coerce(mut record: Map<String, Value>) -> Map<String, Value> {
    record.retain(|_, v| !is_blank(v));
    for (field, value) in record.iter_mut() {
        let list = LIST_FIELDS.contains(&field.as_str());
        let new = match (&*value, list) {
            (Value::String(s), true) => Some(Value::Array(
                s.split([',', ';'])
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| Value::String(p.to_string()))
                    .collect(),
            )),
            (Value::Number(n), false) => Some(Value::String(n.to_string())),
            (Value::Array(items), false) if items.iter().all(Value::is_string) => {
                Some(Value::String(
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", "),
                ))
            }
            _ => None,
        };
        if let Some(new) = new {
            *value = new;
        }
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_joins_and_defaults() {
        let m: Mapping = toml::from_str(
            r#"
            kind = "challenges"
            [fields]
            id = "id"
            description = ["background", "description"]
            agency = "sponsor"
            [defaults]
            region = "in"
            "#,
        )
        .unwrap();
        let src = json!({"id": "x", "background": "B", "description": "D", "sponsor": ["dasa"], "junk": 1});
        let out = coerce(m.apply(src.as_object().unwrap()));
        assert_eq!(
            Value::Object(out),
            json!({"id": "x", "description": "B\n\nD", "agency": "dasa", "region": "in"})
        );
    }

    #[test]
    fn coerces_lists_and_numbers() {
        let src = json!({"sectors": "Mobility; IoT,", "id": 42, "website": ""});
        let out = coerce(src.as_object().unwrap().clone());
        assert_eq!(
            Value::Object(out),
            json!({"sectors": ["Mobility", "IoT"], "id": "42"})
        );
    }
}
