//! The market-scouting report of a challenge (a printable page, CSV and JSON) and the
//! exposure figures of the whole catalogue.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::Json;
use maud::{html, Markup};

use govmatch::domain::text::csv_safe;
use govmatch::rank::RankOptions;
use govmatch::service::scouting::ScoutingReport;
use govmatch::service::ExposureReport;

use super::challenges::stage_name;
use super::layout::{page, Lang, WebError};
use super::session::{encode, Ctx};
use super::Web;
use crate::api::blocking;

/// Searches listed on the printable page (the downloads hold all of them).
const MAX_SEARCHES_SHOWN: usize = 20;

async fn scouting(web: &Web, id: String) -> Result<ScoutingReport, WebError> {
    Ok(blocking(
        &web.server,
        move |service| Ok(service.scouting_report(&id)?),
    )
    .await?)
}

fn label_name(lang: Lang, label: i8) -> &'static str {
    match label {
        2 => lang.t("passt", "fits"),
        1 => lang.t("teilweise", "partly"),
        0 => lang.t("passt nicht", "does not fit"),
        _ => lang.t("falsch", "wrong"),
    }
}

async fn render(web: &Web, ctx: &Ctx, id: String) -> Result<Markup, WebError> {
    let r = scouting(web, id).await?;
    let lang = ctx.lang;
    let c = &r.challenge;
    let cid = encode(&c.id);
    let name = |id: &str| r.names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let body = html! {
        article.report {
            h1 { (lang.t("Marktsichtungsbericht", "Market-scouting report")) }
            p.meta { (lang.t("Erstellt ", "Generated ")) (r.generated_at) }
            p.no-print.links {
                a #csv href=(format!("/challenges/{cid}/report.csv")) download { (lang.t("CSV herunterladen", "Download CSV")) }
                a #json href=(format!("/challenges/{cid}/report.json")) download { (lang.t("JSON herunterladen", "Download JSON")) }
                a href=(format!("/challenges/{cid}")) { (lang.t("Zur Challenge", "Back to the challenge")) }
            }
            h2 { (lang.t("Challenge", "Challenge")) }
            dl.facts {
                dt { (lang.t("Titel", "Title")) } dd { (c.title) }
                dt { (lang.t("Behörde", "Agency")) } dd { (c.agency) }
                dt { "ID" } dd { (c.id) }
                @if let Some(d) = &c.deadline { dt { (lang.t("Frist", "Deadline")) } dd { (d) } }
            }
            p { (c.description) }
            h2 { (lang.t("Durchgeführte Suchen", "Searches run")) }
            @if r.searches.is_empty() {
                p { (lang.t("Für diese Challenge wurde noch keine Liste abgerufen.", "No list has been served for this challenge yet.")) }
            }
            @if r.searches.len() > MAX_SEARCHES_SHOWN {
                p { (lang.t("Die letzten ", "The last ")) (MAX_SEARCHES_SHOWN) (lang.t(" von ", " of ")) (r.searches.len())
                    (lang.t(" Suchen; alle stehen in der CSV- und JSON-Datei.", " searches; all are in the CSV and JSON files.")) }
            }
            @for (n, s) in r.searches.iter().enumerate().skip(r.searches.len().saturating_sub(MAX_SEARCHES_SHOWN)) {
                section.search {
                    h3 { (lang.t("Suche ", "Search ")) (n + 1) " · " (s.first_served_at)
                        @if s.times > 1 { " – " (s.last_served_at) } }
                    p.meta {
                        (lang.t("Modell ", "Model ")) (s.model) " · " (lang.t("Index ", "Index ")) (s.index_version)
                        " · " (s.route) " · " (lang.t("Anfrage ", "Request ")) (s.request_id)
                        @if s.times > 1 { " · " (s.times) (lang.t("-mal mit gleichem Ergebnis", " times with the same result")) }
                    }
                    details {
                        summary { (lang.t("Parameter", "Parameters")) }
                        pre { (serde_json::to_string_pretty(&s.params).unwrap_or_default()) }
                    }
                    ol {
                        @for res in &s.results {
                            li { (name(&res.id)) " (" (res.id) ") · " (lang.num(res.score as f64, 3)) }
                        }
                    }
                }
            }
            h2 { (lang.t("Shortlist", "Shortlist")) }
            @if r.shortlist.is_empty() {
                p { (lang.t("Keine Startups auf der Shortlist.", "No startups on the shortlist.")) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { "Startup" }
                        th scope="col" { (lang.t("Phase", "Stage")) }
                        th scope="col" { (lang.t("Grund", "Reason")) }
                        th scope="col" { (lang.t("Notiz", "Note")) }
                        th scope="col" { (lang.t("Geändert", "Changed")) }
                    } }
                    tbody {
                        @for e in &r.shortlist {
                            tr {
                                td { (name(&e.startup)) }
                                td { (stage_name(lang, e.stage)) }
                                td { (e.reason.as_deref().unwrap_or("")) }
                                td { (e.note) }
                                td { (e.changed_by) ", " (e.changed_at) }
                            }
                        }
                    }
                }
            }
            h2 { (lang.t("Verlauf", "History")) }
            ol {
                @for e in &r.history {
                    li { (e.changed_at) ": " (name(&e.startup)) " → " (stage_name(lang, e.stage))
                        @if let Some(reason) = &e.reason { " (" (reason) ")" }
                        " · " (e.changed_by) }
                }
            }
            h2 { (lang.t("Rückmeldungen", "Feedback")) }
            @if r.feedback.is_empty() {
                p { (lang.t("Keine Rückmeldungen.", "No feedback.")) }
            }
            ul {
                @for j in &r.feedback {
                    li { (name(&j.feedback.item)) ": " (label_name(lang, j.feedback.label))
                        " (" (lang.t("Suche ", "search ")) (j.search + 1) ")"
                        @if let Some(at) = &j.feedback.given_at { " · " (at) } }
                }
            }
        }
    };
    Ok(page(
        lang,
        lang.t("Marktsichtungsbericht", "Market-scouting report"),
        Some(ctx),
        body,
    ))
}

