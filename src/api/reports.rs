//! `GET /v1/reports/exposure`: how evenly the served lists of all open challenges expose the
//! startups (the figures of `govmatch report exposure`), for a portal's or auditor's
//! dashboard.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use govmatch::service::ExposureReport;

use super::error::ApiError;
use super::error::CommonErrors;
use super::params::{Narrowing, Ranking};
use super::state::{blocking, QueryParams, Server};

/// Exposure of startups over the top k of every open challenge's list, with and without hub
/// reduction: Gini, top 1%/10% share, never shown, breakdowns by region, stage, country and
/// language. Ranks every open challenge once per run (seconds on thousands of challenges).
#[utoipa::path(get, path = "/v1/reports/exposure", tag = "reports",
    params(Ranking, Narrowing, govmatch::index::Filter),
    responses(
        (status = 200, description = "exposure figures", body = ExposureReport),
        CommonErrors,
    ))]
pub async fn exposure(
    State(server): State<Arc<Server>>,
    QueryParams(ranking): QueryParams<Ranking>,
    QueryParams(narrowing): QueryParams<Narrowing>,
) -> Result<Json<ExposureReport>, ApiError> {
    let opts = narrowing.options(ranking)?;
    blocking(&server, move |service| {
        Ok(Json(service.exposure_cached(&opts)?.as_ref().clone()))
    })
    .await
}
