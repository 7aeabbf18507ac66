//! Charts for the trialdesk trial report, drawn as SVG (for web pages) and PNG (for documents).
//!
//! Callers build plain structs from analysis results and get back one [`Rendered`] chart in both
//! formats:
//!
//! - [`trajectory`]: mean outcome per arm over weeks, with 95% confidence-interval error bars;
//! - [`bars`]: grouped bars per category (completion by week, attendance per group, enrolment by
//!   race/ethnicity against targets);
//! - [`lines`]: lines over time (cumulative recruitment against a dashed target);
//! - [`consort`]: the CONSORT 2010 participant flow diagram.
//!
//! Charts use the Okabe–Ito colour-blind-safe palette on white, with series `i` in the same colour in
//! every chart, a legend above the plot (never over the data) and the caller's axis titles and units.
//! Input with nothing to draw gives a [`ChartError`] rather than an empty picture; missing and
//! non-finite values are skipped.
//!
//! # Why the font is bundled
//!
//! The report is produced on servers with no display and often no fonts installed. Text is therefore
//! drawn with DejaVu Sans, shipped in this crate's `fonts/` directory (Bitstream Vera / DejaVu licence
//! in `fonts/LICENSE-DejaVu.txt`) and compiled in with `include_bytes!`. plotters' `ab_glyph` text
//! backend never looks for system fonts, so a chart renders the same everywhere, and the text
//! measurements used to wrap labels and size the CONSORT boxes are exact for the PNG. The SVG asks for
//! "DejaVu Sans, sans-serif", so viewers without DejaVu substitute a (narrower) sans-serif face.
//!
//! The PNG's glyphs are rasterised by this crate (module `canvas`) with the same bundled face, because
//! plotters 0.3.7 misplaces ab_glyph glyphs horizontally and vertically; the SVG's text anchors are
//! adjusted to match, so both formats put text in the same place.

mod bars;
mod canvas;
mod consort;
mod font;
mod frame;
mod legend;
mod lines;
mod render;
mod style;
mod trajectory;

pub use bars::{BarSeries, Bars, Target, bars};
pub use consort::{ConsortArm, ConsortCounts, consort};
pub use font::{BOLD_FACE, REGULAR_FACE};
pub use lines::{LineSeries, Lines, lines};
pub use trajectory::{Point, Series, Trajectory, trajectory};

/// One chart in both formats.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// A standalone SVG document.
    pub svg: String,
    /// An RGB PNG image of the same size.
    pub png: Vec<u8>,
}

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The input has nothing to draw (no series, no categories, or no finite values).
    #[error("{chart} chart has nothing to draw: {reason}")]
    NoData { chart: &'static str, reason: String },
    /// The input contradicts itself (e.g. a series with more values than there are categories).
    #[error("{chart} chart input is inconsistent: {reason}")]
    Invalid { chart: &'static str, reason: String },
    /// The bundled font could not be parsed (a build problem, not an input problem).
    #[error("the bundled DejaVu Sans font could not be loaded")]
    Font,
    /// plotters failed while drawing.
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    /// The drawn image could not be encoded as PNG.
    #[error("encoding the chart as PNG failed: {0}")]
    Png(String),
}
