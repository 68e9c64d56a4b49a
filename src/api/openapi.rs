//! `GET /v1/openapi.json`: the API description, generated from the handlers' and types'
//! annotations (utoipa), so it changes when the code does.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::{feedback, matches, records};

/// Every error: a stable code, a readable message, and the field at fault when there is one.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct ErrorDetail {
    /// e.g. `invalid`, `not_found`, `unauthorized`, `forbidden`, `payload_too_large`,
    /// `unsupported_media_type`, `queue_full`, `not_ready`.
    code: String,
    message: String,
    field: Option<String>,
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

#[derive(OpenApi)]
#[openapi(
    info(
        title = "govmatch",
        description = "Matches public-agency challenges and startups, with reasons. Reads need \
                       a key with scope `read`, changes and feedback scope `write` (when the \
                       server has keys). Every response carries `x-request-id` and \
                       `x-inference-time` (ms)."
    ),
    paths(
        super::health,
        super::ready,
        matches::challenge_matches,
        matches::startup_matches,
        matches::free_text,
        feedback::give,
        records::upsert,
        records::get_record,
        records::delete_record,
        openapi_json,
    ),
    components(schemas(ErrorBody, govmatch::domain::Startup, govmatch::domain::Challenge)),
    modifiers(&Keys),
    security(("bearer" = []), ("api_key" = [])),
)]
pub struct ApiDoc;

struct Keys;

impl Modify for Keys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))),
        );
    }
}

/// This description.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
