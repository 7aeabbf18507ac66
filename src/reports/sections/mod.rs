//! The report's sections, one builder each: a section draws its own charts and makes its own
//! tables from the same figures, so a chart and the table beside it cannot drift apart.

mod flow;
mod models;
mod outcomes;
mod recruitment;
mod retention;

use trialdesk_charts as c;

use super::Report;

/// A drawn chart, with the file name stem and caption the report gives it.
pub struct Figure {
    pub name: String,
    pub caption: String,
    pub rendered: c::Rendered,
}

impl Figure {
    /// A chart, or nothing when there was nothing to draw.
    fn drawn(
        name: impl Into<String>,
        caption: impl Into<String>,
        result: Result<c::Rendered, c::ChartError>,
    ) -> Option<Self> {
        result.ok().map(|rendered| Figure { name: name.into(), caption: caption.into(), rendered })
    }

    /// The SVG element without its XML declaration, to place inline.
    pub fn inline_svg(&self) -> &str {
        let svg = &self.rendered.svg;
        svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..])
    }
}

/// A table ready to show: headers and formatted cells.
pub struct Table {
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One section of the report: its charts, tables and notes.
pub struct Section {
    pub title: String,
    pub intro: String,
    pub figures: Vec<Figure>,
    pub tables: Vec<Table>,
    pub notes: Vec<String>,
}

/// Every section the report's figures allow, in reading order.
pub fn all(report: &Report) -> Vec<Section> {
    let mut sections: Vec<Section> =
        [flow::section(report), recruitment::section(report), retention::section(report)]
            .into_iter()
            .flatten()
            .collect();
    sections.extend(outcomes::sections(report));
    sections
}

fn num(v: Option<f64>, places: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.places$}").replace('-', "−"),
        _ => "–".into(),
    }
}

fn p_value(p: f64) -> String {
    match p {
        p if p.is_nan() => "–".into(),
        p if p < 0.001 => "<0.001".into(),
        p => format!("{p:.3}"),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |r| format!("{:.0}%", 100.0 * r))
}

/// An arm as the report names it (blinded reports: its code).
fn arm(report: &Report, value: &str) -> String {
    report.arm_names.get(value).cloned().unwrap_or_else(|| value.to_string())
}
