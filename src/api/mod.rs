//! HTTP front end (axum): thin handlers that parse, call the library, and serialise.
//! CPU work (embedding, search) runs on tokio's blocking pool, never on the async workers.
//!
//! The server listens at once and loads the model and indexes in the background: until they
//! are ready, `/v1/ready` and every data route answer 503.

mod audit;
mod auth;
mod error;
mod feedback;
mod matches;
mod metrics;
mod openapi;
mod records;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use govmatch::domain::Kind;
use govmatch::embed::queue::{EmbedQueue, QueueLimits};
use govmatch::embed::{role_for, Embedder};
use govmatch::index::{open_synced, HnswParams, LiveIndex};
use govmatch::ingest::Record;
use govmatch::rank::{explain, LexicalIndex, LiveHubness, SentenceCache};
use govmatch::store::Store;

pub use audit::AuditLog;
pub use auth::ApiKeys;
pub use error::ApiError;
use metrics::Metrics;

/// Writes per rebuild of an index's graph (see `LiveIndex`).
const REBUILD_AFTER: usize = 1000;

/// Largest body for record writes (bulk NDJSON); other routes keep axum's 2 MB.
const MAX_WRITE_BODY: usize = 32 << 20;

/// One collection: its dense and lexical indexes, and its records parsed, so reads never
/// take the store lock.
pub struct Collection {
    pub dense: Arc<LiveIndex>,
    pub lexical: LexicalIndex,
    records: RwLock<HashMap<String, Record>>,
}

impl Collection {
    fn put(&self, records: &[Record]) {
        let mut map = self.records.write().unwrap_or_else(|p| p.into_inner());
        for r in records {
            map.insert(r.id().to_string(), r.clone());
        }
    }

    fn forget(&self, id: &str) {
        self.records
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }
}

/// Everything the data routes need, once loaded.
pub struct AppState {
    embedder: Embedder,
    queue: EmbedQueue,
    store: Mutex<Store>,
    startups: Collection,
    challenges: Collection,
    /// Each collection's hubness against the other, for hub reduction.
    startup_hubness: Arc<LiveHubness>,
    challenge_hubness: Arc<LiveHubness>,
    sentences: SentenceCache,
    audit: AuditLog,
    data_dir: PathBuf,
    stopping: AtomicBool,
}

impl AppState {
    /// Opens the store, brings both indexes up to date with it, and starts the embedding
    /// queue and the audit writer.
    pub fn open(
        embedder: Embedder,
        data_dir: &Path,
        queue: QueueLimits,
        on_batch: impl Fn(usize) + Send + 'static,
    ) -> anyhow::Result<Self> {
        let store = Store::open(data_dir)?;
        let collection = |kind: Kind| -> anyhow::Result<Collection> {
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
            let lexical = LexicalIndex::new()?;
            let records: HashMap<String, Record> = store
                .records(kind)?
                .into_iter()
                .filter_map(|r| {
                    let value = serde_json::from_str(&r.data).ok()?;
                    Some((r.id, Record::from_value(kind, value).ok()?))
                })
                .collect();
            let texts: Vec<(&str, String)> = records
                .iter()
                .map(|(id, r)| (id.as_str(), r.embed_text()))
                .collect();
            lexical.upsert_many(texts.iter().map(|(id, t)| (*id, t.as_str())))?;
            Ok(Collection {
                dense: LiveIndex::new(index, REBUILD_AFTER),
                lexical,
                records: RwLock::new(records),
            })
        };
        let startups = collection(Kind::Startup)?;
        let challenges = collection(Kind::Challenge)?;
        let started = std::time::Instant::now();
        let startup_hubness = LiveHubness::new(startups.dense.clone(), challenges.dense.clone());
        let challenge_hubness = LiveHubness::new(challenges.dense.clone(), startups.dense.clone());
        tracing::info!(
            seconds = started.elapsed().as_secs_f64(),
            "hubness for hub reduction ready"
        );
        Ok(AppState {
            startup_hubness,
            challenge_hubness,
            queue: EmbedQueue::start(embedder.clone(), queue, on_batch),
            audit: AuditLog::open(data_dir)?,
            startups,
            challenges,
            store: Mutex::new(store),
            sentences: SentenceCache::default(),
            embedder,
            data_dir: data_dir.to_path_buf(),
            stopping: AtomicBool::new(false),
        })
    }

    /// The latest hubness of the records of `kind` against the other collection.
    fn hubness(&self, kind: Kind) -> Arc<govmatch::rank::Hubness> {
        match kind {
            Kind::Startup => self.startup_hubness.current(),
            Kind::Challenge => self.challenge_hubness.current(),
        }
    }

