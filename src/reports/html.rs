//! The report as one self-contained HTML page: tables, and charts as inline SVG.
//!
//! The page's own words (its title, the way back, the blinding notice, the methods) are in the
//! reader's language; the report's body (sections, tables, figures, notes) is the statistical
//! document as generated, in English.

use askama::Template;

use super::Report;
use super::sections::Section;
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    tr: Tr,
    report: &'a Report,
    in_app: bool,
    sections: &'a [Section],
    methods: Vec<String>,
}

/// Renders the page from the report's sections, in English (the file `trialdesk report` writes);
/// `in_app` adds a link back to the overview.
pub fn render(report: &Report, sections: &[Section], in_app: bool) -> Result<String, askama::Error> {
    render_in(Tr::default(), report, sections, in_app)
}

/// Renders the page with its own words in `tr`'s language (the signed-in reader's, in the app).
pub fn render_in(
    tr: Tr,
    report: &Report,
    sections: &[Section],
    in_app: bool,
) -> Result<String, askama::Error> {
    let methods = super::methods::sentences(&tr, report);
    Page { tr, report, in_app, sections, methods }.render()
}
