//! The routes about the server itself: liveness, readiness, metrics and this API's
//! description.

use std::sync::Arc;

use axum::extract::State;
use axum::{Extension, Json};
use govmatch::domain::Kind;

use super::error::ApiError;
use super::error::ErrorBody;
use super::state::Server;

/// Liveness: the process answers (the model may still be loading).
#[utoipa::path(get, path = "/v1/health", tag = "meta", security(()),
    responses((status = 200, description = "alive", body = serde_json::Value, example = json!({"status": "ok"}))))]
pub async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// 200 once the model and both indexes are loaded (with what is loaded), 503 before.
#[utoipa::path(get, path = "/v1/ready", tag = "meta", security(()),
    responses(
        (status = 200, description = "ready", body = serde_json::Value,
         example = json!({"ready": true, "model": "multilingual-e5-small", "startups": 300, "challenges": 40})),
        (status = 503, description = "still loading", body = ErrorBody)))]
pub async fn ready(State(server): State<Arc<Server>>) -> Result<Json<serde_json::Value>, ApiError> {
    let service = server.service()?;
    Ok(Json(serde_json::json!({
        "ready": true,
        "model": service.model_id(),
        "startups": service.len(Kind::Startup),
        "challenges": service.len(Kind::Challenge),
    })))
}

/// Prometheus metrics: requests by route and status, latencies, embedding batch sizes,
/// records per index.
#[utoipa::path(get, path = "/metrics", tag = "meta",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn render_metrics(State(server): State<Arc<Server>>) -> String {
    if let Some(service) = server.loaded() {
        for kind in [Kind::Startup, Kind::Challenge] {
            server
                .metrics
                .index_records
                .with_label_values(&[kind.plural()])
                .set(service.len(kind) as i64);
        }
    }
    server.metrics.render()
}

/// This description (generated from the routes, so every route is in it).
#[utoipa::path(get, path = "/v1/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json(
    Extension(doc): Extension<Arc<utoipa::openapi::OpenApi>>,
) -> Json<utoipa::openapi::OpenApi> {
    Json((*doc).clone())
}
