//! A challenge's shortlist over HTTP, for portals that run their own pipeline views:
//! `GET /v1/challenges/{id}/shortlist` (with the change history) and
//! `PUT /v1/challenges/{id}/shortlist/{startup}` (write scope).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::{Extension, Json};
use govmatch::domain::{ShortlistEntry, Stage};
use serde::{Deserialize, Serialize};

use super::auth::{label, presented_key, ApiKeys};
use super::error::{ApiError, BodyErrors, CommonErrors, ErrorBody};
use super::state::{blocking, JsonBody, Server};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ShortlistResponse {
    challenge: String,
    /// Current state, in the order startups were added.
    shortlist: Vec<ShortlistEntry>,
    /// Every change, oldest first: who moved which startup to which stage, when and why.
    history: Vec<ShortlistEntry>,
}

/// A challenge's shortlist and its history.
#[utoipa::path(get, path = "/v1/challenges/{id}/shortlist", tag = "shortlists",
    params(("id" = String, Path, description = "challenge id")),
    responses(
        (status = 200, description = "the shortlist", body = ShortlistResponse),
        (status = 404, description = "no such challenge", body = ErrorBody),
        CommonErrors,
    ))]
pub async fn get(
    State(server): State<Arc<Server>>,
    Path(id): Path<String>,
) -> Result<Json<ShortlistResponse>, ApiError> {
    blocking(&server, move |service| {
        Ok(Json(ShortlistResponse {
            shortlist: service.shortlist(&id)?,
            history: service.shortlist_history(&id)?,
            challenge: id,
        }))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShortlistBody {
    /// proposed, contacted, pilot, contract or rejected (German names accepted too).
    #[schema(value_type = String)]
    stage: String,
    /// Required when rejecting.
    reason: Option<String>,
    #[serde(default)]
    note: String,
    /// Who is making the change (default: the key's label).
    changed_by: Option<String>,
}

/// Puts a startup on the challenge's shortlist or moves it to another stage.
#[utoipa::path(put, path = "/v1/challenges/{id}/shortlist/{startup}", tag = "shortlists",
    params(
        ("id" = String, Path, description = "challenge id"),
        ("startup" = String, Path, description = "startup id")),
    request_body = ShortlistBody,
    responses(
        (status = 200, description = "stored", body = ShortlistEntry),
        (status = 404, description = "no such challenge or startup", body = ErrorBody),
        BodyErrors,
        CommonErrors,
    ))]
pub async fn put(
    State(server): State<Arc<Server>>,
    Extension(keys): Extension<Arc<ApiKeys>>,
    headers: HeaderMap,
    Path((id, startup)): Path<(String, String)>,
    JsonBody(b): JsonBody<ShortlistBody>,
) -> Result<Json<ShortlistEntry>, ApiError> {
    let stage: Stage = b
        .stage
        .parse()
        .map_err(|e: String| ApiError::invalid("stage", e))?;
    let by = label(&keys, presented_key(&headers).as_deref());
    let changed_by = match b.changed_by.map(|n| n.trim().to_string()) {
        Some(name) if name.chars().count() > 200 => {
            return Err(ApiError::invalid(
                "changed_by",
                "is longer than 200 characters",
            ))
        }
        Some(name) if !name.is_empty() => format!("{name} ({by})"),
        _ => by,
    };
    let entry = ShortlistEntry {
        challenge: id,
        startup,
        stage,
        reason: b.reason,
        note: b.note,
        changed_by,
        changed_at: String::new(),
    };
    blocking(&server, move |service| {
        Ok(Json(service.set_shortlist(entry)?))
    })
    .await
}