    fn collection(&self, kind: Kind) -> &Collection {
        match kind {
            Kind::Startup => &self.startups,
            Kind::Challenge => &self.challenges,
        }
    }

    fn store(&self) -> Result<std::sync::MutexGuard<'_, Store>, ApiError> {
        self.store
            .lock()
            .map_err(|_| ApiError::internal("store lock poisoned"))
    }

    /// A record of `kind` by id.
    fn record(&self, kind: Kind, id: &str) -> Option<Record> {
        self.collection(kind)
            .records
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// Loads the sentence vectors explanations need from disk and embeds (and keeps) those
    /// still missing, so the first requests after a start need not wait for them. Runs in the
    /// background; stops early at shutdown.
    fn warm_sentences(&self) -> anyhow::Result<()> {
        let mut store = Store::open(&self.data_dir)?;
        let stored = store.sentence_vectors()?;
        let loaded = stored.len();
        self.sentences.insert(stored);
        let mut embedded = 0;
        for kind in [Kind::Startup, Kind::Challenge] {
            let texts: Vec<String> = self
                .collection(kind)
                .records
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .values()
                .map(Record::embed_text)
                .collect();
            let mut seen = std::collections::HashSet::new();
            let todo: Vec<(String, String)> = texts
                .iter()
                .flat_map(|t| explain::sentences(t))
                .map(|s| (SentenceCache::key(&self.embedder, kind, &s), s))
                .filter(|(k, _)| !self.sentences.contains(k) && seen.insert(k.clone()))
                .collect();
            for chunk in todo.chunks(64) {
                if self.stopping.load(Ordering::Acquire) {
                    return Ok(());
                }
                let batch: Vec<&str> = chunk.iter().map(|(_, s)| s.as_str()).collect();
                let vectors = self.embedder.embed(&batch, role_for(kind))?;
                let items: Vec<(String, Vec<f32>)> =
                    chunk.iter().map(|(k, _)| k.clone()).zip(vectors).collect();
                store.put_sentence_vectors(&items)?;
                self.sentences.insert(items);
                embedded += chunk.len();
            }
        }
        tracing::info!(loaded, embedded, "sentence vectors for explanations ready");
        Ok(())
    }

    /// Finishes queued work and writes the indexes to disk, so the next start loads them
    /// instead of rebuilding.
    fn shut_down(&self) {
        self.stopping.store(true, Ordering::Release);
        self.queue.shutdown();
        self.audit.close();
        let Ok(store) = self.store() else { return };
        for kind in [Kind::Startup, Kind::Challenge] {
            let key = self.embedder.key(role_for(kind));
            match open_synced(
                &store,
                kind,
                &key,
                self.embedder.dim(),
                &self.data_dir,
                HnswParams::default(),
            ) {
                Ok((_, report)) => {
                    tracing::info!(
                        kind = kind.plural(),
                        saved = report.saved,
                        "index persisted"
                    )
                }
                Err(e) => tracing::error!(kind = kind.plural(), error = %e, "persisting the index"),
            }
        }
    }
}

/// The server: ready once `app` is set.
pub struct Server {
    app: OnceLock<Arc<AppState>>,
    metrics: Arc<Metrics>,
}

impl Server {
    fn app(&self) -> Result<Arc<AppState>, ApiError> {
        self.app.get().cloned().ok_or_else(ApiError::not_ready)
    }
}

pub fn router(server: Arc<Server>, keys: Arc<ApiKeys>) -> Router {
    let metrics = server.metrics.clone();
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/ready", get(ready))
        .route("/metrics", get(render_metrics))
        .route("/v1/openapi.json", get(openapi::openapi_json))
        .route(
            "/v1/challenges/{id}/matches",
            get(matches::challenge_matches),
        )
        .route("/v1/startups/{id}/matches", get(matches::startup_matches))
        .route("/v1/match", post(matches::free_text))
        .route("/v1/feedback", post(feedback::give))
        .route(
            "/v1/{kind}",
            post(records::upsert).layer(DefaultBodyLimit::max(MAX_WRITE_BODY)),
        )
        .route(
            "/v1/{kind}/{id}",
            get(records::get_record).delete(records::delete_record),
        )
        .fallback(|| async { ApiError::not_found("route", "no such route") })
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            metrics::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            keys,
            auth::require_key,
        ))
        .layer(axum::middleware::from_fn(request_id))
        .with_state(server)
}

