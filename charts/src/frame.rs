//! The frame shared by the three x–y charts: page size, title, legend, and axis styling.

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use crate::ChartError;
use crate::font::{font, line_height, wrap_limited};
use crate::legend::{Item, Legend};
use crate::style::{AXIS, GRID, KeyedAxis, TEXT, TimeAxis, fmt_number, text_top};

/// Size of the x–y charts in pixels.
pub(crate) const WIDTH: u32 = 900;
pub(crate) const HEIGHT: u32 = 560;

pub(crate) const TITLE_SIZE: f64 = 24.0;
pub(crate) const AXIS_TITLE_SIZE: f64 = 17.0;
pub(crate) const TICK_SIZE: f64 = 15.0;
const TOP_PAD: i32 = 14;

/// Margins around the plot inside the body below the header.
pub(crate) const MARGIN_LEFT: u32 = 14;
pub(crate) const MARGIN_RIGHT: u32 = 30;
pub(crate) const MARGIN_TOP: u32 = 8;
pub(crate) const MARGIN_BOTTOM: u32 = 10;
/// Room for the y tick labels and the rotated y axis title.
pub(crate) const Y_LABEL_AREA: u32 = 84;
/// Room for the x tick labels and the x axis title.
pub(crate) const X_LABEL_AREA: u32 = 54;

/// Width of the plot itself, between the y axis and the right margin.
pub(crate) const PLOT_WIDTH: i32 = (WIDTH - MARGIN_LEFT - MARGIN_RIGHT - Y_LABEL_AREA) as i32;

/// Title (wrapped to two lines at most) and legend rows.
pub(crate) struct Header {
    title: Vec<String>,
    legend: Legend,
}

impl Header {
    pub(crate) fn new(title: &str, items: Vec<Item>, width: u32) -> Header {
        let usable = width as i32 - 60;
        Header { title: wrap_limited(title, usable, 2, TITLE_SIZE, true), legend: Legend::new(items, usable) }
    }

    /// Pixels from the top of the image to where the plot's body starts.
    pub(crate) fn height(&self) -> u32 {
        let title_h = self.title.len() as i32 * line_height(TITLE_SIZE);
        (TOP_PAD + title_h + 10 + self.legend.height() + 4) as u32
    }

    pub(crate) fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let centre = root.dim_in_pixel().0 as i32 / 2;
        let mut y = TOP_PAD;
        for line in &self.title {
            text_top(root, line, (centre, y), TITLE_SIZE, true, TEXT, HPos::Center)?;
            y += line_height(TITLE_SIZE);
        }
        self.legend.draw(root, y + 10, centre)
    }
}

/// Draws the header and returns the area below it for the plot.
pub(crate) fn body<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    header: &Header,
) -> Result<DrawingArea<DB, Shift>, ChartError> {
    header.draw(root)?;
    Ok(root.split_vertically(header.height()).1)
}

/// The plot of a chart over time (trajectories, lines): margins, axes and the styled mesh drawn.
pub(crate) fn time_chart<'a, DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    x: &TimeAxis,
    y: (f64, f64),
    x_title: &str,
    y_title: &str,
) -> Result<ChartContext<'a, DB, Cartesian2d<KeyedAxis, RangedCoordf64>>, ChartError> {
    let mut chart = ChartBuilder::on(body)
        .margin_left(MARGIN_LEFT)
        .margin_right(MARGIN_RIGHT)
        .margin_top(MARGIN_TOP)
        .margin_bottom(MARGIN_BOTTOM)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(x.coord(), y.0..y.1)?;
    let x_fmt = x.formatter();
    let mut mesh = chart.configure_mesh();
    style_mesh(&mut mesh, x_title, y_title);
    mesh.x_label_formatter(&x_fmt).y_label_formatter(&fmt_number).draw()?;
    Ok(chart)
}

/// Applies the house style to a mesh: light horizontal grid only, grey axes, readable labels.
pub(crate) fn style_mesh<X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &mut MeshStyle<'_, '_, X, Y, DB>,
    x_title: &str,
    y_title: &str,
) {
    mesh.x_desc(x_title)
        .y_desc(y_title)
        .axis_desc_style(font(AXIS_TITLE_SIZE, false).color(&TEXT))
        .label_style(font(TICK_SIZE, false).color(&TEXT))
        .axis_style(AXIS.stroke_width(1))
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .disable_x_mesh()
        .y_labels(8)
        .set_all_tick_mark_size(5);
}
