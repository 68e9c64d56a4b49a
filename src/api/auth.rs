//! API keys with two scopes. `read` may ask for matches and read records; `write` may also
//! change the catalogue and give feedback. Keys come from `--api-key SCOPE:KEY` or
//! `GOVMATCH_API_KEYS` (comma-separated) and are sent as `Authorization: Bearer KEY` or
//! `x-api-key: KEY`. Without keys the server only listens on localhost.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
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

/// The scope a route needs; None for the public probes.
fn needed(method: &Method, path: &str) -> Option<Scope> {
    if path == "/v1/health" || path == "/v1/ready" || path == "/v1/openapi.json" {
        return None;
    }
    let reads = method == Method::GET
        || method == Method::HEAD
        || (method == Method::POST && path == "/v1/match");
    Some(if reads { Scope::Read } else { Scope::Write })
}

/// Rejects requests without a key (401) or with too narrow a key (403) when keys are set.
pub async fn require_key(
    State(keys): State<Arc<ApiKeys>>,
    request: Request,
    next: Next,
) -> Response {
    if keys.is_empty() {
        return next.run(request).await;
    }
    let Some(needed) = needed(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
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
        Some(Some(scope)) if scope < needed => {
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

    #[test]
    fn reads_and_queries_need_read_everything_else_write() {
        assert_eq!(needed(&Method::GET, "/v1/health"), None);
        assert_eq!(
            needed(&Method::GET, "/v1/startups/x/matches"),
            Some(Scope::Read)
        );
        assert_eq!(needed(&Method::POST, "/v1/match"), Some(Scope::Read));
        assert_eq!(needed(&Method::POST, "/v1/startups"), Some(Scope::Write));
        assert_eq!(
            needed(&Method::DELETE, "/v1/startups/x"),
            Some(Scope::Write)
        );
        assert_eq!(needed(&Method::POST, "/v1/feedback"), Some(Scope::Write));
    }
}
