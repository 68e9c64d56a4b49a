//! One startup and the challenges it fits (the two-way match), and free-text search for
//! startups.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::Extension;
use maud::{html, Markup};
use serde::Deserialize;

use govmatch::domain::{Kind, Match, Record};
use govmatch::rank::RankOptions;
use govmatch::service::Asker;

use super::layout::{page, WebError};
use super::matchlist::{card, with_records};
use super::session::{encode, Ctx};
use super::Web;
use crate::api::{blocking, ApiError, RequestId};

/// Longest free-text query, in characters.
use govmatch::rank::MAX_QUERY_CHARS;

pub async fn show(
    State(web): State<Arc<Web>>,
    ctx: Ctx,
    Extension(RequestId(request_id, client_id)): Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<Markup, WebError> {
    let lang = ctx.lang;
    let (startup, matches) = blocking(&web.server, move |service| {
        let Some(Record::Startup(s)) = service.record(Kind::Startup, &id) else {
            return Err(ApiError::not_found(
                "id",
                format!("no startup with id `{id}`"),
            ));
        };
        let asker = Asker {
            request_id: &request_id,
            client_request_id: client_id.as_deref(),
            route: "/startups/{id}",
        };
        let served = service.match_record(
            Kind::Startup,
            &id,
            Kind::Challenge,
            &RankOptions::default(),
            Some(asker),
        )?;
        let matches: Vec<(Match, Option<Record>)> = with_records(service, served);
        Ok((s, matches))
    })
    .await?;
    let body = html! {
        article.startup {
            h1 { (startup.name) }
            @if !startup.one_liner.is_empty() { p.lead { (startup.one_liner) } }
            dl.facts {
                @if let Some(r) = startup.region.as_ref().or(startup.country.as_ref()) {
                    dt { (lang.t("Region", "Region")) } dd { (r) }
                }
                @if let Some(s) = &startup.stage { dt { (lang.t("Phase", "Stage")) } dd { (s) } }
                @if !startup.sectors.is_empty() {
                    dt { (lang.t("Branchen", "Sectors")) } dd { (startup.sectors.join(", ")) }
                }
                @if let Some(w) = &startup.website {
                    dt { (lang.t("Website", "Website")) } dd { (w) }
                }
            }
            p { (startup.description) }
        }
        section aria-labelledby="fits-h" {
            h2 #fits-h { (lang.t("Challenges, zu denen es passt", "Challenges it fits")) }
            ol #matches {
                @for (m, r) in &matches {
                    (card(lang, m, &format!("/challenges/{}", encode(&m.id)), r.as_ref(), html! {}))
                }
            }
        }
    };
    Ok(page(lang, &startup.name, Some(&ctx), body))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

pub async fn search(
    State(web): State<Arc<Web>>,
    ctx: Ctx,
    Extension(RequestId(request_id, client_id)): Extension<RequestId>,
    Query(s): Query<SearchQuery>,
) -> Result<Markup, WebError> {
    let lang = ctx.lang;
    let text = s.q.unwrap_or_default().trim().to_string();
    if govmatch::domain::text::is_blank(&text) {
        return Err(WebError::bad_input(lang.t(
            "Bitte einen Suchtext eingeben: das Problem oder den Bedarf in ein paar Worten.",
            "Please enter a search text: the problem or need in a few words.",
        )));
    }
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(WebError::bad_input(format!(
            "{} {MAX_QUERY_CHARS} {}",
            lang.t(
                "Der Suchtext ist länger als",
                "The search text is longer than"
            ),
            lang.t("Zeichen.", "characters.")
        )));
    }
    let q = text.clone();
    let matches = blocking(&web.server, move |service| {
        let asker = Asker {
            request_id: &request_id,
            client_request_id: client_id.as_deref(),
            route: "/search",
        };
        let served = service.match_text(&q, Kind::Startup, &RankOptions::default(), Some(asker))?;
        Ok(with_records(service, served))
    })
    .await?;
    let body = html! {
        h1 { (lang.t("Startups für: ", "Startups for: ")) "„" (text) "“" }
        form.row role="search" method="get" action="/search" {
            label for="q-free" { (lang.t("Problem oder Bedarf beschreiben", "Describe a problem or need")) }
            input #q-free type="search" name="q" value=(text);
            button type="submit" { (lang.t("Startups finden", "Find startups")) }
        }
        ol #matches {
            @for (m, r) in &matches {
                (card(lang, m, &format!("/startups/{}", encode(&m.id)), r.as_ref(), html! {}))
            }
        }
    };
    Ok(page(lang, lang.t("Suche", "Search"), Some(&ctx), body))
}
