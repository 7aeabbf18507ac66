//! The report as one self-contained HTML page: tables, and charts as inline SVG.

use askama::Template;

use super::Report;
use super::sections::Section;

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    report: &'a Report,
    in_app: bool,
    sections: &'a [Section],
}

/// Renders the page from the report's sections; `in_app` adds a link back to the overview.
pub fn render(report: &Report, sections: &[Section], in_app: bool) -> Result<String, askama::Error> {
    Page { report, in_app, sections }.render()
}
