//! The `eval compare --plot` chart: one group of bars per row, one bar per metric.

use std::path::Path;

use govmatch::eval::{Metric, Row};
use plotters::prelude::*;

/// Colours from the Okabe–Ito palette, which stays distinguishable for colour-blind readers.
const COLOURS: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
];

/// Writes an SVG bar chart of every row's metric means; rows are numbered as in the table.
pub fn bars(path: &Path, title: &str, rows: &[Row], metrics: &[Metric]) -> anyhow::Result<()> {
    let n = rows.len();
    let width = (120 + n * (metrics.len() * 12 + 24)).max(720) as u32;
    let root = SVGBackend::new(path, (width, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..n as f64, 0f64..1.0)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|x| format!("{}", x.floor() as usize + 1))
        .x_desc("row (as numbered in the table)")
        .y_desc("score")
        .draw()?;
    let w = 0.8 / metrics.len() as f64;
    for (j, metric) in metrics.iter().enumerate() {
        let colour = COLOURS[j % COLOURS.len()];
        chart
            .draw_series(rows.iter().enumerate().map(|(i, row)| {
                let x = i as f64 + 0.1 + j as f64 * w;
                Rectangle::new([(x, 0.0), (x + w, row.means[j])], colour.filled())
            }))?
            .label(metric.to_string())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Writes the Lorenz curves of an exposure report (one per run) against the line of equal
/// exposure: the further below it, the more the lists concentrate on few startups.
pub fn lorenz(path: &Path, report: &govmatch::service::ExposureReport) -> anyhow::Result<()> {
    let root = SVGBackend::new(path, (560, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "Startup exposure, top {} of {} challenges",
                report.k, report.challenges
            ),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..1.0, 0f64..1.0)?;
    chart
        .configure_mesh()
        .x_desc("share of startups, least exposed first")
        .y_desc("share of all exposure")
        .draw()?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.4)))?
        .label("equal exposure")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLACK.mix(0.4)));
    for (i, run) in report.runs.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(
                run.summary.lorenz.iter().copied(),
                colour.stroke_width(2),
            ))?
            .label(format!(
                "hub reduction {} (Gini {:.3})",
                if run.hub_reduction { "on" } else { "off" },
                run.summary.gini
            ))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    root.present()?;
    Ok(())
}
