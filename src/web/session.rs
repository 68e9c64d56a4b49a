//! Who is looking, in which language, and whether they may change things: the key cookie
//! (when the server has keys), the language cookie, and the CSRF token every form carries.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Query, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::layout::{page, Lang, WebError};
use super::Web;
use crate::api::{label, Scope};

const KEY_COOKIE: &str = "govmatch_key";
const LANG_COOKIE: &str = "govmatch_lang";

/// A fresh random secret (OS randomness through the hasher's random state and the clock).
pub fn new_secret() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = Sha256::new();
    for _ in 0..4 {
        let mut s = std::collections::hash_map::RandomState::new().build_hasher();
        s.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        h.update(s.finish().to_le_bytes());
    }
    hex::encode(h.finalize())
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The visitor of one request.
pub struct Ctx {
    pub lang: Lang,
    /// May change shortlists and give feedback.
    pub can_write: bool,
    /// Signed in with a key (only when the server has keys).
    pub signed_in: bool,
    /// Who changes things, as the shortlist history records it.
    pub who: String,
    pub csrf: String,
    /// The path and query of this page, to come back to.
    pub here: String,
}

impl Ctx {
    /// Refuses a write without the form's CSRF token or without write permission.
    pub fn check_write(&self, token: &str) -> Result<(), WebError> {
        if token != self.csrf {
            return Err(WebError::new(
                StatusCode::FORBIDDEN,
                self.lang.t(
                    "Das Formular ist abgelaufen oder stammt nicht von dieser Seite. Bitte neu laden und erneut senden.",
                    "The form has expired or did not come from this site. Reload the page and send it again.",
                ),
            ));
        }
        if !self.can_write {
            return Err(WebError::new(
                StatusCode::FORBIDDEN,
                self.lang.t(
                    "Ihr Schlüssel darf nur lesen: Shortlists ändern und Rückmeldungen geben ist damit nicht möglich.",
                    "Your key may only read: it cannot change shortlists or give feedback.",
                ),
            ));
        }
        Ok(())
    }
}

fn csrf(secret: &str, key: &str) -> String {
    hex::encode(Sha256::digest(format!("{secret}:{key}").as_bytes()))[..32].to_string()
}

impl FromRequestParts<Arc<Web>> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Arc<Web>) -> Result<Self, Response> {
        let lang = lang_of(&parts.headers);
        let here = parts
            .uri
            .path_and_query()
            .map_or("/".to_string(), |p| p.as_str().to_string());
        if web.keys.is_empty() {
            return Ok(Ctx {
                lang,
                can_write: true,
                signed_in: false,
                who: label(&web.keys, None),
                csrf: csrf(&web.secret, ""),
                here,
            });
        }
        let key = cookie(&parts.headers, KEY_COOKIE).unwrap_or("");
        match web.keys.scope_of(key) {
            Some(scope) => Ok(Ctx {
                lang,
                can_write: scope == Scope::Write,
                signed_in: true,
                who: label(&web.keys, Some(key)),
                csrf: csrf(&web.secret, key),
                here,
            }),
            None => Err(Redirect::to(&format!("/signin?next={}", encode(&here))).into_response()),
        }
    }
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A local path to return to: anything else — other hosts (`//…`, `/\\…`), control
/// characters (browsers drop tabs and line breaks, so `/%09/evil.example` would leave the
/// site, and CR/LF cannot go into a header) — goes to the start page.
pub fn local(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            n.into()
        }
        _ => "/".into(),
    }
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

fn lang_of(headers: &HeaderMap) -> Lang {
    match cookie(headers, LANG_COOKIE) {
        Some("en") => Lang::En,
        _ => Lang::De,
    }
}

fn signin_page(lang: Lang, next: &str, error: Option<&str>) -> maud::Markup {
    let body = html! {
        h1 { (lang.t("Anmelden", "Sign in")) }
        p { (lang.t(
            "Dieser Server verlangt einen API-Schlüssel. Er wird nur in einem Cookie dieses Browsers gespeichert.",
            "This server needs an API key. It is kept only in a cookie of this browser.")) }
        @if let Some(e) = error {
            div.alert role="alert" { (e) }
        }
        form.stack method="post" action="/signin" {
            input type="hidden" name="next" value=(next);
            label for="key" { (lang.t("API-Schlüssel", "API key")) }
            input #key type="password" name="key" autocomplete="current-password" required;
            button type="submit" { (lang.t("Anmelden", "Sign in")) }
        }
    };
    page(lang, lang.t("Anmelden", "Sign in"), None, body)
}

pub async fn form(headers: HeaderMap, Query(q): Query<Next>) -> maud::Markup {
    signin_page(lang_of(&headers), &local(q.next.as_deref()), None)
}

#[derive(Deserialize)]
pub struct SignIn {
    key: String,
    next: Option<String>,
}

pub async fn sign_in(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    Form(f): Form<SignIn>,
) -> Response {
    let lang = lang_of(&headers);
    let next = local(f.next.as_deref());
    let key = f.key.trim();
    if web.keys.scope_of(key).is_none() || key.contains([';', ',', ' ']) {
        let page = signin_page(
            lang,
            &next,
            Some(lang.t("Dieser Schlüssel ist unbekannt.", "This key is not known.")),
        );
        return (StatusCode::UNAUTHORIZED, page).into_response();
    }
    let mut response = Redirect::to(&next).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{KEY_COOKIE}={key}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200"
    )) {
        response.headers_mut().append(SET_COOKIE, v);
    }
    response
}

pub async fn sign_out() -> Response {
    let mut response = Redirect::to("/signin").into_response();
    response.headers_mut().append(
        SET_COOKIE,
        HeaderValue::from_static("govmatch_key=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    response
}

#[derive(Deserialize)]
pub struct Switch {
    to: String,
    next: Option<String>,
}

/// Switches the page language (a preference, kept in a cookie).
pub async fn language(Query(s): Query<Switch>) -> Response {
    let lang = if s.to == "en" { "en" } else { "de" };
    let mut response = Redirect::to(&local(s.next.as_deref())).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={lang}; SameSite=Lax; Path=/; Max-Age=31536000"
    )) {
        response.headers_mut().append(SET_COOKIE, v);
    }
    response
}
