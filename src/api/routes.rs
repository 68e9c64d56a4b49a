//! The router: each route is declared once, in the group whose scope it needs; the OpenAPI
//! path list is collected from these same declarations. A new route is its handler plus one
//! line here.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::{Extension, Router};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{require_key, ApiKeys, Guard, Scope};
use super::error::ApiError;
use super::openapi::ApiDoc;
use super::state::{request_id, Server};
use super::{feedback, matches, meta, metrics, records, reports, shortlist};

/// Largest body for record writes (bulk NDJSON); other routes keep axum's 2 MB.
const MAX_WRITE_BODY: usize = 32 << 20;

pub fn router(server: Arc<Server>, keys: Arc<ApiKeys>) -> Router {
    let guard = |scope| {
        from_fn_with_state(
            Guard {
                keys: keys.clone(),
                scope,
            },
            require_key,
        )
    };
    let public = OpenApiRouter::new()
        .routes(routes!(meta::health))
        .routes(routes!(meta::ready))
        .routes(routes!(meta::openapi_json));
    let read = OpenApiRouter::new()
        .routes(routes!(meta::render_metrics))
        .routes(routes!(matches::by_record))
        .routes(routes!(matches::free_text))
        .routes(routes!(records::get_record))
        .routes(routes!(reports::exposure))
        .routes(routes!(shortlist::get))
        .route_layer(guard(Scope::Read));
    let bulk = OpenApiRouter::new()
        .routes(routes!(records::upsert))
        .layer(DefaultBodyLimit::max(MAX_WRITE_BODY));
    let write = OpenApiRouter::new()
        .routes(routes!(feedback::give))
        .routes(routes!(records::delete_record))
        .routes(routes!(shortlist::put))
        .merge(bulk)
        .route_layer(guard(Scope::Write));
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(public)
        .merge(read)
        .merge(write)
        .split_for_parts();
    let metrics = server.metrics.clone();
    router
        .merge(crate::web::router(server.clone(), keys.clone()))
        .fallback(|| async { ApiError::not_found("route", "no such route") })
        .layer(Extension(Arc::new(doc)))
        .layer(Extension(keys))
        .layer(from_fn_with_state(metrics, metrics::track))
        .layer(from_fn(request_id))
        .with_state(server)
}
