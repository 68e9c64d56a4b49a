//! Catalogue writes and reads: one record as JSON, many as NDJSON (one record per line,
//! `Content-Type: application/x-ndjson`), delete and get by id.

use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Extension;
use axum::Json;
use govmatch::domain::{json, Kind, Record};

use super::auth::{label, presented_key, ApiKeys};
use super::error::ApiError;
use super::error::{CommonErrors, ErrorBody};
use super::state::{blocking, blocking_write, Server};

pub fn kind_of(segment: &str) -> Result<Kind, ApiError> {
    match segment {
        "startups" => Ok(Kind::Startup),
        "challenges" => Ok(Kind::Challenge),
        _ => Err(ApiError::not_found(
            "kind",
            format!("no collection `{segment}` (startups, challenges)"),
        )),
    }
}

/// One stored record, as it was sent.
#[utoipa::path(get, path = "/v1/{kind}/{id}", tag = "records",
    params(("kind" = String, Path, description = "`startups` or `challenges`"),
           ("id" = String, Path, description = "record id")),
    responses(
        (status = 200, description = "the record (a Startup or a Challenge)", body = serde_json::Value),
        (status = 404, description = "no such record or collection", body = ErrorBody),
        CommonErrors,
    ))]
pub async fn get_record(
    State(server): State<Arc<Server>>,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let kind = kind_of(&kind)?;
    blocking(&server, move |service| {
        Ok(Json(service.stored_json(kind, &id)?))
    })
    .await
}

/// A body line that could not be stored.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LineError {
    line: usize,
    field: Option<String>,
    message: String,
}

fn to_json(v: impl serde::Serialize) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(|e| ApiError::internal(e.to_string()))
}

/// Bad lines listed in one answer; the rest are counted (`rejected`, `errors_omitted`), so a
/// body of bad lines never makes a bigger answer than itself.
pub const MAX_LISTED_ERRORS: usize = 100;

/// Stored or bulk-loaded records: the per-line outcome of an NDJSON upsert.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct BulkResult {
    stored: usize,
    created: usize,
    updated: usize,
    unchanged: usize,
    rejected: usize,
    /// The first bad lines (at most 100), in body order.
    errors: Vec<LineError>,
    /// Bad lines counted in `rejected` but not listed in `errors`.
    errors_omitted: usize,
}

/// The outcome of a single-record upsert.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Stored {
    id: String,
    /// `created`, `updated` or `unchanged`.
    status: &'static str,
}

/// Creates or replaces records. JSON: one record (201 created / 200 updated). NDJSON: the
/// valid lines are stored in one transaction — all of them or, on a failure, none — and the
/// bad lines reported with number and field, the first 100 listed (200 when all were
/// stored, 207 when some lines were refused, 422 when none could be). A 5xx stored nothing.
#[utoipa::path(post, path = "/v1/{kind}", tag = "records",
    params(("kind" = String, Path, description = "`startups` or `challenges`")),
    request_body(description = "one Startup/Challenge as application/json, or many as application/x-ndjson (one per line)",
        content((govmatch::domain::Startup = "application/json"), (String = "application/x-ndjson"))),
    responses(
        (status = 201, description = "one record created", body = Stored),
        (status = 200, description = "record updated or unchanged; or every NDJSON line stored", body = BulkResult),
        (status = 207, description = "NDJSON: some lines stored, the others listed in `errors`", body = BulkResult),
        (status = 415, description = "neither JSON nor NDJSON", body = ErrorBody),
        (status = 422, description = "invalid record (field named), or no NDJSON line could be stored", body = BulkResult),
        (status = 413, description = "body over 32 MiB", body = ErrorBody),
        CommonErrors,
    ))]
