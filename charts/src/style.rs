//! Shared look: palette, marker shapes, text placement, number formatting and axis ranges.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::ChartError;
use crate::font::font;

/// Okabe–Ito colours, ordered so that the first series get the colours that stand out most on white
/// (the yellow is hard to see as a line, so it comes late; black is kept for targets and references).
pub(crate) const PALETTE: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];
/// Okabe–Ito black, for targets and reference lines.
pub(crate) const INK: RGBColor = RGBColor(0x00, 0x00, 0x00);
/// Body text.
pub(crate) const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Axes, box outlines and connectors.
pub(crate) const AXIS: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Horizontal grid lines.
pub(crate) const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);
/// Reference lines (e.g. no change from baseline).
pub(crate) const REFERENCE: RGBColor = RGBColor(0x77, 0x77, 0x77);

/// Series `i`'s colour; the same arm keeps the same colour in every chart.
pub(crate) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Marker shapes, so that series stay distinguishable in greyscale print.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Marker {
    Circle,
    Triangle,
    Square,
    Diamond,
}

/// Series `i`'s marker.
pub(crate) fn marker(i: usize) -> Marker {
    [Marker::Circle, Marker::Triangle, Marker::Square, Marker::Diamond][i % 4]
}

/// Draws a filled marker centred on a pixel position; `r` is roughly the radius in pixels.
pub(crate) fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    shape: Marker,
    (x, y): (i32, i32),
    r: i32,
    colour: RGBColor,
) -> Result<(), ChartError> {
    let fill = colour.filled();
    let rf = f64::from(r);
    let pt = |dx: f64, dy: f64| (x + dx.round() as i32, y + dy.round() as i32);
    match shape {
        Marker::Circle => area.draw(&Circle::new((x, y), r, fill))?,
        Marker::Triangle => area.draw(&Polygon::new(
            vec![pt(0.0, -1.3 * rf), pt(1.2 * rf, 0.85 * rf), pt(-1.2 * rf, 0.85 * rf)],
            fill,
        ))?,
        Marker::Square => {
            let h = (0.9 * rf).round() as i32;
            area.draw(&Rectangle::new([(x - h, y - h), (x + h, y + h)], fill))?
        }
        Marker::Diamond => area.draw(&Polygon::new(
            vec![pt(0.0, -1.3 * rf), pt(1.3 * rf, 0.0), pt(0.0, 1.3 * rf), pt(-1.3 * rf, 0.0)],
            fill,
        ))?,
    }
    Ok(())
}

/// Draws one line of text whose capitals are vertically centred on `cy`.
pub(crate) fn text_centred_v<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    (x, cy): (i32, i32),
    size: f64,
    bold: bool,
    colour: RGBColor,
    h: HPos,
) -> Result<(), ChartError> {
    let style = font(size, bold).color(&colour).pos(Pos::new(h, VPos::Center));
    area.draw_text(text, &style, (x, cy))?;
    Ok(())
}

/// Draws one line of text with the top of its line box at `top`.
pub(crate) fn text_top<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    (x, top): (i32, i32),
    size: f64,
    bold: bool,
    colour: RGBColor,
    h: HPos,
) -> Result<(), ChartError> {
    let style = font(size, bold).color(&colour).pos(Pos::new(h, VPos::Top));
    area.draw_text(text, &style, (x, top))?;
    Ok(())
}

/// A tick label: integers without decimals, others with at most four decimals and no trailing zeros.
pub(crate) fn fmt_number(v: &f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let mut s = format!("{v:.4}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    if s == "-0" {
        return "0".to_string();
    }
    // A true minus sign: the hyphen is too short to read as negative at tick-label size.
    s.replace('-', "\u{2212}")
}

/// A tick label for an axis whose ticks are whole numbers (weeks, counts).
pub(crate) fn fmt_integer(v: &f64) -> String {
    fmt_number(&v.round())
}

