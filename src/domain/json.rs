//! The one JSON reader for what people and portals send: a repeated key is an error (serde
//! would silently keep the last one, so `{"id":"a","id":"b"}` stored `b`), a leading UTF-8
//! byte-order mark is skipped (editors on Windows write one), and every error names the
//! field it happened in, with its path (`filter.region[1]`), not the value.

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Why a JSON text could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JsonError {
    /// Broken syntax or encoding: the text is not JSON. `field` is where it broke, if inside one.
    #[error("invalid JSON: {message}")]
    Syntax {
        field: Option<String>,
        message: String,
    },
    /// Well-formed JSON with a value that cannot be taken: a repeated key, a number out of
    /// range, or (from [`from_value`]) a value of the wrong type.
    #[error("{field}: {message}")]
    Field { field: String, message: String },
}

impl JsonError {
    /// The field at fault (its path), when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            JsonError::Syntax { field, .. } => field.as_deref(),
            JsonError::Field { field, .. } => Some(field),
        }
    }
}

/// Strips a leading UTF-8 byte-order mark.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Parses one JSON text (a leading BOM allowed), refusing repeated keys.
pub fn parse(text: &str) -> Result<Value, JsonError> {
    let text = strip_bom(text);
    let failure: RefCell<Option<(String, String, bool)>> = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = Strict {
        path: String::new(),
        failure: &failure,
    };
    let result = seed.deserialize(&mut de).and_then(|v| de.end().map(|_| v));
    result.map_err(|e| {
        let message = e.to_string();
        // A key without a name has no path of its own: the body is at fault.
        let failure = failure.into_inner().map(|(field, problem, ours)| {
            let field = if field.is_empty() || field.ends_with('.') {
                "body".to_string()
            } else {
                field
            };
            (field, problem, ours)
        });
        match failure {
            Some((field, problem, true)) => JsonError::Field {
                field,
                message: problem,
            },
            Some((field, _, false)) if message.starts_with("number out of range") => {
                JsonError::Field { field, message }
            }
            Some((field, _, false)) => JsonError::Syntax {
                field: Some(field),
                message,
            },
            None => JsonError::Syntax {
                field: None,
                message,
            },
        }
    })
}

/// Parses a JSON text strictly ([`parse`]) into `T`, naming the field of a type error by
/// its path.
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    from_value(parse(text)?)
}

/// A value into `T`, naming the field of a type error by its path.
pub fn from_value<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, JsonError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let named = message.split('`').nth(1).map(str::to_string);
        // serde_path_to_error puts an unknown field at its own path, a missing one at its
        // object's.
        let field = if message.starts_with("missing field") {
            match (path.as_str(), named) {
                (".", Some(n)) => n,
                (p, Some(n)) => format!("{p}.{n}"),
                (p, None) => p.to_string(),
            }
        } else if path == "." {
            named.unwrap_or_else(|| "body".into())
        } else {
            path
        };
        JsonError::Field { field, message }
    })
}

/// Builds a [`Value`] like serde_json does, refusing repeated keys and remembering the path
/// of the innermost value that failed (`true` when the failure is ours: a repeated key).
struct Strict<'a> {
    path: String,
    failure: &'a RefCell<Option<(String, String, bool)>>,
}

impl Strict<'_> {
    fn note(&self, path: &str, problem: String, ours: bool) {
        let mut f = self.failure.borrow_mut();
        if f.is_none() {
            *f = Some((path.to_string(), problem, ours));
        }
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let path = format!("{}[{}]", self.path, out.len());
            let seed = Strict {
                path: path.clone(),
                failure: self.failure,
            };
            match seq.next_element_seed(seed) {
                Ok(Some(v)) => out.push(v),
                Ok(None) => return Ok(Value::Array(out)),
                Err(e) => {
                    self.note(&path, e.to_string(), false);
                    return Err(e);
                }
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            if out.contains_key(&key) {
                let problem = format!("duplicate field `{key}`: each key may appear once");
                self.note(&path, problem.clone(), true);
                return Err(A::Error::custom(problem));
            }
            let seed = Strict {
                path: path.clone(),
                failure: self.failure,
            };
            match map.next_value_seed(seed) {
                Ok(v) => {
                    out.insert(key, v);
                }
                Err(e) => {
                    self.note(&path, e.to_string(), false);
                    return Err(e);
                }
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_are_refused_by_path() {
        // Issue 24 point 13.
        let e = parse(r#"{"id":"dup-1","id":"dup-2"}"#).unwrap_err();
        assert_eq!(e.field(), Some("id"));
        assert!(matches!(e, JsonError::Field { .. }));
        let e = parse(r#"{"filter":{"region":["a"],"region":["b"]}}"#).unwrap_err();
        assert_eq!(e.field(), Some("filter.region"));
        assert_eq!(
            parse(r#"{"a":{"id":1},"b":{"id":2}}"#).unwrap()["b"]["id"],
            2
        );
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        assert_eq!(parse("\u{feff}{\"a\":1}").unwrap()["a"], 1);
    }

    #[test]
    fn errors_name_the_field_not_the_value() {
        // Issue 24 point 14.
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct B {
            label: i8,
            min_score: Option<f32>,
        }
        for (body, field) in [
            (r#"{"label":1.5}"#, "label"),
            (r#"{"label":null}"#, "label"),
            (r#"{"label":1,"min_score":1e999}"#, "min_score"),
        ] {
            let e = from_str::<B>(body).unwrap_err();
            assert_eq!(e.field(), Some(field), "{body}: {e}");
            assert!(matches!(e, JsonError::Field { .. }), "{body}: {e}");
        }
        let e = from_str::<B>("{}").unwrap_err();
        assert_eq!(e.field(), Some("label"));
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Strict {
            inner: Option<B>,
        }
        let e = from_str::<Strict>(r#"{"colour":1}"#).unwrap_err();
        assert_eq!(e.field(), Some("colour"));
        let e = from_str::<Strict>(r#"{"inner":{}}"#).unwrap_err();
        assert_eq!(e.field(), Some("inner.label"));
        let e = from_str::<B>("{\"label\": 1,").unwrap_err();
        assert!(matches!(e, JsonError::Syntax { .. }));
    }
}
