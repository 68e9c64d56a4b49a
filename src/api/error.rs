//! Errors as JSON: `{"error": {"code", "message", "field"}}` with the matching status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use govmatch::rank::RankError;
use govmatch::service::ServiceError;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message a person reads (the field is already named in it).
    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid",
            message: format!("{field} {}", message.into()),
            field: Some(field.to_string()),
        }
    }

    /// A record that fails validation; `field` is None when the problem is the whole body.
    pub fn invalid_record(field: Option<String>, message: String) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_record",
            message,
            field,
        }
    }

    pub fn not_found(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.into(),
            field: Some(field.to_string()),
        }
    }

    fn plain(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        Self::plain(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        Self::plain(StatusCode::BAD_REQUEST, "malformed", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::plain(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::plain(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// The embedding queue is full: the client should retry shortly.
    pub fn busy(message: impl Into<String>) -> Self {
        Self::plain(StatusCode::TOO_MANY_REQUESTS, "busy", message)
    }

    /// The model or indexes are still loading.
    pub fn not_ready() -> Self {
        Self::plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "the model and indexes are still loading; retry shortly",
        )
    }

    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
            field: Some(field.to_string()),
        }
    }

    /// A query parameter that is unknown or cannot be read.
    pub fn bad_parameter(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_parameter",
            message: message.into(),
            field: Some(field.to_string()),
        }
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, "content_type", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: message.into(),
            field: None,
        }
    }

    /// A failed write: the answer says that nothing of it was stored (writes are one
    /// transaction), so a caller knows to send it all again.
    pub fn nothing_stored(mut self) -> Self {
        self.message = format!("nothing was stored: {}", self.message);
        self
    }

    /// A body the strict JSON reader refused: 400 for syntax, 422 naming the field of a
    /// repeated key, an out-of-range number or a wrong type.
    pub fn from_json(e: govmatch::domain::json::JsonError) -> Self {
        use govmatch::domain::json::JsonError;
        match e {
            JsonError::Syntax { field, message } => ApiError {
                status: StatusCode::BAD_REQUEST,
                code: "malformed",
                message: format!("invalid JSON: {message}"),
                field,
            },
            JsonError::Field { field, message } => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid",
                message: format!("{field}: {message}"),
                field: Some(field),
            },
        }
    }
}

impl ApiError {
    /// Unknown or mistyped query parameters.
    pub fn from_query_rejection(r: axum::extract::rejection::QueryRejection) -> Self {
        let message = r.body_text();
        // "…query string: mode: unknown variant `x`…" names the field before a colon;
        // "…unknown field `colour`…" names it in backticks.
        let detail = message
            .split_once("query string: ")
            .map_or(message.as_str(), |(_, d)| d);
        let field = match detail.split_once(": ") {
            Some((name, _)) if !name.contains(' ') && !name.contains('`') => Some(name.to_string()),
            _ => detail.split('`').nth(1).map(str::to_string),
        };
        // A value of the wrong form (`k=-1`, `mode=fuzzy`) is invalid as it would be in a JSON
        // body: 422 `invalid`. A parameter that cannot be placed (duplicated) stays 400.
        let (status, code) = if detail.contains("duplicate field") {
            (StatusCode::BAD_REQUEST, "bad_parameter")
        } else {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
        };
        ApiError {
            status,
            code,
            message,
            field,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message, "field": self.field}});
        let mut response = (self.status, Json(body)).into_response();
        if matches!(
            self.status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        response
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound { field, .. } => ApiError::not_found(field, e.to_string()),
            ServiceError::Invalid { field, message } => ApiError::invalid(&field, message),
            ServiceError::Busy(message) => ApiError::busy(message),
            ServiceError::Rank(RankError::UnknownExample { field, .. }) => {
                ApiError::invalid(field, e.to_string())
            }
            ServiceError::Rank(RankError::Invalid { field, problem }) => {
                ApiError::invalid(field, problem)
            }
            other => ApiError::internal(other.to_string()),
        }
    }
}

/// Every error: a stable code, a readable message, and the field at fault when there is one.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ErrorDetail {
    /// e.g. `invalid`, `not_found`, `unauthorized`, `forbidden`, `payload_too_large`,
    /// `unsupported_media_type`, `queue_full`, `not_ready`.
    code: String,
    message: String,
    field: Option<String>,
}

/// The errors of every route that reads a JSON body.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum BodyErrors {
    /// body larger than the route takes
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// a field missing, unknown or invalid (named in `field`)
    #[response(status = 422)]
    Invalid(ErrorBody),
}

/// The errors every data route can answer with, documented once for all of them.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum CommonErrors {
    /// invalid parameter
    #[response(status = 400)]
    BadParameter(ErrorBody),
    /// no API key
    #[response(status = 401)]
    NoKey(ErrorBody),
    /// key lacks the scope
    #[response(status = 403)]
    WrongScope(ErrorBody),
    /// model or indexes still loading
    #[response(status = 503)]
    NotReady(ErrorBody),
}