/// A "nice" tick step (1, 2, 2.5 or 5 times a power of ten) giving about `target` intervals over `span`.
pub(crate) fn nice_step(span: f64, target: usize) -> f64 {
    if !(span.is_finite() && span > 0.0) {
        return 1.0;
    }
    let raw = span / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let norm = raw / magnitude;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 2.5 {
        2.5
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// The value axis: covers every finite value (and zero when `from_zero`), padded a little and rounded
/// out to tick steps. All-equal values get a non-zero range around them; no values give 0–1.
pub(crate) fn value_range(values: impl IntoIterator<Item = f64>, from_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return (0.0, 1.0);
    }
    if from_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if hi - lo < 1e-12 {
        let d = if lo.abs() > 1e-12 { lo.abs() * 0.1 } else { 1.0 };
        lo -= d;
        hi += d;
    }
    // Room for error-bar caps and markers; counts from zero need less.
    let pad = (hi - lo) * if from_zero { 0.03 } else { 0.06 };
    let (plo, phi) = (if from_zero && lo >= 0.0 { lo } else { lo - pad }, hi + pad);
    let step = nice_step(phi - plo, 6);
    ((plo / step).floor() * step, (phi / step).ceil() * step)
}

/// A horizontal axis over observation times (weeks, days).
pub(crate) struct TimeAxis {
    pub lo: f64,
    pub hi: f64,
    /// Where ticks and labels go.
    pub keys: Vec<f64>,
    /// Every value is a whole number, so ticks are whole numbers too.
    pub integer: bool,
    /// Smallest distance between two distinct values (1 if there is only one value).
    pub gap: f64,
}

impl TimeAxis {
    /// Axis over `values`, extended by `pad` gaps on each side.
    pub(crate) fn new(values: &[f64], pad: f64) -> TimeAxis {
        let mut xs: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        let integer = xs.iter().all(|v| (v - v.round()).abs() < 1e-9);
        let gap = xs.windows(2).map(|w| w[1] - w[0]).fold(f64::INFINITY, f64::min);
        let gap = if gap.is_finite() && gap > 0.0 { gap } else { 1.0 };
        let (first, last) = match (xs.first(), xs.last()) {
            (Some(a), Some(b)) => (*a, *b),
            _ => (0.0, 1.0),
        };
        let mut step = nice_step(last - first, 12);
        if integer {
            // Whole weeks: steps of 1, 2, 5, 10, ... never fractions or 2.5.
            step = if step <= 1.0 {
                1.0
            } else if step.fract() != 0.0 {
                step * 2.0
            } else {
                step
            };
            // Evenly spaced whole-number times (e.g. every 2 weeks): tick exactly at them.
            let even = xs.iter().all(|v| ((v - first) / gap - ((v - first) / gap).round()).abs() < 1e-9);
            if even && gap.fract() == 0.0 && gap >= step {
                let mut keys: Vec<f64> = Vec::new();
                let stride = ((last - first) / (12.0 * gap)).ceil().max(1.0);
                let mut k = first;
                while k <= last + 1e-9 && keys.len() < 200 {
                    keys.push(k);
                    k += gap * stride;
                }
                return TimeAxis {
                    lo: first - pad * gap,
                    hi: last.max(first + 1e-9) + pad * gap,
                    keys,
                    integer,
                    gap,
                };
            }
        }
        let mut keys = Vec::new();
        let mut k = (first / step).ceil() * step;
        while k <= last + step * 1e-9 && keys.len() < 200 {
            keys.push(k);
            k += step;
        }
        if keys.is_empty() {
            keys.push(first);
        }
        TimeAxis { lo: first - pad * gap, hi: last.max(first + 1e-9) + pad * gap, keys, integer, gap }
    }

    /// The plotters coordinate for this axis, with ticks exactly at [`TimeAxis::keys`].
    pub(crate) fn coord(&self) -> KeyedAxis {
        KeyedAxis { inner: (self.lo..self.hi).into(), keys: self.keys.clone() }
    }

    /// The tick label formatter for this axis.
    pub(crate) fn formatter(&self) -> fn(&f64) -> String {
        if self.integer { fmt_integer } else { fmt_number }
    }
}

/// A linear f64 axis whose ticks are given rather than chosen by plotters (plotters' own
/// `with_key_points` loses the ability to format labels).
pub(crate) struct KeyedAxis {
    inner: RangedCoordf64,
    keys: Vec<f64>,
}

impl Ranged for KeyedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() || hint.max_num_points() == 0 {
            Vec::new()
        } else {
            self.keys.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_numbers_have_no_float_noise() {
        assert_eq!(fmt_number(&0.30000000000000004), "0.3");
        assert_eq!(fmt_number(&12.0), "12");
        assert_eq!(fmt_number(&-0.0), "0");
        assert_eq!(fmt_number(&-2.5), "\u{2212}2.5");
        assert_eq!(fmt_integer(&3.9999999), "4");
    }

    #[test]
    fn value_range_is_never_empty() {
        let (lo, hi) = value_range([5.0, 5.0], false);
        assert!(lo < 5.0 && hi > 5.0);
        let (lo, hi) = value_range([0.0], false);
        assert!(lo < 0.0 && hi > 0.0);
        assert_eq!(value_range([f64::NAN], false), (0.0, 1.0));
        let (lo, hi) = value_range([3.0, 40.0], true);
        assert_eq!(lo, 0.0);
        assert!(hi >= 40.0);
    }

    #[test]
    fn weeks_get_whole_number_ticks() {
        let axis = TimeAxis::new(&[0.0, 4.0, 8.0, 12.0], 0.5);
        assert!(axis.integer);
        assert!(axis.keys.iter().all(|k| k.fract() == 0.0), "{:?}", axis.keys);
        assert_eq!(axis.keys, vec![0.0, 4.0, 8.0, 12.0], "ticks at the observation weeks");
        assert_eq!(axis.gap, 4.0);
        let axis = TimeAxis::new(&[0.0, 52.0], 0.0);
        assert!(axis.keys.iter().all(|k| k.fract() == 0.0) && axis.keys.len() <= 14, "{:?}", axis.keys);
        let one = TimeAxis::new(&[6.0], 0.5);
        assert_eq!(one.keys, vec![6.0]);
        assert!(one.lo < 6.0 && one.hi > 6.0);
    }
}
