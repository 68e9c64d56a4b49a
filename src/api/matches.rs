//! The match routes: a stored challenge's startups, a stored startup's challenges, and free
//! text against either. Every served list goes into the audit trail.

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use govmatch::domain::{Kind, Match};
use govmatch::embed::queue::QueueError;
use govmatch::embed::Role;
use govmatch::index::Filter;
use govmatch::rank::{self, Catalog, Mode, RankError, RankOptions};
use govmatch::store::{AuditEntry, AuditResult};
use serde::{Deserialize, Serialize};

use super::audit::{now, today};
use super::{ApiError, AppState, RequestId, Server};

/// Most results one request may ask for.
const MAX_K: usize = 1000;

/// Longest free-text query accepted, in characters.
const MAX_QUERY_CHARS: usize = 20_000;

/// Query parameters of the id-based match routes; lists are comma-separated.
#[derive(Debug, Deserialize, Serialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MatchParams {
    /// How many matches (1–1000, default 10).
    k: Option<usize>,
    exact: Option<bool>,
    ef: Option<usize>,
    mode: Option<Mode>,
    diversity: Option<f32>,
    min_score: Option<f32>,
    /// Ids of good examples (comma-separated) to steer towards.
    like: Option<String>,
    unlike: Option<String>,
    explain: Option<bool>,
    /// Demote profiles close to every challenge (default true; see README "Ranking quality").
    hub_reduction: Option<bool>,
    region: Option<String>,
    stage: Option<String>,
    sector: Option<String>,
    language: Option<String>,
    status: Option<String>,
    deadline_from: Option<String>,
    /// Only open calls whose deadline has not passed (status=open, deadline_from=today).
    open: Option<bool>,
}

