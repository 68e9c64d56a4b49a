//! The challenge pages: the searchable list (start page) and one challenge with its ranked
//! startups, the steering controls, feedback and the shortlist.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::{html, Markup};
use serde::Deserialize;

use govmatch::domain::{Challenge, Kind, Match, Record, ShortlistEntry, Stage};
use govmatch::index::{Facets, Filter};
use govmatch::rank::{Mode, RankOptions, Ranking};
use govmatch::service::Asker;
use govmatch::store::Feedback;

use super::layout::{notice, page, Lang, WebError};
use super::matchlist::{card, with_records};
use super::session::{encode, Ctx};
use super::Web;
use crate::api::{blocking, RequestId};

/// Most challenges listed at once; filters narrow the rest.
const MAX_LISTED: usize = 200;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    agency: Option<String>,
    language: Option<String>,
    status: Option<String>,
    tag: Option<String>,
    deadline_from: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !govmatch::domain::text::is_blank(s))
}

fn is_open(c: &Challenge) -> bool {
    c.status.as_deref() != Some("closed")
}

/// The page's own filters: words in the title, agency or description, and the agency.
fn keep(c: &Challenge, q: &ListQuery) -> bool {
    let text = nonempty(&q.q).map(str::to_lowercase);
    text.is_none_or(|t| {
        [&c.title, &c.agency, &c.description]
            .iter()
            .any(|f| f.to_lowercase().contains(&t))
    }) && nonempty(&q.agency).is_none_or(|a| c.agency == a)
}

/// The list's facet filters as the one [`Filter`] every front end uses (language, status,
/// tag, deadline); a value that cannot be right is a 422 page naming it.
fn list_filter(q: &ListQuery, lang: Lang) -> Result<Filter, WebError> {
    let one = |v: &Option<String>| nonempty(v).map(|s| vec![s.to_string()]).unwrap_or_default();
    let filter = Filter {
        language: one(&q.language),
        status: match nonempty(&q.status) {
            Some(s @ ("open" | "closed")) => vec![s.to_string()],
            _ => Vec::new(),
        },
        sectors: one(&q.tag),
        deadline_from: nonempty(&q.deadline_from).map(str::to_string),
        // The list shows every challenge; quality flags are reported, not filtered here.
        include_low_quality: true,
        ..Filter::default()
    };
    filter.validate().map_err(|e| {
        let name = match e.field {
            "deadline_from" => lang.t("Frist ab", "Deadline from"),
            other => other,
        };
        WebError::bad_input(format!("{name}: {}", e.problem))
    })?;
    Ok(filter)
}

