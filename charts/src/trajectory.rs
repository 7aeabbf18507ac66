//! Mean outcome per arm over time, with 95% confidence-interval error bars.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::frame::{self, HEIGHT, Header, WIDTH};
use crate::legend::{Item, Swatch};
use crate::render::{Chart, render};
use crate::style::{REFERENCE, TimeAxis, colour, draw_marker, fmt_number, marker, value_range};
use crate::{ChartError, Rendered};

/// Mean outcome per arm over time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trajectory {
    pub title: String,
    /// Horizontal axis title with units, e.g. "Weeks since randomisation".
    pub x_label: String,
    /// Vertical axis title with units, e.g. "Change in PHQ-9 score from baseline (points)".
    pub y_label: String,
    /// One per arm; series `i` takes colour and marker `i`.
    pub series: Vec<Series>,
    /// A horizontal dashed line, e.g. 0 for change from baseline.
    pub reference_line: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<Point>,
}

/// One time point: the mean and its 95% confidence interval. Points whose `x` or `mean` is not
/// finite are skipped; the error bar is left out when either limit is not finite.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Point {
    pub x: f64,
    pub mean: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Draws mean per arm over time: markers joined by lines, vertical 95% CI error bars, series dodged
/// sideways so their error bars do not overlap, and the optional reference line.
pub fn trajectory(c: &Trajectory) -> Result<Rendered, ChartError> {
    render(&Plan::new(c)?)
}

struct Mark {
    x: f64,
    mean: f64,
    ci: Option<(f64, f64)>,
}

struct Plan<'a> {
    c: &'a Trajectory,
    marks: Vec<Vec<Mark>>,
    x: TimeAxis,
    y: (f64, f64),
}

impl<'a> Plan<'a> {
    fn new(c: &'a Trajectory) -> Result<Plan<'a>, ChartError> {
        let no_data = |reason: &str| ChartError::NoData { chart: "trajectory", reason: reason.to_string() };
        if c.series.is_empty() {
            return Err(no_data("no series"));
        }
        let mut marks: Vec<Vec<Mark>> = c
            .series
            .iter()
            .map(|s| {
                let mut m: Vec<Mark> = s
                    .points
                    .iter()
                    .filter(|p| p.x.is_finite() && p.mean.is_finite())
                    .map(|p| Mark {
                        x: p.x,
                        mean: p.mean,
                        ci: (p.ci_low.is_finite() && p.ci_high.is_finite())
                            .then(|| (p.ci_low.min(p.ci_high), p.ci_low.max(p.ci_high))),
                    })
                    .collect();
                m.sort_by(|a, b| a.x.total_cmp(&b.x));
                m
            })
            .collect();
        if marks.iter().all(Vec::is_empty) {
            return Err(no_data("no point has a finite time and mean"));
        }
        let xs: Vec<f64> = marks.iter().flatten().map(|m| m.x).collect();
        let x = TimeAxis::new(&xs, 0.6);

        // Dodge: spread the arms over at most half the distance between time points.
        let n = marks.len();
        if n > 1 {
            let step = x.gap * (0.5 / (n - 1) as f64).min(0.12);
            for (i, series) in marks.iter_mut().enumerate() {
                let offset = (i as f64 - (n - 1) as f64 / 2.0) * step;
                series.iter_mut().for_each(|m| m.x += offset);
            }
        }

        let values = marks
            .iter()
            .flatten()
            .flat_map(|m| [Some(m.mean), m.ci.map(|ci| ci.0), m.ci.map(|ci| ci.1)])
            .flatten()
            .chain(c.reference_line.filter(|r| r.is_finite()));
        let y = value_range(values, false);
        Ok(Plan { c, marks, x, y })
    }

    fn legend(&self) -> Vec<Item> {
        let mut items: Vec<Item> = self
            .c
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| Item {
                label: s.name.clone(),
                swatch: Swatch::Line { colour: colour(i), dashed: false, marker: Some(marker(i)) },
            })
            .collect();
        if self.marks.iter().flatten().any(|m| m.ci.is_some()) {
            items.push(Item { label: "Mean and 95% CI".to_string(), swatch: Swatch::ErrorBar });
        }
        if let Some(r) = self.c.reference_line.filter(|r| r.is_finite()) {
            items.push(Item { label: format!("Reference ({})", fmt_number(&r)), swatch: Swatch::Reference });
        }
        items
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

        if let Some(r) = self.c.reference_line.filter(|r| r.is_finite()) {
            chart.draw_series(DashedLineSeries::new(
                vec![(self.x.lo, r), (self.x.hi, r)],
                6,
                4,
                REFERENCE.stroke_width(2),
            ))?;
        }

        // Error bars first, then lines, then markers on top.
        let cap = 5;
        for (i, series) in self.marks.iter().enumerate() {
            let style = colour(i).stroke_width(2);
            for m in series {
                if let Some((lo, hi)) = m.ci {
                    let (x, top) = chart.backend_coord(&(m.x, hi));
                    let (_, bottom) = chart.backend_coord(&(m.x, lo));
                    root.draw(&PathElement::new(vec![(x, top), (x, bottom)], style))?;
                    root.draw(&PathElement::new(vec![(x - cap, top), (x + cap, top)], style))?;
                    root.draw(&PathElement::new(vec![(x - cap, bottom), (x + cap, bottom)], style))?;
                }
            }
        }
        for (i, series) in self.marks.iter().enumerate() {
            chart.draw_series(LineSeries::new(
                series.iter().map(|m| (m.x, m.mean)),
                colour(i).stroke_width(3),
            ))?;
        }
        for (i, series) in self.marks.iter().enumerate() {
            for m in series {
                draw_marker(root, marker(i), chart.backend_coord(&(m.x, m.mean)), 6, colour(i))?;
            }
        }
        Ok(())
    }
}
