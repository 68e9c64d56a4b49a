//! API keys with two scopes. `read` may ask for matches and read records; `write` may also
//! change the catalogue and give feedback. Keys come from `--api-key SCOPE:KEY` or
//! `GOVMATCH_API_KEYS` (comma-separated) and are sent as `Authorization: Bearer KEY` or
//! `x-api-key: KEY`. Without keys the server only listens on localhost.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Read,
    /// Implies read.
    Write,
}

/// Keys by their sha256, so the process never compares secrets byte by byte.
#[derive(Debug, Clone, Default)]
pub struct ApiKeys(HashMap<[u8; 32], Scope>);

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

impl ApiKeys {
    /// Parses `read:KEY` / `write:KEY` entries.
    pub fn parse(entries: &[String]) -> anyhow::Result<Self> {
        let mut keys = HashMap::new();
        for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            let (scope, key) = entry.split_once(':').ok_or_else(|| {
                anyhow::anyhow!(
                    "API key entry must be SCOPE:KEY (read or write), got `{}…`",
                    entry.chars().take(6).collect::<String>()
                )
            })?;
            let scope = match scope {
                "read" => Scope::Read,
                "write" => Scope::Write,
                other => anyhow::bail!("API key scope `{other}` is not one of: read, write"),
            };
            if key.len() < 16 {
                anyhow::bail!("API keys must be at least 16 characters long");
            }
            keys.insert(digest(key), scope);
        }
        Ok(ApiKeys(keys))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn scope_of(&self, key: &str) -> Option<Scope> {
        self.0.get(&digest(key)).copied()
    }
}

/// Who made a change, as shortlists record it: the key's scope and the last characters of its
/// hash (never the key), or `localhost` on a server without keys.
pub fn label(keys: &ApiKeys, key: Option<&str>) -> String {
    match key.and_then(|k| keys.scope_of(k).map(|s| (k, s))) {
        Some((k, scope)) => format!(
            "{} key …{}",
            if scope == Scope::Write {
                "write"
            } else {
                "read"
            },
            &hex::encode(digest(k))[60..]
        ),
        None => "localhost".to_string(),
    }
}

/// The key a request presents, if exactly one.
pub fn presented_key(headers: &HeaderMap) -> Option<String> {
    let keys = presented(headers);
    (keys.len() == 1).then(|| keys[0].clone())
}

/// What a route group demands: the server's keys and the scope its routes need.
#[derive(Clone)]
pub struct Guard {
    pub keys: Arc<ApiKeys>,
    pub scope: Scope,
}

/// The credentials a request presents: `x-api-key` and `Authorization: Bearer` (scheme in any
/// case). A malformed `Authorization` header is presented as an empty key, so it fails.
fn presented(headers: &HeaderMap) -> Vec<String> {
    let mut keys = Vec::new();
    for value in headers.get_all("x-api-key") {
        keys.push(value.to_str().unwrap_or("").trim().to_string());
    }
    for value in headers.get_all(AUTHORIZATION) {
        let text = value.to_str().unwrap_or("");
        let key = match text.split_once(' ') {
            Some((scheme, key)) if scheme.eq_ignore_ascii_case("bearer") => key.trim(),
            _ => "",
        };
        keys.push(key.to_string());
    }
    keys
}

/// The scope the presented credentials grant: every one must be a known key (a wrong one
/// fails even beside a right one), and the narrowest scope among them applies.
fn granted(keys: &ApiKeys, presented: &[String]) -> Result<Scope, ApiError> {
    if presented.is_empty() {
        return Err(ApiError::unauthorized(
            "no API key: send `Authorization: Bearer KEY` or `x-api-key: KEY`",
        ));
    }
    presented
        .iter()
        .map(|k| {
            keys.scope_of(k)
                .ok_or_else(|| ApiError::unauthorized("unknown API key (or not a Bearer token)"))
        })
        .try_fold(Scope::Write, |narrowest, scope| Ok(narrowest.min(scope?)))
}

/// Rejects requests without a valid key (401, with `WWW-Authenticate`) or with too narrow a
/// key (403) when keys are set. Layered on each route group with the scope that group needs
/// (see `routes`), so a route's scope is declared where the route is.
pub async fn require_key(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    if guard.keys.is_empty() {
        return next.run(request).await;
    }
    match granted(&guard.keys, &presented(request.headers())) {
        Err(e) => {
            let mut response = e.into_response();
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"govmatch\""),
            );
            response
        }
        Ok(scope) if scope < guard.scope => {
            ApiError::forbidden("this API key may read but not write").into_response()
        }
        Ok(_) => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scopes_and_rejects_bad_entries() {
        let keys = ApiKeys::parse(&[
            "read:aaaaaaaaaaaaaaaa".into(),
            " write:bbbbbbbbbbbbbbbb ".into(),
        ])
        .unwrap();
        assert_eq!(keys.scope_of("aaaaaaaaaaaaaaaa"), Some(Scope::Read));
        assert_eq!(keys.scope_of("bbbbbbbbbbbbbbbb"), Some(Scope::Write));
        assert_eq!(keys.scope_of("cccccccccccccccc"), None);
        assert!(ApiKeys::parse(&["admin:aaaaaaaaaaaaaaaa".into()]).is_err());
        assert!(ApiKeys::parse(&["read:short".into()]).is_err());
        assert!(ApiKeys::parse(&["nocolon".into()]).is_err());
    }

    #[test]
    fn every_presented_credential_must_be_valid() {
        let keys = ApiKeys::parse(&[
            "read:aaaaaaaaaaaaaaaa".into(),
            "write:bbbbbbbbbbbbbbbb".into(),
        ])
        .unwrap();
        let headers = |pairs: &[(&'static str, &str)]| {
            let mut h = HeaderMap::new();
            for (name, value) in pairs {
                h.append(*name, HeaderValue::from_str(value).unwrap());
            }
            presented(&h)
        };
        let grant = |pairs: &[(&'static str, &str)]| granted(&keys, &headers(pairs)).ok();
        assert_eq!(
            grant(&[("authorization", "bearer bbbbbbbbbbbbbbbb")]),
            Some(Scope::Write)
        );
        assert_eq!(
            grant(&[("authorization", "BEARER aaaaaaaaaaaaaaaa")]),
            Some(Scope::Read)
        );
        assert_eq!(
            grant(&[("x-api-key", "aaaaaaaaaaaaaaaa")]),
            Some(Scope::Read)
        );
        assert_eq!(grant(&[]), None);
        assert_eq!(grant(&[("authorization", "Basic bbbbbbbbbbbbbbbb")]), None);
        // A wrong token beside a valid key fails; two valid keys grant the narrower scope.
        assert_eq!(
            grant(&[
                ("authorization", "Bearer wrongwrongwrong1"),
                ("x-api-key", "bbbbbbbbbbbbbbbb")
            ]),
            None
        );
        assert_eq!(
            grant(&[
                ("authorization", "Bearer aaaaaaaaaaaaaaaa"),
                ("x-api-key", "bbbbbbbbbbbbbbbb")
            ]),
            Some(Scope::Read)
        );
    }
}
