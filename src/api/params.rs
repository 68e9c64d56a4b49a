//! Request parameters → [`RankOptions`]: the query string of the id routes and the body of
//! `POST /v1/match` carry the same ranking fields, the library's [`Ranking`] (which the
//! command line and the pages fill too), checked by its one function. Filter fields come
//! from the library's [`Filter`], declared once for every front end.

use std::collections::BTreeMap;

use govmatch::domain::Kind;
use govmatch::index::Filter;
pub use govmatch::rank::Ranking;
use govmatch::rank::{RankOptions, MAX_QUERY_CHARS};
use govmatch::service::audit::today;
use serde::Deserialize;

use super::error::ApiError;

/// The API's answer to ranking fields that cannot be right.
fn invalid(e: govmatch::rank::OptionError) -> ApiError {
    ApiError::invalid(&e.field, e.problem)
}

/// The rest of the id routes' query: the filter fields and the `open` shortcut. Read from the
/// same query string as [`Ranking`]; what neither knows is refused.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Narrowing {
    /// Only open calls whose deadline has not passed (status=open, deadline_from=today).
    open: Option<bool>,
    #[serde(flatten)]
    #[param(ignore)]
    filter: Filter,
    #[serde(flatten)]
    #[param(ignore)]
    rest: BTreeMap<String, String>,
}

impl Narrowing {
    /// The options of an id route's query string.
    pub fn options(self, ranking: Ranking) -> Result<RankOptions, ApiError> {
        let known = field_names::<Ranking>();
        if let Some(name) = self.rest.keys().find(|k| !known.contains(&k.as_str())) {
            if name.is_empty() {
                return Err(ApiError::bad_parameter("query", "a parameter has no name"));
            }
            return Err(ApiError::bad_parameter(
                name,
                format!("unknown parameter `{name}`"),
            ));
        }
        let mut filter = self.filter;
        if self.open == Some(true) {
            filter.status = vec!["open".into()];
            filter.deadline_from.get_or_insert_with(today);
        }
        ranking.options(filter, "").map_err(invalid)
    }
}

/// The body of `POST /v1/match`: the text, what to search, a filter object, and the ranking
/// fields. Read field by field from the JSON value, so every error names its field (`k`,
/// `filter.region`), as the query string's do.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FreeText {
    /// A challenge draft or a startup description (at most 20,000 characters).
    text: String,
    /// What to search: "startups" (default) or "challenges".
    kind: Option<Kind>,
    filter: Option<Filter>,
    #[schema(inline)]
    #[serde(flatten)]
    ranking: Ranking,
}

impl FreeText {
    /// The checked text, what to search, and the options.
    pub fn parse(body: serde_json::Value) -> Result<(String, Kind, RankOptions), ApiError> {
        let serde_json::Value::Object(mut fields) = body else {
            return Err(ApiError::invalid("body", "must be a JSON object"));
        };
        let text = match fields.remove("text") {
            Some(serde_json::Value::String(t)) => t,
            Some(_) => return Err(ApiError::invalid("text", "must be a string")),
            None => return Err(ApiError::invalid("text", "is missing")),
        };
        let kind: Option<Kind> = field(fields.remove("kind"), "kind")?;
        let filter: Option<Filter> = field(fields.remove("filter"), "filter")?;
        let known = field_names::<Ranking>();
        if let Some(name) = fields.keys().find(|k| !known.contains(&k.as_str())) {
            if name.is_empty() {
                return Err(ApiError::invalid("body", "has a field without a name"));
            }
            return Err(ApiError::invalid(name, "is not a field of this body"));
        }
        let ranking: Ranking = read(serde_json::Value::Object(fields), "")?;
        if govmatch::domain::text::is_blank(&text) {
            return Err(ApiError::invalid(
                "text",
                "is empty (or only spaces and invisible characters)",
            ));
        }
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(ApiError::invalid(
                "text",
                format!("is longer than {MAX_QUERY_CHARS} characters"),
            ));
        }
        let opts = ranking
            .options(filter.unwrap_or_default(), "filter.")
            .map_err(invalid)?;
        Ok((text, kind.unwrap_or(Kind::Startup), opts))
    }
}

/// One optional body field, its errors named `name` (and the path inside it).
fn field<T: serde::de::DeserializeOwned>(
    value: Option<serde_json::Value>,
    name: &str,
) -> Result<Option<T>, ApiError> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => read(v, &format!("{name}.")).map(Some),
    }
}

/// Deserialises `value`, naming the field at fault (`prefix` + serde's path).
fn read<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let name = if path == "." {
            prefix.trim_end_matches('.').to_string()
        } else {
            format!("{prefix}{path}")
        };
        ApiError::invalid(&name, e.into_inner().to_string())
    })
}

/// The field names serde reads for the plain struct `T` (asked of its `Deserialize`), so the
/// list of known parameters cannot drift from the struct.
fn field_names<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{self, Visitor};
    struct Spy<'a>(&'a mut &'static [&'static str]);
    impl<'de> de::Deserializer<'de> for Spy<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("only structs are inspected"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("inspected"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Spy(&mut fields));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_parameters_are_the_ranking_fields() {
        let names = field_names::<Ranking>();
        assert!(
            names.contains(&"k")
                && names.contains(&"hub_reduction")
                && names.contains(&"translate"),
            "{names:?}"
        );
        assert_eq!(names.len(), 11);
    }
}