/// The start page: free-text search and the challenges, filterable.
pub async fn index(
    State(web): State<Arc<Web>>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Markup, WebError> {
    let filter = list_filter(&q, ctx.lang)?;
    let (all, counts) = blocking(&web.server, |service| {
        Ok((
            service.collection(Kind::Challenge).all(),
            service.shortlist_counts()?,
        ))
    })
    .await?;
    let facets_pass: std::collections::HashSet<String> = all
        .iter()
        .filter(|r| filter.matches(&Facets::of(r)))
        .map(|r| r.id().to_string())
        .collect();
    let challenges: Vec<Challenge> = all
        .into_iter()
        .filter_map(|r| match r {
            Record::Challenge(c) => Some(c),
            Record::Startup(_) => None,
        })
        .collect();
    let mut agencies: Vec<&str> = challenges.iter().map(|c| c.agency.as_str()).collect();
    agencies.sort();
    agencies.dedup();
    let shown: Vec<&Challenge> = challenges
        .iter()
        .filter(|c| facets_pass.contains(&c.id) && keep(c, &q))
        .collect();
    let lang = ctx.lang;
    let selected = |v: &Option<String>, x: &str| nonempty(v) == Some(x);
    let body = html! {
        h1 { (lang.t("Startups für Challenges der Verwaltung", "Startups for public-sector challenges")) }
        section aria-labelledby="free-h" {
            h2 #free-h { (lang.t("Freitextsuche", "Free-text search")) }
            form.row role="search" method="get" action="/search" {
                label for="q-free" { (lang.t("Problem oder Bedarf beschreiben", "Describe a problem or need")) }
                input #q-free type="search" name="q" placeholder=(lang.t("z. B. Sensoren melden freie Ladesäulen", "e.g. sensors report free charging points"));
                button type="submit" { (lang.t("Startups finden", "Find startups")) }
            }
        }
        section aria-labelledby="list-h" {
            h2 #list-h { (lang.t("Challenges", "Challenges")) }
            form.filters method="get" action="/" aria-label=(lang.t("Challenges filtern", "Filter challenges")) {
                div.field {
                    label for="f-q" { (lang.t("Text", "Text")) }
                    input #f-q type="search" name="q" value=(nonempty(&q.q).unwrap_or(""));
                }
                div.field {
                    label for="f-agency" { (lang.t("Behörde", "Agency")) }
                    select #f-agency name="agency" {
                        option value="" { (lang.t("alle", "all")) }
                        @for a in &agencies {
                            option value=(a) selected[selected(&q.agency, a)] { (a) }
                        }
                    }
                }
                div.field {
                    label for="f-language" { (lang.t("Sprache", "Language")) }
                    select #f-language name="language" {
                        option value="" { (lang.t("alle", "all")) }
                        option value="de" selected[selected(&q.language, "de")] { "Deutsch" }
                        option value="en" selected[selected(&q.language, "en")] { "English" }
                    }
                }
                div.field {
                    label for="f-status" { (lang.t("Status", "Status")) }
                    select #f-status name="status" {
                        option value="" { (lang.t("alle", "all")) }
                        option value="open" selected[selected(&q.status, "open")] { (lang.t("offen", "open")) }
                        option value="closed" selected[selected(&q.status, "closed")] { (lang.t("geschlossen", "closed")) }
                    }
                }
                div.field {
                    label for="f-tag" { (lang.t("Schlagwort", "Tag")) }
                    input #f-tag type="text" name="tag" value=(nonempty(&q.tag).unwrap_or(""));
                }
                div.field {
                    label for="f-deadline" { (lang.t("Frist ab", "Deadline from")) }
                    input #f-deadline type="date" name="deadline_from" value=(nonempty(&q.deadline_from).unwrap_or(""));
                }
                button type="submit" { (lang.t("Filtern", "Filter")) }
            }
            p role="status" {
                (shown.len()) " " (lang.t("von", "of")) " " (challenges.len()) " "
                (lang.t("Challenges", "challenges"))
                @if shown.len() > MAX_LISTED {
                    " · " (lang.t("die ersten", "the first")) " " (MAX_LISTED) " " (lang.t("angezeigt; Filter grenzen ein", "shown; filters narrow the list"))
                }
            }
            table #challenges {
                caption.visually-hidden { (lang.t("Challenges", "Challenges")) }
                thead { tr {
                    th scope="col" { (lang.t("Titel", "Title")) }
                    th scope="col" { (lang.t("Behörde", "Agency")) }
                    th scope="col" { (lang.t("Sprache", "Language")) }
                    th scope="col" { (lang.t("Status", "Status")) }
                    th scope="col" { (lang.t("Frist", "Deadline")) }
                    th scope="col" { (lang.t("Shortlist", "Shortlist")) }
                } }
                tbody {
                    @for c in shown.iter().take(MAX_LISTED) {
                        tr {
                            td { a href=(format!("/challenges/{}", encode(&c.id))) { (c.title) } }
                            td { (c.agency) }
                            td { (c.language.as_deref().unwrap_or("–")) }
                            td { (if is_open(c) { lang.t("offen", "open") } else { lang.t("geschlossen", "closed") }) }
                            td { (c.deadline.as_deref().unwrap_or("–")) }
                            td { (counts.get(&c.id).copied().unwrap_or(0)) }
                        }
                    }
                }
            }
        }
    };
    Ok(page(
        lang,
        lang.t("Challenges", "Challenges"),
        Some(&ctx),
        body,
    ))
}

/// The steering controls of a challenge page, as query parameters.
#[derive(Deserialize, Default, Clone)]
pub struct Steer {
    mode: Option<String>,
    diversity: Option<String>,
    region: Option<String>,
    stage: Option<String>,
    sector: Option<String>,
    include_low_quality: Option<String>,
    like: Option<String>,
    unlike: Option<String>,
    notice: Option<String>,
}

