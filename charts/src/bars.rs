//! Grouped bars per category, with optional per-category targets.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::font::{font, line_height, text_width, wrap, wrap_limited};
use crate::frame::{self, HEIGHT, Header, PLOT_WIDTH, TICK_SIZE, WIDTH};
use crate::legend::{Item, Swatch};
use crate::render::{Chart, render};
use crate::style::{AXIS, INK, TEXT, colour, fmt_number, text_top, value_range};
use crate::{ChartError, Rendered};

/// Grouped bars: for each category, one bar per series side by side.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bars {
    pub title: String,
    /// Category axis title, e.g. "Week of programme".
    pub x_label: String,
    /// Value axis title with units, e.g. "Sessions completed (%)".
    pub y_label: String,
    /// Category names, left to right. Long names are wrapped, or turned vertical when there are many.
    pub categories: Vec<String>,
    /// One per arm (or a single series); each has one value per category.
    pub series: Vec<BarSeries>,
    /// Targets per category, drawn as a black line across the category's bars.
    pub targets: Option<Target>,
    /// Top of the value axis (e.g. 100 for percentages); raised if a value or target is larger.
    pub y_max: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BarSeries {
    pub name: String,
    /// One per category; `None` (or a non-finite value) leaves the bar out.
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Target {
    /// Legend entry, e.g. "Recruitment target".
    pub name: String,
    /// One per category; `None` draws no target for that category.
    pub values: Vec<Option<f64>>,
}

/// Draws grouped bars per category, with targets as black lines across the groups.
pub fn bars(c: &Bars) -> Result<Rendered, ChartError> {
    crate::font::ensure_registered()?;
    render(&Plan::new(c)?)
}

/// How the category names are set under the axis.
enum Labels {
    /// Horizontal, each wrapped to a few lines within its slot.
    Across(Vec<Vec<String>>),
    /// Turned to read upwards, ending at the axis, when horizontal ones would not fit. When even
    /// one upright line is wider than a category, only every few categories are labelled.
    Upright(Vec<Vec<String>>),
}

const LABEL_GAP: i32 = 10;
const UPRIGHT_MAX: i32 = 170;

impl Labels {
    fn new(categories: &[String]) -> Labels {
        let slot = PLOT_WIDTH / categories.len().max(1) as i32;
        let max_w = slot - 8;
        let words_fit =
            categories.iter().all(|c| c.split_whitespace().all(|w| text_width(w, TICK_SIZE, false) <= max_w));
        let across: Vec<Vec<String>> = categories.iter().map(|c| wrap(c, max_w, TICK_SIZE, false)).collect();
        if words_fit && across.iter().all(|l| l.len() <= 4) {
            return Labels::Across(across);
        }
        let lh = line_height(TICK_SIZE);
        let lines = ((slot - 4) / lh).clamp(1, 2) as usize;
        let every = (lh.max(0) as u32 + 2).div_ceil(slot.max(1) as u32).max(1) as usize;
        Labels::Upright(
            categories
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if i % every == 0 {
                        wrap_limited(c, UPRIGHT_MAX, lines, TICK_SIZE, false)
                    } else {
                        Vec::new()
                    }
                })
                .collect(),
        )
    }

    /// Pixels the labels take below the axis.
    fn height(&self) -> i32 {
        LABEL_GAP
            + match self {
                Labels::Across(all) => {
                    all.iter().map(Vec::len).max().unwrap_or(1) as i32 * line_height(TICK_SIZE)
                }
                Labels::Upright(all) => {
                    all.iter().flatten().map(|l| text_width(l, TICK_SIZE, false)).max().unwrap_or(0)
                }
            }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        centres: &[i32],
        top: i32,
    ) -> Result<(), ChartError> {
        let lh = line_height(TICK_SIZE);
        match self {
            Labels::Across(all) => {
                for (lines, &cx) in all.iter().zip(centres) {
                    for (j, line) in lines.iter().enumerate() {
                        text_top(
                            root,
                            line,
                            (cx, top + LABEL_GAP + j as i32 * lh),
                            TICK_SIZE,
                            false,
                            TEXT,
                            HPos::Center,
                        )?;
                    }
                }
            }
            Labels::Upright(all) => {
                let style = font(TICK_SIZE, false)
                    .transform(FontTransform::Rotate270)
                    .color(&TEXT)
                    .pos(Pos::new(HPos::Right, VPos::Top));
                for (lines, &cx) in all.iter().zip(centres) {
                    let left = cx - lines.len() as i32 * lh / 2;
                    for (j, line) in lines.iter().enumerate() {
                        root.draw_text(line, &style, (left + j as i32 * lh, top + LABEL_GAP))?;
                    }
                }
            }
        }
        Ok(())
    }
}

struct Plan<'a> {
    c: &'a Bars,
    labels: Labels,
    y: (f64, f64),
}

fn finite(v: &Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite())
}

