//! HTTP front end (axum): thin handlers that parse, call the library, and serialise.
//! CPU work (embedding, search) runs on tokio's blocking pool, never on the async workers.

mod error;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use govmatch::domain::Kind;
use govmatch::embed::{role_for, Embedder, Role};
use govmatch::index::{open_synced, Entry, Facets, Filter, HnswParams, LiveIndex, Scored};
use govmatch::ingest::{text_hash, Record};
use govmatch::store::{Store, StoredRecord};
use serde::{Deserialize, Serialize};

pub use error::ApiError;

/// Writes per rebuild of an index's graph (see `LiveIndex`).
const REBUILD_AFTER: usize = 1000;

pub struct AppState {
    embedder: Embedder,
    store: Mutex<Store>,
    startups: Arc<LiveIndex>,
    challenges: Arc<LiveIndex>,
}

impl AppState {
    /// Opens the store and brings both indexes up to date with it.
    pub fn open(embedder: Embedder, data_dir: &std::path::Path) -> anyhow::Result<Self> {
        let store = Store::open(data_dir)?;
        let live = |kind: Kind| -> anyhow::Result<Arc<LiveIndex>> {
            let key = embedder.key(role_for(kind));
            let (index, report) = open_synced(
                &store,
                kind,
                &key,
                embedder.dim(),
                data_dir,
                HnswParams::default(),
            )?;
            tracing::info!(kind = kind.plural(), records = index.len(), origin = ?report.origin, "index ready");
            Ok(LiveIndex::new(index, REBUILD_AFTER))
        };
        Ok(AppState {
            startups: live(Kind::Startup)?,
            challenges: live(Kind::Challenge)?,
            store: Mutex::new(store),
            embedder,
        })
    }

    fn index(&self, kind: Kind) -> &Arc<LiveIndex> {
        match kind {
            Kind::Startup => &self.startups,
            Kind::Challenge => &self.challenges,
        }
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/challenges/{id}/matches", get(challenge_matches))
        .route("/v1/startups/{id}/matches", get(startup_matches))
        .route("/v1/ready", get(ready))
        .route("/v1/match", post(free_text_match))
        .route("/v1/{kind}", post(upsert))
        .route("/v1/{kind}/{id}", get(get_record).delete(delete_record))
        .fallback(|| async { ApiError::not_found("route", "no such route") })
        .layer(axum::middleware::from_fn(request_id))
        .with_state(state)
}

/// Gives every request an id (the caller's `x-request-id`, or a new one), logs it with the
/// route, status and time, and returns it with the time spent as `x-inference-time` (ms).
async fn request_id(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(str::to_string)
        .unwrap_or_else(|| {
            format!(
                "{:x}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            )
        });
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    if let Ok(v) = axum::http::HeaderValue::from_str(&id) {
        req.headers_mut().insert("x-request-id", v);
    }
    let start = std::time::Instant::now();
    let mut res = next.run(req).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(request_id = %id, %method, %path, status = res.status().as_u16(), ms, "request");
    let headers = res.headers_mut();
    if let Ok(v) = axum::http::HeaderValue::from_str(&id) {
        headers.insert("x-request-id", v);
    }
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!("{ms:.2}")) {
        headers.insert("x-inference-time", v);
    }
    res
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// Ready once the model and both indexes are loaded, which `AppState::open` does before the
/// server listens; reports what is loaded.
async fn ready(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "ready": true,
        "model": state.embedder.model().info.id,
        "startups": state.startups.snapshot().len(),
        "challenges": state.challenges.snapshot().len(),
    }))
}

fn kind_of(segment: &str) -> Result<Kind, ApiError> {
    match segment {
        "startups" => Ok(Kind::Startup),
        "challenges" => Ok(Kind::Challenge),
        _ => Err(ApiError::not_found(
            "kind",
            format!("no collection `{segment}` (startups, challenges)"),
        )),
    }
}

fn lock(state: &AppState) -> Result<std::sync::MutexGuard<'_, Store>, ApiError> {
    state
        .store
        .lock()
        .map_err(|_| ApiError::internal("store lock poisoned"))
}

