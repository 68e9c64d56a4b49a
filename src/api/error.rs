//! Errors as JSON: `{"error": {"code", "message", "field"}}` with the matching status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
}

impl ApiError {
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

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: message.into(),
            field: None,
        }
    }

    /// Malformed or mistyped JSON bodies: 400 for syntax, 422 for a wrong field, 413 for size.
    pub fn from_json_rejection(r: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection::*;
        let message = r.body_text();
        let (status, code) = match &r {
            JsonDataError(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "malformed"),
            MissingJsonContentType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "content_type"),
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
            }
            _ => (r.status(), "bad_request"),
        };
        // serde names the field in backticks ("unknown field `foo`", "missing field `text`").
        let field = message.split('`').nth(1).map(str::to_string);
        ApiError {
            status,
            code,
            message,
            field,
        }
    }
}

impl ApiError {
    /// Unknown or mistyped query parameters.
    pub fn from_query_rejection(r: axum::extract::rejection::QueryRejection) -> Self {
        let message = r.body_text();
        let field = message.split('`').nth(1).map(str::to_string);
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_parameter",
            message,
            field,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message, "field": self.field}});
        (self.status, Json(body)).into_response()
    }
}
