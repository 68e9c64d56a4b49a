//! What every handler shares: the service once it is loaded, metrics, the request id, and
//! the one way handlers run blocking work.

use std::sync::{Arc, OnceLock};

use govmatch::service::Service;

use super::error::ApiError;
use super::metrics::Metrics;

/// Writes waiting or running at once; more get 429 with `Retry-After` (writes run one at a
/// time under the store lock, so a deeper queue only holds memory).
pub const MAX_PENDING_WRITES: usize = 64;

/// The server: ready once `service` is set.
pub struct Server {
    service: OnceLock<Arc<Service>>,
    pub metrics: Arc<Metrics>,
    writes: Arc<tokio::sync::Semaphore>,
}

impl Server {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Server {
            service: OnceLock::new(),
            metrics,
            writes: Arc::new(tokio::sync::Semaphore::new(MAX_PENDING_WRITES)),
        }
    }

    /// The service, or 503 while it is still loading.
    pub fn service(&self) -> Result<Arc<Service>, ApiError> {
        self.service.get().cloned().ok_or_else(ApiError::not_ready)
    }

    pub fn loaded(&self) -> Option<&Arc<Service>> {
        self.service.get()
    }

    pub fn set(&self, service: Arc<Service>) {
        let _ = self.service.set(service);
    }
}

/// Runs `f` with the service on tokio's blocking pool (CPU work never runs on the async
/// workers), turning its error into the HTTP answer.
pub async fn blocking<T: Send + 'static>(
    server: &Server,
    f: impl FnOnce(&Service) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let service = server.service()?;
    tokio::task::spawn_blocking(move || f(&service))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
}

/// [`blocking`] for a write: refused with 429 while [`MAX_PENDING_WRITES`] are pending.
pub async fn blocking_write<T: Send + 'static>(
    server: &Server,
    f: impl FnOnce(&Service) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let Ok(_permit) = server.writes.clone().try_acquire_owned() else {
        return Err(ApiError::busy(format!(
            "{MAX_PENDING_WRITES} writes are already waiting; retry shortly"
        )));
    };
    blocking(server, f).await
}

/// The request id of the current request (set by [`request_id`]).
#[derive(Clone)]
pub struct RequestId(pub String);

/// Gives every request an id (the caller's `x-request-id`, or a new one), logs it with the
/// route, status and time, and returns it with the time spent as `x-inference-time` (ms).
pub async fn request_id(
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

/// A JSON body, or the API's error (400 syntax, 422 a field, 413 size) naming what is wrong.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(v)| JsonBody(v))
            .map_err(ApiError::from_json_rejection)
    }
}

/// Query parameters, or the API's 400 naming the parameter.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequestParts<S>
    for QueryParams<T>
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| QueryParams(v))
            .map_err(ApiError::from_query_rejection)
    }
}
