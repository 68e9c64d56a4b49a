//! API keys with two scopes. `read` may ask for matches and read records; `write` may also
//! change the catalogue and give feedback. Keys come from `--api-key SCOPE:KEY` or
//! `GOVMATCH_API_KEYS` (comma-separated) and are sent as `Authorization: Bearer KEY` or
//! `x-api-key: KEY`. Without keys the server only listens on localhost.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Request, State};
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

    fn scope_of(&self, key: &str) -> Option<Scope> {
        self.0.get(&digest(key)).copied()
    }
}

/// What a route group demands: the server's keys and the scope its routes need.
#[derive(Clone)]
pub struct Guard {
    pub keys: Arc<ApiKeys>,
    pub scope: Scope,
}

/// Rejects requests without a key (401) or with too narrow a key (403) when keys are set.
/// Layered on each route group with the scope that group needs (see `routes`), so a route's
/// scope is declared where the route is.
pub async fn require_key(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let keys = &guard.keys;
    if keys.is_empty() {
        return next.run(request).await;
    }
    let headers = request.headers();
    let presented = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .or_else(|| {
            headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
        });
    match presented.map(|k| keys.scope_of(k.trim())) {
        None => {
            ApiError::unauthorized("no API key: send `Authorization: Bearer KEY`").into_response()
        }
        Some(None) => ApiError::unauthorized("unknown API key").into_response(),
        Some(Some(scope)) if scope < guard.scope => {
            ApiError::forbidden("this API key may read but not write").into_response()
        }
        Some(Some(_)) => next.run(request).await,
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
}