fn list(v: &Option<String>) -> Vec<String> {
    v.iter()
        .flat_map(|s| s.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn check_k(k: Option<usize>) -> Result<usize, ApiError> {
    match k.unwrap_or(10) {
        0 => Err(ApiError::invalid("k", "must be at least 1")),
        k if k > MAX_K => Err(ApiError::invalid("k", format!("must be at most {MAX_K}"))),
        k => Ok(k),
    }
}

fn check_date(field: &str, d: &Option<String>) -> Result<(), ApiError> {
    match d {
        Some(d)
            if d.len() != 10
                || !d.chars().enumerate().all(|(i, c)| {
                    if i == 4 || i == 7 {
                        c == '-'
                    } else {
                        c.is_ascii_digit()
                    }
                }) =>
        {
            Err(ApiError::invalid(field, "must be a date YYYY-MM-DD"))
        }
        _ => Ok(()),
    }
}

impl MatchParams {
    fn options(&self) -> Result<RankOptions, ApiError> {
        let mut filter = Filter {
            region: list(&self.region),
            stage: list(&self.stage),
            sectors: list(&self.sector),
            language: list(&self.language),
            status: list(&self.status),
            deadline_from: self.deadline_from.clone(),
        };
        check_date("deadline_from", &filter.deadline_from)?;
        if self.open == Some(true) {
            filter.status = vec!["open".into()];
            filter.deadline_from.get_or_insert_with(today);
        }
        options(Body {
            k: self.k,
            exact: self.exact.unwrap_or(false),
            ef: self.ef,
            mode: self.mode,
            diversity: self.diversity,
            min_score: self.min_score,
            like: list(&self.like),
            unlike: list(&self.unlike),
            explain: self.explain,
            hub_reduction: self.hub_reduction,
            filter,
        })
    }
}

/// The ranking parameters every route shares, before checking.
struct Body {
    k: Option<usize>,
    exact: bool,
    ef: Option<usize>,
    mode: Option<Mode>,
    diversity: Option<f32>,
    min_score: Option<f32>,
    like: Vec<String>,
    unlike: Vec<String>,
    explain: Option<bool>,
    hub_reduction: Option<bool>,
    filter: Filter,
}

fn options(b: Body) -> Result<RankOptions, ApiError> {
    let diversity = b.diversity.unwrap_or(0.0);
    if !(0.0..=1.0).contains(&diversity) {
        return Err(ApiError::invalid("diversity", "must be between 0 and 1"));
    }
    if let Some(ef) = b.ef {
        if !(1..=10_000).contains(&ef) {
            return Err(ApiError::invalid("ef", "must be between 1 and 10000"));
        }
    }
    Ok(RankOptions {
        k: check_k(b.k)?,
        mode: b.mode.unwrap_or_default(),
        filter: b.filter,
        exact: b.exact,
        ef: b.ef,
        min_score: b.min_score,
        diversity,
        like: b.like,
        unlike: b.unlike,
        explain: b.explain.unwrap_or(true),
        lexical_weight: govmatch::rank::DEFAULT_LEXICAL_WEIGHT,
        hub_reduction: b.hub_reduction.unwrap_or(true),
    })
}

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

fn rank_error(e: RankError) -> ApiError {
    match e {
        RankError::UnknownExample { field, .. } => ApiError::invalid(field, e.to_string()),
        RankError::OutOfRange(field) => ApiError::invalid(field, "must be between 0 and 1"),
        other => ApiError::internal(other.to_string()),
    }
}

/// What was asked, for ranking and for the audit trail.
struct Asked {
    text: String,
    vector: Option<Vec<f32>>,
    facets: Option<govmatch::index::Facets>,
    audit_query: serde_json::Value,
}

fn run(
    app: &AppState,
    request_id: String,
    route: &str,
    target: Kind,
    asked: Asked,
    opts: RankOptions,
) -> Result<MatchResponse, ApiError> {
    let collection = app.collection(target);
    let snapshot = collection.dense.snapshot();
    let lookup = |id: &str| app.record(target, id);
    let hubness = app.hubness(target);
    let catalog = Catalog {
        kind: target,
        dense: &snapshot,
        lexical: &collection.lexical,
        record: &lookup,
        hubness: Some(&hubness),
    };
    let query = rank::Query {
        text: &asked.text,
        vector: asked.vector,
        facets: asked.facets,
    };
    let matches = rank::rank(Some(&app.embedder), &app.sentences, &query, &catalog, &opts)
        .map_err(rank_error)?;
    let model = app.embedder.model().info.id.clone();
    let index_version = format!("{}@{}", target.plural(), snapshot.version());
    app.audit.record(AuditEntry {
        request_id: request_id.clone(),
        served_at: now(),
        route: route.to_string(),
        model: model.clone(),
        index_version: index_version.clone(),
        query: asked.audit_query,
        params: serde_json::to_value(&opts).unwrap_or_default(),
        results: matches
            .iter()
            .map(|m| AuditResult {
                id: m.id.clone(),
                score: m.score,
            })
            .collect(),
    });
    Ok(MatchResponse {
        request_id,
        model,
        kind: target.plural(),
        mode: opts.mode,
        index_version,
        matches,
    })
}

/// Records of `target` for the stored record `id` of `source`.
async fn by_record(
    server: Arc<Server>,
    request_id: String,
    source: Kind,
    target: Kind,
    id: String,
    params: MatchParams,
) -> Result<Json<MatchResponse>, ApiError> {
    let opts = params.options()?;
    let app = server.app()?;
    tokio::task::spawn_blocking(move || {
        let not_found =
            || ApiError::not_found("id", format!("no {} with id `{id}`", source.plural()));
        let (entry, vector) = app
            .collection(source)
            .dense
            .snapshot()
            .get(&id)
            .ok_or_else(not_found)?;
        let record = app.record(source, &id).ok_or_else(not_found)?;
        let asked = Asked {
            text: record.embed_text(),
            vector: Some(vector),
            facets: Some(entry.facets),
            audit_query: serde_json::json!({"kind": source.plural(), "id": id}),
        };
        let route = format!("/v1/{}/{{id}}/matches", source.plural());
        run(&app, request_id, &route, target, asked, opts).map(Json)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
}

/// Startups that fit the stored challenge `id`, ranked, with reasons.
#[utoipa::path(get, path = "/v1/challenges/{id}/matches", tag = "matches",
    params(("id" = String, Path, description = "record id"), MatchParams),
    responses(
        (status = 200, description = "ranked matches", body = MatchResponse),
        (status = 404, description = "no such record", body = super::openapi::ErrorBody),
        super::openapi::CommonErrors,
    ))]
pub async fn challenge_matches(
    State(server): State<Arc<Server>>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Path(id): Path<String>,
    params: Result<Query<MatchParams>, QueryRejection>,
) -> Result<Json<MatchResponse>, ApiError> {
    let Query(params) = params.map_err(ApiError::from_query_rejection)?;
    by_record(
        server,
        request_id,
        Kind::Challenge,
        Kind::Startup,
        id,
        params,
    )
    .await
}

/// Challenges the stored startup `id` fits, ranked, with reasons.
#[utoipa::path(get, path = "/v1/startups/{id}/matches", tag = "matches",
    params(("id" = String, Path, description = "record id"), MatchParams),
    responses(
        (status = 200, description = "ranked matches", body = MatchResponse),
        (status = 404, description = "no such record", body = super::openapi::ErrorBody),
        super::openapi::CommonErrors,
    ))]