/// The request id of the current request (set by [`request_id`]).
#[derive(Clone)]
pub struct RequestId(pub String);

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
    req.extensions_mut().insert(RequestId(id.clone()));
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

/// Liveness: the process answers (the model may still be loading).
#[utoipa::path(get, path = "/v1/health", tag = "meta", security(()),
    responses((status = 200, description = "alive", body = serde_json::Value, example = json!({"status": "ok"}))))]
async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// 200 once the model and both indexes are loaded (with what is loaded), 503 before.
#[utoipa::path(get, path = "/v1/ready", tag = "meta", security(()),
    responses(
        (status = 200, description = "ready", body = serde_json::Value,
         example = json!({"ready": true, "model": "multilingual-e5-small", "startups": 300, "challenges": 40})),
        (status = 503, description = "still loading", body = openapi::ErrorBody)))]
async fn ready(State(server): State<Arc<Server>>) -> Result<Json<serde_json::Value>, ApiError> {
    let app = server.app()?;
    Ok(Json(serde_json::json!({
        "ready": true,
        "model": app.embedder.model().info.id,
        "startups": app.startups.dense.snapshot().len(),
        "challenges": app.challenges.dense.snapshot().len(),
    })))
}

async fn render_metrics(State(server): State<Arc<Server>>) -> String {
    if let Some(app) = server.app.get() {
        for kind in [Kind::Startup, Kind::Challenge] {
            server
                .metrics
                .index_records
                .with_label_values(&[kind.plural()])
                .set(app.collection(kind).dense.snapshot().len() as i64);
        }
    }
    server.metrics.render()
}

/// How to run the server.
pub struct ServeConfig {
    pub addr: SocketAddr,
    pub keys: ApiKeys,
    pub data_dir: PathBuf,
    /// Builds the embedder (loads the model); runs in the background after binding.
    pub load: Box<dyn FnOnce() -> anyhow::Result<Embedder> + Send>,
    /// Free-text queries that may wait for the model.
    pub queue_capacity: usize,
    /// Printed once the server is ready (the demo's example request).
    pub banner: Option<String>,
}

/// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests, commits the audit trail
/// and persists the indexes. Prints the bound address first (port 0 picks a free one).
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let bound = listener.local_addr()?;
    if config.keys.is_empty() && !bound.ip().is_loopback() {
        anyhow::bail!(
            "refusing to listen on {bound} without API keys: set --api-key read:KEY / write:KEY (or GOVMATCH_API_KEYS), or listen on 127.0.0.1"
        );
    }
    println!("listening on http://{bound}");
    if config.keys.is_empty() {
        eprintln!("no API keys configured: serving on localhost only, without authentication");
    }
    let metrics = Arc::new(Metrics::new());
    let server = Arc::new(Server {
        app: OnceLock::new(),
        metrics: metrics.clone(),
    });
    let failed: Arc<Mutex<Option<anyhow::Error>>> = Arc::new(Mutex::new(None));
    let stop = Arc::new(tokio::sync::Notify::new());
    {
        let (server, failed, stop) = (server.clone(), failed.clone(), stop.clone());
        let (load, data_dir, banner) = (config.load, config.data_dir, config.banner);
        let limits = QueueLimits {
            capacity: config.queue_capacity.max(1),
            ..QueueLimits::default()
        };
        tokio::task::spawn_blocking(move || {
            let batch_sizes = metrics.batch_sizes.clone();
            let opened = load().and_then(|embedder| {
                AppState::open(embedder, &data_dir, limits, move |n| {
                    batch_sizes.observe(n as f64)
                })
            });
            match opened {
                Ok(app) => {
                    let app = Arc::new(app);
                    let _ = server.app.set(app.clone());
                    std::thread::spawn(move || {
                        if let Err(e) = app.warm_sentences() {
                            tracing::warn!(error = %e, "preparing sentence vectors");
                        }
                    });
                    tracing::info!("ready");
                    if let Some(banner) = banner {
                        println!("{banner}");
                    }
                }
                Err(e) => {
                    *failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    stop.notify_one();
                }
            }
        });
    }
    let shutdown = async move {
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term => {}
            _ = stop.notified() => {}
        }
    };
    axum::serve(listener, router(server.clone(), Arc::new(config.keys)))
        .with_graceful_shutdown(shutdown)
        .await?;
    if let Some(e) = failed.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(e.context("loading the model and indexes"));
    }
    if let Some(app) = server.app.get().cloned() {
        tracing::info!("shutting down: committing the audit trail and saving the indexes");
        tokio::task::spawn_blocking(move || app.shut_down()).await?;
    }
    Ok(())
}
