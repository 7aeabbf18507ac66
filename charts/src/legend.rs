//! A legend laid out in centred rows above the plot, so it can never cover the data.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use crate::ChartError;
use crate::font::{ellipsize, text_width};
use crate::style::{AXIS, INK, Marker, REFERENCE, TEXT, draw_marker, text_centred_v};

pub(crate) const LEGEND_SIZE: f64 = 16.0;
const SWATCH_W: i32 = 34;
const SWATCH_GAP: i32 = 8;
const ITEM_GAP: i32 = 28;
const ROW_H: i32 = 26;

/// What an entry's sample looks like.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Swatch {
    /// A line in a series colour, optionally dashed and with the series' marker.
    Line { colour: RGBColor, dashed: bool, marker: Option<Marker> },
    /// A filled bar.
    Bar(RGBColor),
    /// The black target mark of the bar chart.
    Target,
    /// A grey error bar, explaining what the whiskers show.
    ErrorBar,
    /// The grey dashed reference line.
    Reference,
}

#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub label: String,
    pub swatch: Swatch,
}

pub(crate) struct Legend {
    items: Vec<(Item, i32)>,
    rows: Vec<(Vec<usize>, i32)>,
}

impl Legend {
    /// Lays `items` out in rows no wider than `max_width`.
    pub(crate) fn new(items: Vec<Item>, max_width: i32) -> Legend {
        let label_max = (max_width - SWATCH_W - SWATCH_GAP).max(40);
        let items: Vec<(Item, i32)> = items
            .into_iter()
            .map(|mut item| {
                item.label = ellipsize(&item.label, label_max, LEGEND_SIZE, false);
                let w = SWATCH_W + SWATCH_GAP + text_width(&item.label, LEGEND_SIZE, false);
                (item, w)
            })
            .collect();
        let mut rows: Vec<(Vec<usize>, i32)> = Vec::new();
        for (i, (_, w)) in items.iter().enumerate() {
            match rows.last_mut() {
                Some((row, row_w)) if *row_w + ITEM_GAP + w <= max_width => {
                    row.push(i);
                    *row_w += ITEM_GAP + w;
                }
                _ => rows.push((vec![i], *w)),
            }
        }
        Legend { items, rows }
    }

    pub(crate) fn height(&self) -> i32 {
        self.rows.len() as i32 * ROW_H
    }

    /// Draws the rows from `top`, each centred on `centre_x`.
    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        top: i32,
        centre_x: i32,
    ) -> Result<(), ChartError> {
        for (r, (row, row_w)) in self.rows.iter().enumerate() {
            let cy = top + r as i32 * ROW_H + ROW_H / 2;
            let mut x = centre_x - row_w / 2;
            for &i in row {
                let (item, w) = &self.items[i];
                draw_swatch(area, item.swatch, x, cy)?;
                text_centred_v(
                    area,
                    &item.label,
                    (x + SWATCH_W + SWATCH_GAP, cy),
                    LEGEND_SIZE,
                    false,
                    TEXT,
                    HPos::Left,
                )?;
                x += w + ITEM_GAP;
            }
        }
        Ok(())
    }
}

fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    swatch: Swatch,
    x: i32,
    cy: i32,
) -> Result<(), ChartError> {
    let (x0, x1, mid) = (x + 2, x + SWATCH_W - 2, x + SWATCH_W / 2);
    match swatch {
        Swatch::Line { colour, dashed, marker } => {
            let style = colour.stroke_width(3);
            if dashed {
                area.draw(&DashedPathElement::new(vec![(x0, cy), (x1, cy)], 8, 5, style))?;
            } else {
                area.draw(&PathElement::new(vec![(x0, cy), (x1, cy)], style))?;
            }
            if let Some(m) = marker {
                draw_marker(area, m, (mid, cy), 5, colour)?;
            }
        }
        Swatch::Bar(colour) => {
            let rect = [(x + 6, cy - 8), (x + SWATCH_W - 6, cy + 8)];
            area.draw(&Rectangle::new(rect, colour.filled()))?;
            area.draw(&Rectangle::new(rect, AXIS.stroke_width(1)))?;
        }
        Swatch::Target => {
            area.draw(&PathElement::new(vec![(x0, cy), (x1, cy)], INK.stroke_width(3)))?;
        }
        Swatch::ErrorBar => {
            let style = AXIS.stroke_width(2);
            area.draw(&PathElement::new(vec![(mid, cy - 9), (mid, cy + 9)], style))?;
            area.draw(&PathElement::new(vec![(mid - 5, cy - 9), (mid + 5, cy - 9)], style))?;
            area.draw(&PathElement::new(vec![(mid - 5, cy + 9), (mid + 5, cy + 9)], style))?;
            draw_marker(area, Marker::Circle, (mid, cy), 4, AXIS)?;
        }
        Swatch::Reference => {
            area.draw(&DashedPathElement::new(vec![(x0, cy), (x1, cy)], 6, 4, REFERENCE.stroke_width(2)))?;
        }
    }
    Ok(())
}
