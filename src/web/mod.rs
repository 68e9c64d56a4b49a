//! The analysts' workbench: server-rendered pages (German by default, English on request)
//! over the same service the HTTP API calls — challenges and their ranked startups with
//! reasons, startups and the challenges they fit, free-text search, shortlists with the
//! venture-client pipeline, the market-scouting report and the exposure figures.
//!
//! No JavaScript is needed: every control is a link or a form, so keyboards, screen readers
//! and printouts get the same page. Writes are POST forms with a CSRF token; with API keys
//! configured the app asks for a key once and keeps it in an HttpOnly, SameSite=Strict cookie.

mod assets;
mod challenges;
mod layout;
mod matchlist;
mod report;
mod session;
mod startups;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::api::{ApiKeys, Server};

/// What every page handler shares.
pub struct Web {
    pub server: Arc<Server>,
    pub keys: Arc<ApiKeys>,
    /// Per-process secret the CSRF tokens are derived from.
    secret: String,
}

/// The pages, ready to merge into the API's router (whatever its state type).
pub fn router<S: Clone + Send + Sync + 'static>(
    server: Arc<Server>,
    keys: Arc<ApiKeys>,
) -> Router<S> {
    let secret = session::new_secret();
    let web = Arc::new(Web {
        server,
        keys,
        secret,
    });
    Router::new()
        .route("/", get(challenges::index))
        .route("/search", get(startups::search))
        .route("/challenges/{id}", get(challenges::show))
        .route("/challenges/{id}/feedback", post(challenges::feedback))
        .route("/challenges/{id}/shortlist", post(challenges::shortlist))
        .route("/challenges/{id}/report", get(report::show))
        .route("/challenges/{id}/report.csv", get(report::csv))
        .route("/challenges/{id}/report.json", get(report::json))
        .route("/startups/{id}", get(startups::show))
        .route("/exposure", get(report::exposure))
        .route("/signin", get(session::form).post(session::sign_in))
        .route("/signout", post(session::sign_out))
        .route("/language", get(session::language))
        .route("/assets/app.css", get(assets::css))
        .with_state(web)
}