pub async fn upsert(
    State(server): State<Arc<Server>>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let kind = kind_of(&kind)?;
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(r.body_text())
        } else {
            ApiError::bad_request("body", r.body_text())
        }
    })?;
    match content_type.as_str() {
        "application/json" => {
            let value: serde_json::Value = parse_json(&body)?;
            let record = Record::from_value(kind, value)
                .map_err(|(field, message)| ApiError::invalid_record(field, message))?;
            blocking_write(&server, move |service| {
                let counts = service
                    .upsert(kind, std::slice::from_ref(&record))
                    .map_err(|e| ApiError::from(e).nothing_stored())?
                    .stored;
                let (status, word) = if counts.inserted > 0 {
                    (StatusCode::CREATED, "created")
                } else if counts.updated > 0 {
                    (StatusCode::OK, "updated")
                } else {
                    (StatusCode::OK, "unchanged")
                };
                Ok((
                    status,
                    Json(to_json(Stored {
                        id: record.id().to_string(),
                        status: word,
                    })?),
                ))
            })
            .await
        }
        "application/x-ndjson" | "application/jsonl" => {
            let (records, errors, rejected) = parse_lines(kind, &body);
            blocking_write(&server, move |service| {
                let n = records.len();
                let counts = if n > 0 {
                    service
                        .upsert(kind, &records)
                        .map_err(|e| ApiError::from(e).nothing_stored())?
                        .stored
                } else {
                    Default::default()
                };
                // 207: some lines stored, some rejected; the body says which.
                let status = match (n, rejected == 0) {
                    (0, false) => StatusCode::UNPROCESSABLE_ENTITY,
                    (_, false) => StatusCode::MULTI_STATUS,
                    _ => StatusCode::OK,
                };
                Ok((
                    status,
                    Json(to_json(BulkResult {
                        stored: n,
                        created: counts.inserted,
                        updated: counts.updated,
                        unchanged: counts.unchanged,
                        rejected,
                        errors_omitted: rejected - errors.len(),
                        errors,
                    })?),
                ))
            })
            .await
        }
        other => Err(ApiError::unsupported_media_type(format!(
            "Content-Type `{other}`: send application/json (one record) or application/x-ndjson (one per line)"
        ))),
    }
}

/// JSON body → value: 400 for broken syntax or encoding, with the position; 422 naming a
/// repeated key.
fn parse_json(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        ApiError::malformed(format!(
            "body is not valid UTF-8 (byte {})",
            e.valid_up_to()
        ))
    })?;
    json::parse(text).map_err(ApiError::from_json)
}

/// The records of an NDJSON body, the first [`MAX_LISTED_ERRORS`] bad lines, and how many
/// lines were bad in all.
fn parse_lines(kind: Kind, body: &[u8]) -> (Vec<Record>, Vec<LineError>, usize) {
    let mut records = Vec::new();
    let mut errors = Vec::new();
    let mut rejected = 0;
    let mut seen = HashSet::new();
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    let mut push = |errors: &mut Vec<LineError>, e: LineError| {
        rejected += 1;
        if errors.len() < MAX_LISTED_ERRORS {
            errors.push(e);
        }
    };
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        let line_no = i + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let fail = |field: Option<String>, message: String| LineError {
            line: line_no,
            field,
            message,
        };
        let value = match std::str::from_utf8(line) {
            Err(e) => {
                push(
                    &mut errors,
                    fail(None, format!("not valid UTF-8 (byte {})", e.valid_up_to())),
                );
                continue;
            }
            Ok(text) => match json::parse(text) {
                Ok(v) => v,
                Err(e) => {
                    push(
                        &mut errors,
                        fail(e.field().map(str::to_string), e.to_string()),
                    );
                    continue;
                }
            },
        };
        match Record::from_value(kind, value) {
            Ok(record) if !seen.insert(record.id().to_string()) => push(
                &mut errors,
                fail(
                    Some("id".into()),
                    format!("duplicate id `{}` in this body", record.id()),
                ),
            ),
            Ok(record) => records.push(record),
            Err((field, message)) => push(&mut errors, fail(field, message)),
        }
    }
    (records, errors, rejected)
}

/// Removes a record from the store and both indexes.
#[utoipa::path(delete, path = "/v1/{kind}/{id}", tag = "records",
    params(("kind" = String, Path, description = "`startups` or `challenges`"),
           ("id" = String, Path, description = "record id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 404, description = "no such record or collection", body = ErrorBody),
        CommonErrors,
    ))]
pub async fn delete_record(
    State(server): State<Arc<Server>>,
    Extension(keys): Extension<Arc<ApiKeys>>,
    headers: HeaderMap,
    Path((kind, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let kind = kind_of(&kind)?;
    let actor = label(&keys, presented_key(&headers).as_deref());
    blocking_write(&server, move |service| {
        service.delete(kind, &id, &actor)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}
