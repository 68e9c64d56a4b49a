//! The match routes: a stored challenge's startups, a stored startup's challenges, and free
//! text against either. Each parses, asks the service, and serialises; every served list goes
//! into the audit trail.

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use govmatch::domain::{Kind, Match};
use govmatch::rank::Mode;
use govmatch::service::{Asker, Served};
use serde::Serialize;

use super::error::{CommonErrors, ErrorBody};
use super::params::{FreeText, MatchParams};
use super::state::{blocking, RequestId, Server};
use super::ApiError;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MatchResponse {
    request_id: String,
    model: String,
    /// What was searched: "startups" or "challenges".
    kind: &'static str,
    mode: Mode,
    /// The index state that answered; the audit trail records it too.
    index_version: String,
    matches: Vec<Match>,
}

impl MatchResponse {
    fn new(request_id: String, served: Served) -> Self {
        MatchResponse {
            request_id,
            model: served.model,
            kind: served.kind.plural(),
            mode: served.mode,
            index_version: served.index_version,
            matches: served.matches,
        }
    }
}

/// Records of the other kind for the stored record `id` of `source`.
async fn by_record(
    server: Arc<Server>,
    RequestId(request_id): RequestId,
    source: Kind,
    id: String,
    params: Result<Query<MatchParams>, QueryRejection>,
) -> Result<Json<MatchResponse>, ApiError> {
    let Query(params) = params.map_err(ApiError::from_query_rejection)?;
    let opts = params.options()?;
    let target = match source {
        Kind::Challenge => Kind::Startup,
        Kind::Startup => Kind::Challenge,
    };
    blocking(&server, move |service| {
        let route = format!("/v1/{}/{{id}}/matches", source.plural());
        let asker = Asker {
            request_id: &request_id,
            route: &route,
        };
        let served = service.match_record(source, &id, target, &opts, Some(asker))?;
        Ok(Json(MatchResponse::new(request_id, served)))
    })
    .await
}

/// Startups that fit the stored challenge `id`, ranked, with reasons.
#[utoipa::path(get, path = "/v1/challenges/{id}/matches", tag = "matches",
    params(("id" = String, Path, description = "record id"), MatchParams, govmatch::index::Filter),
    responses(
        (status = 200, description = "ranked matches", body = MatchResponse),
        (status = 404, description = "no such record", body = ErrorBody),
        CommonErrors,
    ))]
pub async fn challenge_matches(
    State(server): State<Arc<Server>>,
    Extension(request_id): Extension<RequestId>,
    Path(id): Path<String>,
    params: Result<Query<MatchParams>, QueryRejection>,
) -> Result<Json<MatchResponse>, ApiError> {
    by_record(server, request_id, Kind::Challenge, id, params).await
}

/// Challenges the stored startup `id` fits, ranked, with reasons.
#[utoipa::path(get, path = "/v1/startups/{id}/matches", tag = "matches",
    params(("id" = String, Path, description = "record id"), MatchParams, govmatch::index::Filter),
    responses(
        (status = 200, description = "ranked matches", body = MatchResponse),
        (status = 404, description = "no such record", body = ErrorBody),
        CommonErrors,
    ))]
pub async fn startup_matches(
    State(server): State<Arc<Server>>,
    Extension(request_id): Extension<RequestId>,
    Path(id): Path<String>,
    params: Result<Query<MatchParams>, QueryRejection>,
) -> Result<Json<MatchResponse>, ApiError> {
    by_record(server, request_id, Kind::Startup, id, params).await
}

/// Records that fit a free text (a challenge draft or a startup description).
#[utoipa::path(post, path = "/v1/match", tag = "matches", request_body = FreeText,
    responses(
        (status = 200, description = "ranked matches", body = MatchResponse),
        (status = 413, description = "body too large", body = ErrorBody),
        (status = 422, description = "invalid body", body = ErrorBody),
        (status = 429, description = "embedding queue full; retry after `Retry-After`", body = ErrorBody),
        CommonErrors,
    ))]
pub async fn free_text(
    State(server): State<Arc<Server>>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    body: Result<Json<FreeText>, JsonRejection>,
) -> Result<Json<MatchResponse>, ApiError> {
    let Json(req) = body.map_err(ApiError::from_json_rejection)?;
    let (text, target, opts) = req.parse()?;
    blocking(&server, move |service| {
        let asker = Asker {
            request_id: &request_id,
            route: "/v1/match",
        };
        let served = service.match_text(&text, target, &opts, Some(asker))?;
        Ok(Json(MatchResponse::new(request_id, served)))
    })
    .await
}
