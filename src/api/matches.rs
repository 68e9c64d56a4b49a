//! The match routes: a stored challenge's startups, a stored startup's challenges, and free
//! text against either. Each parses, asks the service, and serialises; every served list goes
//! into the audit trail.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::{Extension, Json};
use govmatch::domain::{Kind, Match};
use govmatch::rank::Mode;
use govmatch::service::{Asker, Served};
use serde::Serialize;

use super::error::ApiError;
use super::error::{BodyErrors, CommonErrors, ErrorBody};
use super::params::{FreeText, Narrowing, Ranking};
use super::records::kind_of;
use super::state::{blocking, JsonBody, QueryParams, RequestId, Server};

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

/// Records of the other kind that fit the stored record `id`, ranked, with reasons:
/// startups for a challenge (`/v1/challenges/{id}/matches`), challenges for a startup
/// (`/v1/startups/{id}/matches`).
#[utoipa::path(get, path = "/v1/{kind}/{id}/matches", tag = "matches",
    params(
        ("kind" = String, Path, description = "`challenges` (startups for it) or `startups` (challenges for it)"),
        ("id" = String, Path, description = "record id"),
        Ranking, Narrowing, govmatch::index::Filter),
    responses(
        (status = 200, description = "ranked matches", body = MatchResponse),
        (status = 404, description = "no such record", body = ErrorBody),
        CommonErrors,
    ))]
pub async fn by_record(
    State(server): State<Arc<Server>>,
    Extension(RequestId(request_id, client_id)): Extension<RequestId>,
    Path((kind, id)): Path<(String, String)>,
    QueryParams(ranking): QueryParams<Ranking>,
    QueryParams(narrowing): QueryParams<Narrowing>,
) -> Result<Json<MatchResponse>, ApiError> {
    let source = kind_of(&kind)?;
    let opts = narrowing.options(ranking)?;
    let target = match source {
        Kind::Challenge => Kind::Startup,
        Kind::Startup => Kind::Challenge,
    };
    blocking(&server, move |service| {
        let route = format!("/v1/{}/{{id}}/matches", source.plural());
        let asker = Asker {
            request_id: &request_id,
            client_request_id: client_id.as_deref(),
            route: &route,
        };
        let served = service.match_record(source, &id, target, &opts, Some(asker))?;
        Ok(Json(MatchResponse::new(request_id, served)))
    })
    .await
}

/// Records that fit a free text (a challenge draft or a startup description).
#[utoipa::path(post, path = "/v1/match", tag = "matches", request_body = FreeText,
    responses(
        (status = 200, description = "ranked matches", body = MatchResponse),
        (status = 429, description = "embedding queue full; retry after `Retry-After`", body = ErrorBody),
        BodyErrors,
        CommonErrors,
    ))]
pub async fn free_text(
    State(server): State<Arc<Server>>,
    Extension(RequestId(request_id, client_id)): Extension<RequestId>,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> Result<Json<MatchResponse>, ApiError> {
    let (text, target, opts) = FreeText::parse(body)?;
    blocking(&server, move |service| {
        let asker = Asker {
            request_id: &request_id,
            client_request_id: client_id.as_deref(),
            route: "/v1/match",
        };
        let served = service.match_text(&text, target, &opts, Some(asker))?;
        Ok(Json(MatchResponse::new(request_id, served)))
    })
    .await
}
