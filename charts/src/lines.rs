//! Lines over time, e.g. cumulative recruitment against a dashed target.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::series::LineSeries as Polyline;

use crate::frame::{self, HEIGHT, Header, WIDTH};
use crate::legend::{Item, Swatch};
use crate::render::{Chart, render};
use crate::style::{TimeAxis, colour, draw_marker, marker, value_range};
use crate::{ChartError, Rendered};

/// Lines over time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lines {
    pub title: String,
    /// Horizontal axis title with units, e.g. "Weeks since recruitment opened".
    pub x_label: String,
    /// Vertical axis title with units, e.g. "Participants randomised (cumulative)".
    pub y_label: String,
    /// Series `i` takes colour `i`.
    pub series: Vec<LineSeries>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineSeries {
    pub name: String,
    /// `(x, y)` in order; points are joined by straight lines (give both corners of each step for a
    /// step line). Points with a non-finite coordinate are skipped.
    pub points: Vec<(f64, f64)>,
    /// Dashed, e.g. for a target or projection.
    pub dashed: bool,
}

/// Draws one line per series; the value axis starts at zero.
pub fn lines(c: &Lines) -> Result<Rendered, ChartError> {
    render(&Plan::new(c)?)
}

struct Plan<'a> {
    c: &'a Lines,
    points: Vec<Vec<(f64, f64)>>,
    x: TimeAxis,
    y: (f64, f64),
}

impl<'a> Plan<'a> {
    fn new(c: &'a Lines) -> Result<Plan<'a>, ChartError> {
        let no_data = |reason: &str| ChartError::NoData { chart: "line", reason: reason.to_string() };
        if c.series.is_empty() {
            return Err(no_data("no series"));
        }
        let points: Vec<Vec<(f64, f64)>> = c
            .series
            .iter()
            .map(|s| s.points.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite()).collect())
            .collect();
        if points.iter().all(Vec::is_empty) {
            return Err(no_data("no point has finite coordinates"));
        }
        let xs: Vec<f64> = points.iter().flatten().map(|p| p.0).collect();
        let mut x = TimeAxis::new(&xs, 0.0);
        if x.hi - x.lo < 1e-9 {
            // A single time: give it some room either side.
            x = TimeAxis::new(&xs, 0.6);
        }
        let y = value_range(points.iter().flatten().map(|p| p.1), true);
        Ok(Plan { c, points, x, y })
    }

    fn legend(&self) -> Vec<Item> {
        self.c
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| Item {
                label: s.name.clone(),
                swatch: Swatch::Line { colour: colour(i), dashed: s.dashed, marker: None },
            })
            .collect()
    }
}

impl Chart for Plan<'_> {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let header = Header::new(&self.c.title, self.legend(), WIDTH);
        let body = frame::body(root, &header)?;
        let mut chart = frame::time_chart(&body, &self.x, self.y, &self.c.x_label, &self.c.y_label)?;

        // Dashed series (targets) underneath, so the observed lines stay on top.
        let mut order: Vec<usize> = (0..self.points.len()).collect();
        order.sort_by_key(|&i| !self.c.series[i].dashed);
        for i in order {
            let pts = &self.points[i];
            let style = colour(i).stroke_width(3);
            if self.c.series[i].dashed {
                chart.draw_series(DashedLineSeries::new(pts.iter().copied(), 10, 6, style))?;
            } else {
                chart.draw_series(Polyline::new(pts.iter().copied(), style))?;
            }
            if pts.len() == 1 {
                draw_marker(root, marker(i), chart.backend_coord(&pts[0]), 5, colour(i))?;
            }
        }
        Ok(())
    }
}