fn list(v: &Option<String>) -> Vec<String> {
    v.as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Steer {
    /// The page's controls as the library's [`Ranking`] (the API's fields, one check): the
    /// mode, the diversity (a decimal comma is fine), the steering examples and the filters.
    fn options(&self, lang: Lang, k: usize) -> Result<RankOptions, WebError> {
        let mode = match nonempty(&self.mode) {
            None => None,
            Some(m) => Some(m.parse::<Mode>().map_err(|e| {
                WebError::bad_input(format!("{}: {e}", lang.t("Verfahren", "Mode")))
            })?),
        };
        let diversity = match nonempty(&self.diversity) {
            None => None,
            Some(d) => Some(d.replace(',', ".").parse::<f32>().map_err(|_| {
                WebError::bad_input(format!(
                    "{} `{d}`: {}",
                    lang.t("Vielfalt", "Diversity"),
                    lang.t("eine Zahl von 0 bis 1", "a number from 0 to 1")
                ))
            })?),
        };
        let ranking = Ranking {
            k: Some(k),
            mode,
            diversity,
            like: list(&self.like),
            unlike: list(&self.unlike),
            ..Ranking::default()
        };
        let filter = Filter {
            region: list(&self.region),
            stage: list(&self.stage),
            sectors: list(&self.sector),
            include_low_quality: self.include_low_quality.is_some(),
            ..Filter::default()
        };
        ranking.options(filter, "").map_err(|e| {
            let name = match e.field.as_str() {
                "diversity" => lang.t("Vielfalt", "Diversity"),
                "k" => lang.t("Anzahl", "Number of matches"),
                other => other,
            };
            WebError::bad_input(format!("{name}: {}", e.problem))
        })
    }

    /// This page's query with `like`/`unlike` extended by `id`.
    fn steered(&self, field: &str, id: &str) -> String {
        let mut s = self.clone();
        s.notice = None;
        let target = if field == "like" {
            &mut s.like
        } else {
            &mut s.unlike
        };
        let mut ids = list(target);
        if !ids.iter().any(|x| x == id) {
            ids.push(id.to_string());
        }
        *target = Some(ids.join(","));
        s.query()
    }

    fn query(&self) -> String {
        let pairs = [
            ("mode", &self.mode),
            ("diversity", &self.diversity),
            ("region", &self.region),
            ("stage", &self.stage),
            ("sector", &self.sector),
            ("include_low_quality", &self.include_low_quality),
            ("like", &self.like),
            ("unlike", &self.unlike),
        ];
        pairs
            .iter()
            .filter_map(|(k, v)| nonempty(v).map(|v| format!("{k}={}", encode(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

pub struct Shown {
    challenge: Challenge,
    request_id: String,
    model: String,
    index_version: String,
    matches: Vec<(Match, Option<Record>)>,
    shortlist: Vec<ShortlistEntry>,
    names: std::collections::HashMap<String, String>,
}

/// One challenge, its ranked startups with reasons, and its shortlist.
pub async fn show(
    State(web): State<Arc<Web>>,
    ctx: Ctx,
    Extension(RequestId(request_id, client_id)): Extension<RequestId>,
    Path(id): Path<String>,
    Query(steer): Query<Steer>,
) -> Result<Markup, WebError> {
    let lang = ctx.lang;
    let opts = steer.options(lang, 10)?;
    let shown = blocking(&web.server, move |service| {
        let Some(Record::Challenge(challenge)) = service.record(Kind::Challenge, &id) else {
            return Err(crate::api::ApiError::not_found(
                "id",
                format!("no challenge with id `{id}`"),
            ));
        };
        let asker = Asker {
            request_id: &request_id,
            client_request_id: client_id.as_deref(),
            route: "/challenges/{id}",
        };
        let served =
            service.match_record(Kind::Challenge, &id, Kind::Startup, &opts, Some(asker))?;
        let shortlist = service.shortlist(&id)?;
        let names = shortlist
            .iter()
            .filter_map(|e| match service.record(Kind::Startup, &e.startup) {
                Some(Record::Startup(s)) => Some((e.startup.clone(), s.name)),
                _ => None,
            })
            .collect();
        let (model, index_version) = (served.model.clone(), served.index_version.clone());
        Ok(Shown {
            challenge,
            request_id,
            model,
            index_version,
            matches: with_records(service, served),
            shortlist,
            names,
        })
    })
    .await?;
    Ok(render_show(&ctx, &steer, shown))
}

fn render_show(ctx: &Ctx, steer: &Steer, s: Shown) -> Markup {
    let lang = ctx.lang;
    let c = &s.challenge;
    let cid = encode(&c.id);
    let back = steer.query();
    let on_list: std::collections::HashMap<&str, Stage> = s
        .shortlist
        .iter()
        .map(|e| (e.startup.as_str(), e.stage))
        .collect();
    let write_note = (!ctx.can_write).then(|| {
        html! { p.note role="note" { (lang.t(
            "Sie sind mit einem Leseschlüssel angemeldet: Rückmeldungen und Shortlist-Änderungen sind gesperrt.",
            "You are signed in with a read key: feedback and shortlist changes are disabled.")) } }
    });
    let body = html! {
        (notice(lang, steer.notice.as_deref()))
        article.challenge {
            h1 { (c.title) }
            p.meta {
                (c.agency)
                @if let Some(l) = &c.language { " · " (l) }
                @if let Some(d) = &c.deadline { " · " (lang.t("Frist ", "Deadline ")) (d) }
                " · " (if is_open(c) { lang.t("offen", "open") } else { lang.t("geschlossen", "closed") })
            }
            p { (c.description) }
            @if !c.desired_outcome.is_empty() {
                h2 { (lang.t("Gewünschtes Ergebnis", "Desired outcome")) }
                p { (c.desired_outcome) }
            }
            p.links {
                a href=(format!("/challenges/{cid}/report")) { (lang.t("Marktsichtungsbericht", "Market-scouting report")) }
            }
        }
        section aria-labelledby="steer-h" {
            h2 #steer-h { (lang.t("Suche anpassen", "Adjust the search")) }
            form.filters method="get" action=(format!("/challenges/{cid}")) {
                div.field {
                    label for="s-mode" { (lang.t("Verfahren", "Mode")) }
                    select #s-mode name="mode" {
                        option value="dense" selected[nonempty(&steer.mode).unwrap_or("dense") == "dense"] { (lang.t("Bedeutung (Vektoren)", "Meaning (vectors)")) }
                        option value="hybrid" selected[nonempty(&steer.mode) == Some("hybrid")] { (lang.t("Bedeutung + Wörter (hybrid)", "Meaning + words (hybrid)")) }
                    }
                }
                div.field {
                    label for="s-div" { (lang.t("Vielfalt (0–1)", "Diversity (0–1)")) }
                    input #s-div type="number" name="diversity" min="0" max="1" step="0.1" value=(nonempty(&steer.diversity).unwrap_or("0"));
                }
                div.field {
                    label for="s-region" { (lang.t("Region", "Region")) }
                    input #s-region type="text" name="region" value=(nonempty(&steer.region).unwrap_or(""));
                }
                div.field {
                    label for="s-stage" { (lang.t("Phase", "Stage")) }
                    input #s-stage type="text" name="stage" value=(nonempty(&steer.stage).unwrap_or(""));
                }
                div.field {
                    label for="s-sector" { (lang.t("Branche", "Sector")) }
                    input #s-sector type="text" name="sector" value=(nonempty(&steer.sector).unwrap_or(""));
                }
                div.field.check {
                    input #s-lq type="checkbox" name="include_low_quality" value="on" checked[steer.include_low_quality.is_some()];
                    label for="s-lq" { (lang.t("Profile ohne Inhalt zeigen", "Show contentless profiles")) }
                }
                @if let Some(l) = nonempty(&steer.like) { input type="hidden" name="like" value=(l); }
                @if let Some(u) = nonempty(&steer.unlike) { input type="hidden" name="unlike" value=(u); }
                button type="submit" { (lang.t("Anwenden", "Apply")) }
            }
            @if nonempty(&steer.like).is_some() || nonempty(&steer.unlike).is_some() {
                p {
                    (lang.t("Gesteuert: mehr wie ", "Steered: more like ")) (nonempty(&steer.like).unwrap_or("–"))
                    (lang.t("; weniger wie ", "; less like ")) (nonempty(&steer.unlike).unwrap_or("–")) " · "
                    a href=(format!("/challenges/{cid}")) { (lang.t("zurücksetzen", "reset")) }
                }
            }
        }
        section aria-labelledby="matches-h" {
            h2 #matches-h { (lang.t("Passende Startups", "Matching startups")) }
            p.meta { (lang.t("Modell ", "Model ")) (s.model) " · " (lang.t("Index ", "Index ")) (s.index_version) }
            (write_note.clone().unwrap_or_default())
            @if s.matches.is_empty() {
                p { (lang.t("Keine Startups erfüllen diese Filter.", "No startups meet these filters.")) }
            }
            ol #matches {
                @for (m, record) in &s.matches {
                    @let actions = html! {
                        div.actions {
                            a href=(format!("/challenges/{cid}?{}", steer.steered("like", &m.id))) { (lang.t("Mehr wie dieses", "More like this")) }
                            a href=(format!("/challenges/{cid}?{}", steer.steered("unlike", &m.id))) { (lang.t("Weniger wie dieses", "Less like this")) }
                            form.feedback.inline method="post" action=(format!("/challenges/{cid}/feedback")) {
                                input type="hidden" name="csrf" value=(ctx.csrf);
                                input type="hidden" name="request_id" value=(s.request_id);
                                input type="hidden" name="item" value=(m.id);
                                input type="hidden" name="back" value=(back);
                                fieldset {
                                    legend { (lang.t("Passt das?", "Does it fit?")) }
                                    button type="submit" name="label" value="2" disabled[!ctx.can_write] { span aria-hidden="true" { "✓ " } (lang.t("passt", "fits")) }
                                    button type="submit" name="label" value="1" disabled[!ctx.can_write] { (lang.t("teilweise", "partly")) }
                                    button type="submit" name="label" value="0" disabled[!ctx.can_write] { span aria-hidden="true" { "✗ " } (lang.t("passt nicht", "does not fit")) }
                                }
                            }
                            @if let Some(stage) = on_list.get(m.id.as_str()) {
                                span.badge { (lang.t("Auf der Shortlist: ", "On the shortlist: ")) (stage_name(lang, *stage)) }
                            } @else {
                                form.shortlist-add.inline method="post" action=(format!("/challenges/{cid}/shortlist")) {
                                    input type="hidden" name="csrf" value=(ctx.csrf);
                                    input type="hidden" name="startup" value=(m.id);
                                    input type="hidden" name="stage" value="proposed";
                                    input type="hidden" name="back" value=(back);
                                    button type="submit" disabled[!ctx.can_write] { (lang.t("Auf die Shortlist", "Add to shortlist")) }
                                }
                            }
                        }
                    };
                    (card(lang, m, &format!("/startups/{}", encode(&m.id)), record.as_ref(), actions))
                }
            }
        }
        (shortlist_panel(ctx, &s, &cid, &back))
    };
    page(lang, &c.title, Some(ctx), body)
}

pub fn stage_name(lang: Lang, stage: Stage) -> &'static str {
    match lang {
        Lang::De => stage.german(),
        Lang::En => stage.as_str(),
    }
}

fn shortlist_panel(ctx: &Ctx, s: &Shown, cid: &str, back: &str) -> Markup {
    let lang = ctx.lang;
    html! {
        section #shortlist aria-labelledby="shortlist-h" {
            h2 #shortlist-h { (lang.t("Shortlist", "Shortlist")) }
            @if s.shortlist.is_empty() {
                p { (lang.t("Noch keine Startups auf der Shortlist.", "No startups on the shortlist yet.")) }
            }
            @for e in &s.shortlist {
                @let row = format!("sl-{}", e.startup);
                form.shortlist-row method="post" action=(format!("/challenges/{cid}/shortlist")) data-startup=(e.startup) aria-labelledby=(format!("{row}-h")) {
                    h3 #(format!("{row}-h")) {
                        a href=(format!("/startups/{}", encode(&e.startup))) { (s.names.get(&e.startup).map_or(e.startup.as_str(), String::as_str)) }
                        " · " span.stage { (stage_name(lang, e.stage)) }
                    }
                    p.meta { (lang.t("Zuletzt geändert von ", "Last changed by ")) (e.changed_by) " · " (e.changed_at) }
                    input type="hidden" name="csrf" value=(ctx.csrf);
                    input type="hidden" name="startup" value=(e.startup);
                    input type="hidden" name="back" value=(back);
                    div.field {
                        label for=(format!("{row}-stage")) { (lang.t("Phase", "Stage")) }
                        select id=(format!("{row}-stage")) name="stage" {
                            @for st in Stage::ALL {
                                option value=(st.as_str()) selected[st == e.stage] { (stage_name(lang, st)) }
                            }
                        }
                    }
                    div.field {
                        label for=(format!("{row}-reason")) { (lang.t("Grund (bei Ablehnung)", "Reason (when rejecting)")) }
                        input id=(format!("{row}-reason")) type="text" name="reason" value=(e.reason.as_deref().unwrap_or(""));
                    }
                    div.field.wide {
                        label for=(format!("{row}-note")) { (lang.t("Notiz", "Note")) }
                        textarea id=(format!("{row}-note")) name="note" rows="2" { (e.note) }
                    }
                    button type="submit" disabled[!ctx.can_write] { (lang.t("Speichern", "Save")) }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct FeedbackForm {
    csrf: String,
    request_id: String,
    item: String,
    label: String,
    back: Option<String>,
}

/// A thumbs up / partly / down on one match: stored as feedback on the served list.
pub async fn feedback(
    State(web): State<Arc<Web>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<FeedbackForm>,
) -> Result<Response, WebError> {
    ctx.check_write(&f.csrf)?;
    check_back(ctx.lang, f.back.as_deref())?;
    let label: i8 = match f.label.as_str() {
        "2" => 2,
        "1" => 1,
        "0" => 0,
        other => {
            return Err(WebError::bad_input(format!(
                "{} `{other}`",
                ctx.lang.t("Unbekannte Bewertung", "Unknown judgement")
            )))
        }
    };
    let item = f.item.clone();
    blocking(&web.server, move |service| {
        service.give_feedback(Feedback {
            request_id: f.request_id,
            item: f.item,
            label,
            comment: None,
            given_at: None,
        })?;
        Ok(())
    })
    .await?;
    Ok(back_to(
        &id,
        f.back.as_deref(),
        "feedback",
        &format!("m-{item}"),
    ))
}

/// Checks a form's `back` (the list's query string, to return to) before anything is
/// written: visible ASCII only, since it goes into a `Location` header.
fn check_back(lang: super::layout::Lang, back: Option<&str>) -> Result<(), WebError> {
    if back.is_some_and(|b| !b.bytes().all(|c| c.is_ascii_graphic())) {
        return Err(WebError::bad_input(lang.t(
            "Feld „back“: enthält Zeichen, die in keiner Adresse stehen dürfen.",
            "Field `back`: holds characters that no address may contain.",
        )));
    }
    Ok(())
}

fn back_to(id: &str, back: Option<&str>, notice: &str, anchor: &str) -> Response {
    let back = back.unwrap_or("").trim_start_matches(['?', '&', '/']);
    let sep = if back.is_empty() { "" } else { "&" };
    Redirect::to(&format!(
        "/challenges/{}?{back}{sep}notice={notice}#{}",
        encode(id),
        encode(anchor)
    ))
    .into_response()
}

#[derive(Deserialize)]
pub struct ShortlistForm {
    csrf: String,
    startup: String,
    stage: String,
    reason: Option<String>,
    note: Option<String>,
    back: Option<String>,
}

/// Adds a startup to the shortlist or moves it to another stage.
pub async fn shortlist(
    State(web): State<Arc<Web>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ShortlistForm>,
) -> Result<Response, WebError> {
    ctx.check_write(&f.csrf)?;
    let lang = ctx.lang;
    check_back(lang, f.back.as_deref())?;
    let stage: Stage = f
        .stage
        .parse()
        .map_err(|e: String| WebError::bad_input(format!("{}: {e}", lang.t("Phase", "Stage"))))?;
    let entry = ShortlistEntry {
        challenge: id.clone(),
        startup: f.startup,
        stage,
        reason: f.reason,
        note: f.note.unwrap_or_default(),
        changed_by: ctx.who.clone(),
        changed_at: String::new(),
    };
    blocking(
        &web.server,
        move |service| Ok(service.set_shortlist(entry)?),
    )
    .await?;
    Ok(back_to(&id, f.back.as_deref(), "shortlist", "shortlist"))
}