pub async fn startup_matches(
    State(server): State<Arc<Server>>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Path(id): Path<String>,
    params: Result<Query<MatchParams>, QueryRejection>,
) -> Result<Json<MatchResponse>, ApiError> {
    let Query(params) = params.map_err(ApiError::from_query_rejection)?;
    by_record(
        server,
        request_id,
        Kind::Startup,
        Kind::Challenge,
        id,
        params,
    )
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
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
    ef: Option<usize>,
    mode: Option<Mode>,
    diversity: Option<f32>,
    min_score: Option<f32>,
    #[serde(default)]
    like: Vec<String>,
    #[serde(default)]
    unlike: Vec<String>,
    explain: Option<bool>,
    /// Demote records close to everything on the other side (default true).
    hub_reduction: Option<bool>,
}

/// Records that fit a free text (a challenge draft or a startup description).
#[utoipa::path(post, path = "/v1/match", tag = "matches", request_body = FreeText,
    responses(
        (status = 200, description = "ranked matches", body = MatchResponse),
        (status = 413, description = "body too large", body = super::openapi::ErrorBody),
        (status = 422, description = "invalid body", body = super::openapi::ErrorBody),
        (status = 429, description = "embedding queue full; retry after `Retry-After`", body = super::openapi::ErrorBody),
        super::openapi::CommonErrors,
    ))]
pub async fn free_text(
    State(server): State<Arc<Server>>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    body: Result<Json<FreeText>, JsonRejection>,
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
    check_date("filter.deadline_from", &req.filter.deadline_from)?;
    let opts = options(Body {
        k: req.k,
        exact: req.exact,
        ef: req.ef,
        mode: req.mode,
        diversity: req.diversity,
        min_score: req.min_score,
        like: req.like,
        unlike: req.unlike,
        explain: req.explain,
        hub_reduction: req.hub_reduction,
        filter: req.filter,
    })?;
    let app = server.app()?;
    let target = req.kind.unwrap_or(Kind::Startup);
    let text = req.text;
    tokio::task::spawn_blocking(move || {
        // Lexical lists without explanations need no vector: skip the model.
        let needs_vector = opts.mode != Mode::Lexical || opts.explain;
        let vector = if needs_vector {
            Some(app.queue.embed(&text, Role::Query).map_err(|e| match e {
                QueueError::Full(_) => ApiError::busy(e.to_string()),
                other => ApiError::internal(other.to_string()),
            })?)
        } else {
            None
        };
        let asked = Asked {
            audit_query: serde_json::json!({"text": text}),
            text,
            vector,
            facets: None,
        };
        run(&app, request_id, "/v1/match", target, asked, opts).map(Json)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
}
