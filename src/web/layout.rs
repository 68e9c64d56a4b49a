//! The frame every page shares (skip link, header, navigation, language switch, sign-out),
//! the two languages, and errors as pages.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

use super::session::{encode, Ctx};
use crate::api::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    De,
    En,
}

impl Lang {
    pub fn t<'a>(self, de: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::De => de,
            Lang::En => en,
        }
    }

    pub fn code(self) -> &'static str {
        self.t("de", "en")
    }

    /// A number as the language writes it (0,75 / 0.75).
    pub fn num(self, x: f64, digits: usize) -> String {
        let s = format!("{x:.digits$}");
        match self {
            Lang::De => s.replace('.', ","),
            Lang::En => s,
        }
    }
}

/// A whole page. `ctx` is absent on pages shown before sign-in.
pub fn page(lang: Lang, title: &str, ctx: Option<&Ctx>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · govmatch" }
                link rel="stylesheet" href="/assets/app.css";
            }
            body {
                a.skip href="#main" { (lang.t("Zum Inhalt springen", "Skip to content")) }
                header.top {
                    a.brand href="/" { "govmatch" }
                    nav aria-label=(lang.t("Hauptnavigation", "Main navigation")) {
                        ul {
                            li { a href="/" { (lang.t("Challenges", "Challenges")) } }
                            li { a href="/exposure" { (lang.t("Sichtbarkeit", "Exposure")) } }
                            @if let Some(ctx) = ctx {
                                li {
                                    @let other = if lang == Lang::De { "en" } else { "de" };
                                    a href=(format!("/language?to={other}&next={}", encode(&ctx.here)))
                                        lang=(other) {
                                        (lang.t("English", "Deutsch"))
                                    }
                                }
                                @if ctx.signed_in {
                                    li {
                                        form.inline method="post" action="/signout" {
                                            button.link type="submit" { (lang.t("Abmelden", "Sign out")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                main #main tabindex="-1" { (body) }
                footer.bottom {
                    p { (lang.t(
                        "Vorschläge einer Maschine: Entscheidungen über Kontakt, Pilot und Vertrag treffen Menschen.",
                        "Suggestions by a machine: people decide on contact, pilot and contract.")) }
                }
            }
        }
    }
}

/// A notice after a successful write (`?notice=…`).
pub fn notice(lang: Lang, what: Option<&str>) -> Markup {
    let text = match what {
        Some("feedback") => lang.t("Rückmeldung gespeichert.", "Feedback saved."),
        Some("shortlist") => lang.t("Shortlist gespeichert.", "Shortlist saved."),
        _ => return html! {},
    };
    html! { div.notice role="status" { (text) } }
}

/// An error shown as a page, with its status.
#[derive(Debug)]
pub struct WebError {
    status: StatusCode,
    message: String,
}

impl WebError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        WebError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        WebError::new(e.status(), e.message())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let title = match self.status {
            StatusCode::NOT_FOUND => "Nicht gefunden · Not found",
            StatusCode::FORBIDDEN => "Nicht erlaubt · Not allowed",
            StatusCode::SERVICE_UNAVAILABLE => "Startet noch · Starting",
            s if s.is_client_error() => "Eingabe prüfen · Check the input",
            _ => "Fehler · Error",
        };
        let body = html! {
            h1 { (title) }
            div.alert role="alert" { p { (self.message) } }
            p { a href="/" { "Zur Startseite · Start page" } }
        };
        (self.status, page(Lang::De, title, None, body)).into_response()
    }
}