async fn get_record(
    State(state): State<Arc<AppState>>,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let kind = kind_of(&kind)?;
    let record = lock(&state)?
        .get(kind, &id)
        .map_err(|e| ApiError::internal(e.to_string()))?
        .ok_or_else(|| ApiError::not_found("id", format!("no {} with id `{id}`", kind.plural())))?;
    let value =
        serde_json::from_str(&record.data).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(value))
}

/// Creates or replaces one record: validated, embedded (unless its text is unchanged),
/// stored in one transaction, then visible to searches.
async fn upsert(
    State(state): State<Arc<AppState>>,
    Path(kind): Path<String>,
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<serde_json::Value>), ApiError> {
    let kind = kind_of(&kind)?;
    let Json(value) = body.map_err(ApiError::from_json_rejection)?;
    let record = Record::from_value(kind, value)
        .map_err(|(field, message)| ApiError::invalid_record(field, message))?;
    tokio::task::spawn_blocking(move || {
        let key = state.embedder.key(role_for(kind));
        let text = record.embed_text();
        let hash = text_hash(&text);
        // Embed outside the store lock when the text is new, so readers of the store never
        // wait for the model.
        let known = lock(&state)?
            .vector_by_hash(&key, &hash)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let vector = match known {
            Some(v) => v,
            None => state
                .embedder
                .embed_one(&text, role_for(kind))
                .map_err(|e| ApiError::internal(e.to_string()))?,
        };
        let stored = StoredRecord {
            id: record.id().to_string(),
            data: record.to_json(),
            text_hash: hash.clone(),
        };
        // Store and index change under one lock, so concurrent writes to one id land in the
        // same order in both.
        let mut store = lock(&state)?;
        let counts = store
            .upsert(kind, &[stored], &key, &[(hash.clone(), vector.clone())])
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let entry = Entry {
            id: record.id().to_string(),
            text_hash: hash,
            facets: Facets::of(&record),
            alive: true,
        };
        state.index(kind).upsert(entry, vector);
        drop(store);
        let (status, word) = if counts.inserted > 0 {
            (axum::http::StatusCode::CREATED, "created")
        } else if counts.updated > 0 {
            (axum::http::StatusCode::OK, "updated")
        } else {
            (axum::http::StatusCode::OK, "unchanged")
        };
        Ok((
            status,
            Json(serde_json::json!({"id": record.id(), "status": word})),
        ))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
}

async fn delete_record(
    State(state): State<Arc<AppState>>,
    Path((kind, id)): Path<(String, String)>,
) -> Result<axum::http::StatusCode, ApiError> {
    let kind = kind_of(&kind)?;
    let mut store = lock(&state)?;
    let deleted = store
        .delete(kind, std::slice::from_ref(&id))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    if deleted.is_empty() {
        return Err(ApiError::not_found(
            "id",
            format!("no {} with id `{id}`", kind.plural()),
        ));
    }
    // Under the store lock, like upserts, so store and index see writes in one order.
    state.index(kind).remove(&id);
    drop(store);
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Query parameters of the match routes; lists are comma-separated.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MatchParams {
    k: Option<usize>,
    exact: Option<bool>,
    region: Option<String>,
    stage: Option<String>,
    sector: Option<String>,
    language: Option<String>,
    status: Option<String>,
}

const MAX_K: usize = 1000;

fn list(v: &Option<String>) -> Vec<String> {
    v.iter()
        .flat_map(|s| s.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

impl MatchParams {
    fn k(&self) -> Result<usize, ApiError> {
        match self.k.unwrap_or(10) {
            0 => Err(ApiError::invalid("k", "must be at least 1")),
            k if k > MAX_K => Err(ApiError::invalid("k", format!("must be at most {MAX_K}"))),
            k => Ok(k),
        }
    }

    fn filter(&self) -> Filter {
        Filter {
            region: list(&self.region),
            stage: list(&self.stage),
            sectors: list(&self.sector),
            language: list(&self.language),
            status: list(&self.status),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct MatchItem {
    id: String,
    score: f32,
    /// Startup name or challenge title.
    title: String,
}

#[derive(Debug, Serialize)]
pub struct MatchResponse {
    model: String,
    kind: &'static str,
    matches: Vec<MatchItem>,
}

fn respond(state: &AppState, kind: Kind, hits: Vec<Scored>) -> Result<MatchResponse, ApiError> {
    let store = state
        .store
        .lock()
        .map_err(|_| ApiError::internal("store lock poisoned"))?;
    let matches = hits
        .into_iter()
        .map(|h| {
            let title = store
                .get(kind, &h.id)
                .ok()
                .flatten()
                .and_then(|r| serde_json::from_str::<serde_json::Value>(&r.data).ok())
                .and_then(|v| {
                    v.get("name")
                        .or_else(|| v.get("title"))
                        .and_then(|t| t.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_default();
            MatchItem {
                id: h.id,
                score: h.score,
                title,
            }
        })
        .collect();
    Ok(MatchResponse {
        model: state.embedder.model().info.id.clone(),
        kind: kind.plural(),
        matches,
    })
}

/// Records of `target` nearest to the stored record `id` of `source`.
async fn by_record(
    state: Arc<AppState>,
    source: Kind,
    target: Kind,
    id: String,
    params: MatchParams,
) -> Result<Json<MatchResponse>, ApiError> {
    let k = params.k()?;
    tokio::task::spawn_blocking(move || {
        let Some((_, vector)) = state.index(source).snapshot().get(&id) else {
            return Err(ApiError::not_found(
                "id",
                format!("no {} with id `{id}`", source.plural()),
            ));
        };
        let hits = state.index(target).snapshot().search(
            &vector,
            k,
            None,
            &params.filter(),
            params.exact.unwrap_or(false),
        );
        respond(&state, target, hits).map(Json)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
}

async fn challenge_matches(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    params: Result<Query<MatchParams>, QueryRejection>,
) -> Result<Json<MatchResponse>, ApiError> {
    let Query(params) = params.map_err(ApiError::from_query_rejection)?;
    by_record(state, Kind::Challenge, Kind::Startup, id, params).await
}

async fn startup_matches(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    params: Result<Query<MatchParams>, QueryRejection>,
) -> Result<Json<MatchResponse>, ApiError> {
    let Query(params) = params.map_err(ApiError::from_query_rejection)?;
    by_record(state, Kind::Startup, Kind::Challenge, id, params).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreeText {
    text: String,
    /// What to search: "startups" (default) or "challenges".
    kind: Option<Kind>,
    k: Option<usize>,
    #[serde(default)]
    filter: Filter,
    #[serde(default)]
    exact: bool,
}

/// Longest free-text query accepted, in characters.
const MAX_QUERY_CHARS: usize = 20_000;

async fn free_text_match(
    State(state): State<Arc<AppState>>,
    body: Result<Json<FreeText>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<MatchResponse>, ApiError> {
    let Json(req) = body.map_err(ApiError::from_json_rejection)?;
    if req.text.trim().is_empty() {
        return Err(ApiError::invalid("text", "is empty"));
    }
    if req.text.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::invalid(
            "text",
            format!("is longer than {MAX_QUERY_CHARS} characters"),
        ));
    }
    let k = MatchParams {
        k: req.k,
        ..MatchParams::default()
    }
    .k()?;
    let kind = req.kind.unwrap_or(Kind::Startup);
    tokio::task::spawn_blocking(move || {
        let vector = state
            .embedder
            .embed_one(&req.text, Role::Query)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let hits = state
            .index(kind)
            .snapshot()
            .search(&vector, k, None, &req.filter, req.exact);
        respond(&state, kind, hits).map(Json)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
}

/// Serves until Ctrl-C / SIGTERM; prints the bound address first (port 0 picks a free one).
pub async fn serve(state: Arc<AppState>, addr: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    if !bound.ip().is_loopback() {
        anyhow::bail!(
            "refusing to listen on {bound}: without API keys govmatch serves localhost only"
        );
    }
    println!("listening on http://{bound}");
    eprintln!("no API keys configured: serving on localhost only");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