impl<'a> Plan<'a> {
    fn new(c: &'a Bars) -> Result<Plan<'a>, ChartError> {
        let no_data = |reason: &str| ChartError::NoData { chart: "bar", reason: reason.to_string() };
        if c.categories.is_empty() {
            return Err(no_data("no categories"));
        }
        if c.series.is_empty() {
            return Err(no_data("no series"));
        }
        let n = c.categories.len();
        for s in &c.series {
            if s.values.len() != n {
                return Err(ChartError::Invalid {
                    chart: "bar",
                    reason: format!("series \"{}\" has {} values for {n} categories", s.name, s.values.len()),
                });
            }
        }
        if let Some(t) = &c.targets
            && t.values.len() != n
        {
            return Err(ChartError::Invalid {
                chart: "bar",
                reason: format!("target \"{}\" has {} values for {n} categories", t.name, t.values.len()),
            });
        }
        let values: Vec<f64> = c
            .series
            .iter()
            .flat_map(|s| s.values.iter())
            .chain(c.targets.iter().flat_map(|t| t.values.iter()))
            .filter_map(finite)
            .collect();
        if values.is_empty() {
            return Err(no_data("every value is missing"));
        }
        let (lo, auto_hi) = value_range(values.iter().copied(), true);
        let data_max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let hi = match c.y_max.filter(|m| m.is_finite() && *m > lo) {
            Some(m) if data_max <= m => m,
            _ => auto_hi,
        };
        Ok(Plan { c, labels: Labels::new(&c.categories), y: (lo, hi) })
    }

    fn legend(&self) -> Vec<Item> {
        let mut items: Vec<Item> = self
            .c
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| Item { label: s.name.clone(), swatch: Swatch::Bar(colour(i)) })
            .collect();
        if let Some(t) = &self.c.targets {
            items.push(Item { label: t.name.clone(), swatch: Swatch::Target });
        }
        items
    }

    /// Extra height for tall upright labels, so the plot keeps a useful height.
    fn extra_height(&self) -> u32 {
        (self.labels.height() - 40).max(0) as u32
    }
}

impl Chart for Plan<'_> {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT + self.extra_height())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let header = Header::new(&self.c.title, self.legend(), WIDTH);
        let body = frame::body(root, &header)?;
        let n = self.c.categories.len();
        let x_area = self.labels.height() + line_height(frame::AXIS_TITLE_SIZE) + 8;
        let mut chart = ChartBuilder::on(&body)
            .margin_left(frame::MARGIN_LEFT)
            .margin_right(frame::MARGIN_RIGHT)
            .margin_top(frame::MARGIN_TOP)
            .margin_bottom(frame::MARGIN_BOTTOM)
            .x_label_area_size(x_area)
            .y_label_area_size(frame::Y_LABEL_AREA)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), self.y.0..self.y.1)?;
        let mut mesh = chart.configure_mesh();
        frame::style_mesh(&mut mesh, &self.c.x_label, &self.c.y_label);
        mesh.x_labels(0).y_label_formatter(&fmt_number).draw()?;

        let m = self.c.series.len() as f64;
        let group = 0.8;
        let width = group / m;
        let inset = width * 0.06;
        for (j, s) in self.c.series.iter().enumerate() {
            let rects: Vec<[(f64, f64); 2]> = s
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| finite(v).map(|v| (i, v)))
                .map(|(i, v)| {
                    let x0 = i as f64 - group / 2.0 + j as f64 * width + inset;
                    [(x0, 0f64.max(self.y.0)), (x0 + width - 2.0 * inset, v)]
                })
                .collect();
            chart.draw_series(rects.iter().map(|r| Rectangle::new(*r, colour(j).filled())))?;
            chart.draw_series(rects.iter().map(|r| Rectangle::new(*r, AXIS.stroke_width(1))))?;
        }
        if self.y.0 < 0.0 {
            chart.draw_series(LineSeries::new(
                vec![(-0.5, 0.0), (n as f64 - 0.5, 0.0)],
                AXIS.stroke_width(1),
            ))?;
        }
        if let Some(t) = &self.c.targets {
            let half = group / 2.0 + 0.04;
            for (i, v) in t.values.iter().enumerate() {
                if let Some(v) = finite(v) {
                    let i = i as f64;
                    chart.draw_series(LineSeries::new(
                        vec![(i - half, v), (i + half, v)],
                        INK.stroke_width(3),
                    ))?;
                }
            }
        }

        let centres: Vec<i32> = (0..n).map(|i| chart.backend_coord(&(i as f64, self.y.0)).0).collect();
        let axis_y = chart.backend_coord(&(0.0, self.y.0)).1;
        for &cx in &centres {
            root.draw(&PathElement::new(vec![(cx, axis_y), (cx, axis_y + 5)], AXIS.stroke_width(1)))?;
        }
        self.labels.draw(root, &centres, axis_y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize, long: bool) -> Vec<String> {
        (0..n)
            .map(|i| {
                if long {
                    format!("Native Hawaiian or Other Pacific Islander {i}")
                } else {
                    format!("Wk {i}")
                }
            })
            .collect()
    }

    #[test]
    fn short_labels_stay_horizontal_and_long_many_labels_turn_upright() {
        crate::font::ensure_registered().expect("fonts");
        assert!(matches!(Labels::new(&names(12, false)), Labels::Across(_)));
        assert!(matches!(Labels::new(&names(12, true)), Labels::Upright(_)));
        assert!(matches!(Labels::new(&names(3, true)), Labels::Across(_)));
        let Labels::Upright(crowded) = Labels::new(&names(120, false)) else { panic!("upright") };
        assert!(crowded[0].len() == 1 && crowded[1].is_empty(), "every other label is left out");
    }
}
