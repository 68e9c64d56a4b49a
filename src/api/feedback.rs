//! `POST /v1/feedback`: an analyst's judgement on one suggested item of a served list. Stored
//! with the request it refers to, so `govmatch feedback export --qrels` can turn judgements
//! into a benchmark.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use govmatch::store::Feedback;
use serde::Deserialize;

use super::error::ApiError;
use super::error::{BodyErrors, CommonErrors, ErrorBody};
use super::state::{blocking, JsonBody, Server};

/// Longest comment kept, in characters.
const MAX_COMMENT_CHARS: usize = 2000;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackBody {
    /// The `request_id` of the match response judged.
    request_id: String,
    /// The id of the suggested record judged.
    item: String,
    /// −1 wrong, 0 not relevant, 1 relevant, 2 highly relevant.
    label: i8,
    comment: Option<String>,
}

/// A judgement of one served match, kept for evaluation (`govmatch feedback export --qrels`).
#[utoipa::path(post, path = "/v1/feedback", tag = "feedback", request_body = FeedbackBody,
    responses(
        CommonErrors,
        BodyErrors,
        (status = 404, description = "unknown request id, or the item was not in its list", body = ErrorBody),
        (status = 201, description = "recorded", body = Ack),
    ))]
pub async fn give(
    State(server): State<Arc<Server>>,
    JsonBody(b): JsonBody<FeedbackBody>,
) -> Result<(StatusCode, Json<Ack>), ApiError> {
    if !(-1..=2).contains(&b.label) {
        return Err(ApiError::invalid(
            "label",
            "must be -1 (wrong), 0 (not relevant), 1 (relevant) or 2 (highly relevant)",
        ));
    }
    if b.comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
    {
        return Err(ApiError::invalid(
            "comment",
            format!("is longer than {MAX_COMMENT_CHARS} characters"),
        ));
    }
    blocking(&server, move |service| {
        service.give_feedback(Feedback {
            request_id: b.request_id,
            item: b.item,
            label: b.label,
            comment: b.comment,
            given_at: None,
        })?;
        Ok((StatusCode::CREATED, Json(Ack { status: "recorded" })))
    })
    .await
}

/// What a write answers.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Ack {
    pub status: &'static str,
}