pub async fn show(
    State(web): State<Arc<Web>>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Markup, WebError> {
    render(&web, &ctx, id).await
}

pub async fn json(
    State(web): State<Arc<Web>>,
    _ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let r = scouting(&web, id).await?;
    let file = format!(
        "attachment; filename=\"scouting-{}.json\"",
        safe(&r.challenge.id)
    );
    Ok(([(CONTENT_DISPOSITION, file)], Json(r)).into_response())
}

fn safe(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One row per shown candidate of every search, with its shortlist stage and feedback.
pub async fn csv(
    State(web): State<Arc<Web>>,
    _ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let r = scouting(&web, id).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let row = |w: &mut csv::Writer<Vec<u8>>, fields: &[&str]| {
        w.write_record(fields).map_err(|e| {
            WebError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        })
    };
    row(
        &mut w,
        &[
            "challenge",
            "search",
            "first_served_at",
            "last_served_at",
            "times",
            "request_id",
            "model",
            "index_version",
            "rank",
            "startup_id",
            "startup",
            "score",
            "stage",
            "reason",
            "feedback",
        ],
    )?;
    for (n, s) in r.searches.iter().enumerate() {
        for (i, res) in s.results.iter().enumerate() {
            let entry = r.shortlist.iter().find(|e| e.startup == res.id);
            let feedback: Vec<String> = r
                .feedback
                .iter()
                .filter(|j| j.search == n && j.feedback.item == res.id)
                .map(|j| j.feedback.label.to_string())
                .collect();
            row(
                &mut w,
                &[
                    &csv_safe(&r.challenge.id),
                    &(n + 1).to_string(),
                    &s.first_served_at,
                    &s.last_served_at,
                    &s.times.to_string(),
                    &s.request_id,
                    &s.model,
                    &s.index_version,
                    &(i + 1).to_string(),
                    &res.id,
                    &csv_safe(r.names.get(&res.id).map_or("", String::as_str)),
                    &format!("{:.4}", res.score),
                    entry.map_or("", |e| e.stage.as_str()),
                    &csv_safe(entry.and_then(|e| e.reason.as_deref()).unwrap_or("")),
                    &feedback.join(" "),
                ],
            )?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| WebError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let file = format!(
        "attachment; filename=\"scouting-{}.csv\"",
        safe(&r.challenge.id)
    );
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (CONTENT_DISPOSITION, file),
        ],
        bytes,
    )
        .into_response())
}

fn lorenz_svg(lang: Lang, r: &ExposureReport) -> Markup {
    let colours = ["#0b4f9c", "#b34700"];
    html! {
        svg.lorenz viewBox="-12 -4 116 116" role="img" aria-labelledby="lz-t lz-d" {
            title #lz-t { (lang.t("Lorenzkurve der Sichtbarkeit", "Lorenz curve of exposure")) }
            desc #lz-d { (lang.t(
                "Anteil der Startups (wenig sichtbar zuerst) gegen ihren Anteil an der Sichtbarkeit; die Diagonale wäre Gleichverteilung.",
                "Share of startups (least exposed first) against their share of exposure; the diagonal is equal exposure.")) }
            rect x="0" y="0" width="100" height="100" fill="none" stroke="#555" stroke-width="0.4" {}
            line x1="0" y1="100" x2="100" y2="0" stroke="#555" stroke-dasharray="2 2" stroke-width="0.4" {}
            @for (i, run) in r.runs.iter().enumerate() {
                polyline fill="none" stroke=(colours[i % 2]) stroke-width="1.2"
                    points=(run.summary.lorenz.iter().map(|(x, y)| format!("{:.2},{:.2}", x * 100.0, 100.0 - y * 100.0)).collect::<Vec<_>>().join(" ")) {}
            }
        }
    }
}

