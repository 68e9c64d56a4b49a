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

/// The request's id, made by the server (unique: a UUIDv7, so ids sort by time and never
/// repeat across restarts), and the caller's own `x-request-id` if it sent a usable one.
#[derive(Clone)]
pub struct RequestId(pub String, pub Option<String>);

/// Longest caller request id kept.
const MAX_CLIENT_ID_CHARS: usize = 128;

/// A caller's `x-request-id`, if it is short printable ASCII: anything else (control
/// characters, quotes meant to forge log fields) is not kept at all.
fn client_request_id(req: &axum::extract::Request) -> Option<String> {
    let v = req.headers().get("x-request-id")?.to_str().ok()?;
    let ok = !v.is_empty()
        && v.len() <= MAX_CLIENT_ID_CHARS
        && v.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    ok.then(|| v.to_string())
}

/// Gives every request a server-made id (the caller's `x-request-id` kept beside it as
/// `x-client-request-id`), logs it with the route, status and time — the caller's id and the
/// path as quoted, escaped values, so they cannot break the log line — and returns it with
/// the time spent as `x-inference-time` (ms).
pub async fn request_id(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let id = uuid::Uuid::now_v7().to_string();
    let client = client_request_id(&req);
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    req.extensions_mut()
        .insert(RequestId(id.clone(), client.clone()));
    let start = std::time::Instant::now();
    let mut res = next.run(req).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(request_id = %id, client_request_id = ?client, %method, path = ?path,
        status = res.status().as_u16(), ms, "request");
    let headers = res.headers_mut();
    if let Ok(v) = axum::http::HeaderValue::from_str(&id) {
        headers.insert("x-request-id", v);
    }
    if let Some(v) = client.and_then(|c| axum::http::HeaderValue::from_str(&c).ok()) {
        headers.insert("x-client-request-id", v);
    }
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!("{ms:.2}")) {
        headers.insert("x-inference-time", v);
    }
    res
}

/// A JSON body, or the API's error (400 syntax, 422 a field, 413 size, 415 type) naming
/// what is wrong. Read by the strict reader ([`govmatch::domain::json`]): a repeated key is
/// refused, a byte-order mark skipped, and a type error names the field's path.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let json_type = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|v| v == "application/json" || v.ends_with("+json"));
        if !json_type {
            return Err(ApiError::unsupported_media_type(
                "Expected request with `Content-Type: application/json`",
            ));
        }
        let body = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|r| {
                if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::too_large(r.body_text())
                } else {
                    ApiError::bad_request("body", r.body_text())
                }
            })?;
        let text = std::str::from_utf8(&body).map_err(|e| {
            ApiError::malformed(format!(
                "body is not valid UTF-8 (byte {})",
                e.valid_up_to()
            ))
        })?;
        govmatch::domain::json::from_str(text)
            .map(JsonBody)
            .map_err(ApiError::from_json)
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
