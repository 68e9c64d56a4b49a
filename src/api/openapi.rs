//! The API description's fixed parts (title, security schemes); the paths are collected from
//! the routes themselves in `routes`.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "govmatch",
        description = "Matches public-agency challenges and startups, with reasons. Reads need \
                       a key with scope `read`, changes and feedback scope `write` (when the \
                       server has keys). Every response carries `x-request-id` and \
                       `x-inference-time` (ms)."
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