/// The exposure figures of the served lists (`govmatch report exposure`), as a page.
pub async fn exposure(State(web): State<Arc<Web>>, ctx: Ctx) -> Result<Markup, WebError> {
    let lang = ctx.lang;
    let r = blocking(&web.server, |service| {
        Ok(service.exposure_cached(&RankOptions::default())?)
    })
    .await?;
    let pct = |x: f64| format!("{} %", lang.num(100.0 * x, 1));
    let body = html! {
        h1 { (lang.t("Sichtbarkeit der Startups", "Startup exposure")) }
        p { (lang.t(
            "Wie gleichmäßig die Listen aller offenen Challenges die Startups zeigen: Position 1 zählt 1, Position 3 zählt 0,5 (1/log2(1+Rang)).",
            "How evenly the lists of all open challenges show the startups: position 1 counts 1, position 3 counts 0.5 (1/log2(1+rank)).")) }
        p.meta {
            (r.challenges) " " (lang.t("offene Challenges", "open challenges")) " · " (r.startups) " Startups · Top " (r.k)
            " · " (r.left_out_low_quality) " " (lang.t("Profile ohne Inhalt ausgelassen", "contentless profiles left out"))
        }
        table #exposure {
            caption { (lang.t("Kennzahlen", "Figures")) }
            thead { tr {
                th scope="col" { "" }
                @for run in &r.runs {
                    th scope="col" { (lang.t("Hub-Reduktion ", "Hub reduction ")) (if run.hub_reduction { lang.t("an", "on") } else { lang.t("aus", "off") }) }
                }
            } }
            tbody {
                tr { th scope="row" { "Gini" } @for run in &r.runs { td { (lang.num(run.summary.gini, 3)) } } }
                tr { th scope="row" { (lang.t("Anteil der sichtbarsten 1 %", "Share of the top 1%")) } @for run in &r.runs { td { (pct(run.summary.top_1_percent_share)) } } }
                tr { th scope="row" { (lang.t("Anteil der sichtbarsten 10 %", "Share of the top 10%")) } @for run in &r.runs { td { (pct(run.summary.top_10_percent_share)) } } }
                tr { th scope="row" { (lang.t("Nie gezeigt", "Never shown")) } @for run in &r.runs { td { (run.summary.never_shown) } } }
            }
        }
        figure {
            (lorenz_svg(lang, &r))
            figcaption { (lang.t("Lorenzkurve: blau mit, orange ohne Hub-Reduktion.", "Lorenz curve: blue with, orange without hub reduction.")) }
        }
        @if let Some(run) = r.runs.first() {
            @for (facet, rows) in &run.breakdowns {
                table {
                    caption { (lang.t("Nach ", "By ")) (facet) }
                    thead { tr {
                        th scope="col" { (lang.t("Wert", "Value")) }
                        th scope="col" { "Startups" }
                        th scope="col" { (lang.t("Anteil Katalog", "Catalogue share")) }
                        th scope="col" { (lang.t("Anteil Sichtbarkeit", "Exposure share")) }
                        th scope="col" { (lang.t("Nie gezeigt", "Never shown")) }
                    } }
                    tbody {
                        @for g in rows.iter().take(8) {
                            tr { td { (g.value) } td { (g.startups) } td { (pct(g.catalogue_share)) } td { (pct(g.exposure_share)) } td { (g.never_shown) } }
                        }
                    }
                }
            }
        }
    };
    Ok(page(
        lang,
        lang.t("Sichtbarkeit", "Exposure"),
        Some(&ctx),
        body,
    ))
}
