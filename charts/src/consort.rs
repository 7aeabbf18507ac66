//! The CONSORT 2010 participant flow diagram.
//!
//! Laid out like the CONSORT template: phase labels down the left (Enrolment, Allocation, Follow-up,
//! Analysis); assessed → randomised down the middle with the exclusions to the right; then one column per
//! arm. Every box is sized from its wrapped text before drawing, so nothing overlaps or clips.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Serialize;

use crate::font::{ASCENT, CAP_HEIGHT, font, line_height, text_width, wrap, wrap_limited};
use crate::render::{Chart, render};
use crate::style::{AXIS, TEXT, text_top};
use crate::{ChartError, Rendered};

/// Counts for the CONSORT flow diagram; the report serialises them as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConsortCounts {
    /// Assessed for eligibility.
    pub assessed: u64,
    /// Excluded before randomisation.
    pub excluded: u64,
    /// Reasons for exclusion with counts, e.g. ("Not meeting inclusion criteria", 12).
    pub exclusion_reasons: Vec<(String, u64)>,
    pub randomised: u64,
    /// One column per arm, left to right.
    pub arms: Vec<ConsortArm>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConsortArm {
    /// Arm name as it should read after "Allocated to", e.g. "group programme".
    pub arm: String,
    pub allocated: u64,
    /// Group arms: attended at least one session. Other arms receive what they were allocated.
    /// `None` where the reader is blind to process data (in a waitlist trial it names the arm).
    pub received: Option<u64>,
    pub not_received: Option<u64>,
    /// Not withdrawn, but the primary time point was missed.
    pub lost_to_follow_up: u64,
    /// Withdrew.
    pub discontinued: u64,
    /// Have the primary outcome at baseline and the primary time point.
    pub analysed: u64,
    pub excluded_from_analysis: u64,
}

/// Draws the CONSORT 2010 flow diagram; the image grows taller with long text and wider with more
/// than three arms.
pub fn consort(title: &str, c: &ConsortCounts) -> Result<Rendered, ChartError> {
    crate::font::ensure_registered()?;
    render(&Plan::new(title, c)?)
}

const TITLE_SIZE: f64 = 22.0;
const BOX_SIZE: f64 = 15.0;
const PHASE_SIZE: f64 = 16.0;
const PAD: i32 = 10;
const LEFT: i32 = 66;
const RIGHT: i32 = 20;
const PHASE_X: i32 = 16;
const PHASE_W: i32 = 30;
const V_GAP: i32 = 30;
const ROW_GAP: i32 = 44;

const PHASE_FILL: RGBColor = RGBColor(0xDA, 0xEA, 0xF6);
const PHASE_EDGE: RGBColor = RGBColor(0x6A, 0x9C, 0xC4);

/// "n=1,234".
fn n(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    format!("n={out}")
}

/// The text of one arm's box in a row.
type Describe = fn(&ConsortArm) -> Vec<Entry>;

/// One entry of a box: a heading line or a bulleted sub-item.
enum Entry {
    Head(String),
    Bullet(String),
}

struct TextBox {
    x: i32,
    y: i32,
    w: i32,
    h: i32,
    /// Lines with their indent from the inner left edge.
    lines: Vec<(String, i32)>,
}

impl TextBox {
    fn new(entries: &[Entry], x: i32, y: i32, w: i32) -> TextBox {
        let inner = w - 2 * PAD;
        let bullet = "• ";
        let indent = text_width(bullet, BOX_SIZE, false);
        let mut lines = Vec::new();
        for entry in entries {
            match entry {
                Entry::Head(t) => lines.extend(wrap(t, inner, BOX_SIZE, false).into_iter().map(|l| (l, 0))),
                Entry::Bullet(t) => {
                    for (k, l) in wrap(t, inner - indent, BOX_SIZE, false).into_iter().enumerate() {
                        lines.push(if k == 0 { (format!("{bullet}{l}"), 0) } else { (l, indent) });
                    }
                }
            }
        }
        let h = 2 * PAD + lines.len() as i32 * line_height(BOX_SIZE);
        TextBox { x, y, w, h, lines }
    }

    /// A box no wider than `max_w`, narrowed to its text and centred on `cx`.
    fn fitted(entries: &[Entry], cx: i32, y: i32, max_w: i32) -> TextBox {
        let wide = TextBox::new(entries, cx - max_w / 2, y, max_w);
        let used =
            wide.lines.iter().map(|(l, indent)| text_width(l, BOX_SIZE, false) + indent).max().unwrap_or(0);
        let w = (used + 2 * PAD + 8).clamp(160, max_w);
        TextBox::new(entries, cx - w / 2, y, w)
    }

    fn bottom(&self) -> i32 {
        self.y + self.h
    }
    fn centre_x(&self) -> i32 {
        self.x + self.w / 2
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let rect = [(self.x, self.y), (self.x + self.w, self.y + self.h)];
        root.draw(&Rectangle::new(rect, WHITE.filled()))?;
        root.draw(&Rectangle::new(rect, AXIS.stroke_width(1)))?;
        let lh = line_height(BOX_SIZE);
        // Centre the ink (first capital top to last baseline) vertically in the box, which also
        // centres the text when the box was stretched to match its row.
        let ink = f64::from((self.lines.len() as i32 - 1) * lh) + CAP_HEIGHT * BOX_SIZE;
        let top = f64::from(self.y) + (f64::from(self.h) - ink) / 2.0 - (ASCENT - CAP_HEIGHT) * BOX_SIZE;
        let top = top.round() as i32;
        for (k, (line, indent)) in self.lines.iter().enumerate() {
            let at = (self.x + PAD + indent, top + k as i32 * lh);
            text_top(root, line, at, BOX_SIZE, false, TEXT, HPos::Left)?;
        }
        Ok(())
    }
}

/// A phase label down the left margin, spanning `top..bottom`.
struct Phase {
    name: &'static str,
    top: i32,
    bottom: i32,
}

struct Plan {
    width: i32,
    height: i32,
    title: Vec<String>,
    assessed: TextBox,
    excluded: TextBox,
    randomised: TextBox,
    /// Allocation, follow-up and analysis boxes, one row each, one box per arm.
    rows: Vec<Vec<TextBox>>,
    split_y: i32,
    phases: Vec<Phase>,
}

impl Plan {
    fn new(title: &str, c: &ConsortCounts) -> Result<Plan, ChartError> {
        if c.arms.is_empty() {
            return Err(ChartError::NoData { chart: "CONSORT", reason: "no arms".to_string() });
        }
        let arms = c.arms.len() as i32;
        let width = 900.max(LEFT + RIGHT + arms * 250);
        let (x0, x1) = (LEFT, width - RIGHT);
        let cx = (x0 + x1) / 2;

        let title = wrap_limited(title, width - 40, 2, TITLE_SIZE, true);
        let mut y = 16 + title.len() as i32 * line_height(TITLE_SIZE) + 18;

        // Enrolment.
        let assessed = TextBox::fitted(
            &[Entry::Head(format!("Assessed for eligibility ({})", n(c.assessed)))],
            cx,
            y,
            340,
        );
        let mut excluded_entries = vec![Entry::Head(format!("Excluded ({})", n(c.excluded)))];
        excluded_entries
            .extend(c.exclusion_reasons.iter().map(|(why, k)| Entry::Bullet(format!("{why} ({})", n(*k)))));
        let ex_x = cx + 50;
        let excluded = TextBox::new(&excluded_entries, ex_x, assessed.bottom() + V_GAP, (x1 - ex_x).min(400));
        let randomised = TextBox::fitted(
            &[Entry::Head(format!("Randomised ({})", n(c.randomised)))],
            cx,
            excluded.bottom() + V_GAP,
            340,
        );
        let mut phases = vec![Phase { name: "Enrolment", top: assessed.y, bottom: randomised.bottom() }];
        let split_y = randomised.bottom() + 24;
        y = split_y + 30;

        // One column per arm.
        let col_w = (x1 - x0) / arms;
        let box_w = (col_w - 30).min(380);
        let col_x = |i: i32| x0 + i * col_w + (col_w - box_w) / 2;
        let row_entries: [(&'static str, Describe); 3] =
            [("Allocation", allocation), ("Follow-up", follow_up), ("Analysis", analysis)];
        let mut rows = Vec::new();
        for (phase, entries) in &row_entries {
            let mut row: Vec<TextBox> = c
                .arms
                .iter()
                .enumerate()
                .map(|(i, a)| TextBox::new(&entries(a), col_x(i as i32), y, box_w))
                .collect();
            // Same height across the row, and tall enough for the phase label.
            let h = row.iter().map(|b| b.h).max().unwrap_or(0).max(text_width(phase, PHASE_SIZE, true) + 20);
            row.iter_mut().for_each(|b| b.h = h);
            phases.push(Phase { name: phase, top: y, bottom: y + h });
            y += h + ROW_GAP;
            rows.push(row);
        }
        let height = y - ROW_GAP + 24;
        Ok(Plan { width, height, title, assessed, excluded, randomised, rows, split_y, phases })
    }
}

fn withheld_or_n(v: Option<u64>) -> String {
    v.map_or_else(|| "withheld: blinded".to_owned(), n)
}

fn allocation(a: &ConsortArm) -> Vec<Entry> {
    vec![
        Entry::Head(format!("Allocated to {} ({})", a.arm, n(a.allocated))),
        Entry::Bullet(format!("Received allocated intervention ({})", withheld_or_n(a.received))),
        Entry::Bullet(format!("Did not receive allocated intervention ({})", withheld_or_n(a.not_received))),
    ]
}

fn follow_up(a: &ConsortArm) -> Vec<Entry> {
    vec![
        Entry::Head(format!("Lost to follow-up ({})", n(a.lost_to_follow_up))),
        Entry::Head(format!("Discontinued intervention ({})", n(a.discontinued))),
    ]
}

fn analysis(a: &ConsortArm) -> Vec<Entry> {
    vec![
        Entry::Head(format!("Analysed ({})", n(a.analysed))),
        Entry::Bullet(format!("Excluded from analysis ({})", n(a.excluded_from_analysis))),
    ]
}

/// A connector ending in an arrow head at `to`.
fn arrow<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    from: (i32, i32),
    to: (i32, i32),
) -> Result<(), ChartError> {
    let (dx, dy) = (f64::from(to.0 - from.0), f64::from(to.1 - from.1));
    let len = dx.hypot(dy).max(1.0);
    let (ux, uy) = (dx / len, dy / len);
    let (head, half) = (9.0, 4.5);
    let base = (f64::from(to.0) - ux * head, f64::from(to.1) - uy * head);
    let p = |x: f64, y: f64| (x.round() as i32, y.round() as i32);
    root.draw(&PathElement::new(vec![from, p(base.0, base.1)], AXIS.stroke_width(2)))?;
    root.draw(&Polygon::new(
        vec![to, p(base.0 - uy * half, base.1 + ux * half), p(base.0 + uy * half, base.1 - ux * half)],
        AXIS.filled(),
    ))?;
    Ok(())
}

fn line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    points: Vec<(i32, i32)>,
) -> Result<(), ChartError> {
    root.draw(&PathElement::new(points, AXIS.stroke_width(2)))?;
    Ok(())
}

impl Chart for Plan {
    fn size(&self) -> (u32, u32) {
        (self.width as u32, self.height as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let mut y = 16;
        for t in &self.title {
            text_top(root, t, (self.width / 2, y), TITLE_SIZE, true, TEXT, HPos::Center)?;
            y += line_height(TITLE_SIZE);
        }

        let phase_style = font(PHASE_SIZE, true)
            .transform(FontTransform::Rotate270)
            .color(&TEXT)
            .pos(Pos::new(HPos::Center, VPos::Center));
        for p in &self.phases {
            let rect = [(PHASE_X, p.top), (PHASE_X + PHASE_W, p.bottom)];
            root.draw(&Rectangle::new(rect, PHASE_FILL.filled()))?;
            root.draw(&Rectangle::new(rect, PHASE_EDGE.stroke_width(1)))?;
            root.draw_text(p.name, &phase_style, (PHASE_X + PHASE_W / 2, (p.top + p.bottom) / 2))?;
        }

        // Enrolment: assessed → randomised, with the exclusions branching right.
        let cx = self.assessed.centre_x();
        arrow(root, (cx, self.assessed.bottom()), (cx, self.randomised.y))?;
        let ex_mid = self.excluded.y + self.excluded.h / 2;
        arrow(root, (cx, ex_mid), (self.excluded.x, ex_mid))?;
        self.assessed.draw(root)?;
        self.excluded.draw(root)?;
        self.randomised.draw(root)?;

        // Randomised splits into the arms.
        let centres: Vec<i32> =
            self.rows.first().map(|r| r.iter().map(TextBox::centre_x).collect()).unwrap_or_default();
        line(root, vec![(cx, self.randomised.bottom()), (cx, self.split_y)])?;
        if let (Some(&first), Some(&last)) = (centres.first(), centres.last()) {
            line(root, vec![(first.min(cx), self.split_y), (last.max(cx), self.split_y)])?;
        }
        if let Some(row) = self.rows.first() {
            for b in row {
                arrow(root, (b.centre_x(), self.split_y), (b.centre_x(), b.y))?;
            }
        }
        // Down each arm's column.
        for pair in self.rows.windows(2) {
            for (upper, lower) in pair[0].iter().zip(&pair[1]) {
                arrow(root, (upper.centre_x(), upper.bottom()), (lower.centre_x(), lower.y))?;
            }
        }
        for b in self.rows.iter().flatten() {
            b.draw(root)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(n(0), "n=0");
        assert_eq!(n(999), "n=999");
        assert_eq!(n(1234), "n=1,234");
        assert_eq!(n(1234567), "n=1,234,567");
    }

    fn boxes_overlap(a: &TextBox, b: &TextBox) -> bool {
        a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
    }

    #[test]
    fn boxes_do_not_overlap_and_text_fits_inside() {
        crate::font::ensure_registered().expect("fonts");
        let arm = |label: &str| ConsortArm { arm: label.to_string(), allocated: 60, ..Default::default() };
        let c = ConsortCounts {
            exclusion_reasons: (0..6)
                .map(|i| (format!("A fairly long reason for exclusion number {i}"), 3))
                .collect(),
            arms: vec![
                arm("a very long arm name that has to wrap onto more lines"),
                arm("b"),
                arm("c"),
                arm("d"),
            ],
            ..Default::default()
        };
        let plan = Plan::new("Flow", &c).expect("plan");
        let mut all: Vec<&TextBox> = vec![&plan.assessed, &plan.excluded, &plan.randomised];
        all.extend(plan.rows.iter().flatten());
        for (i, a) in all.iter().enumerate() {
            assert!(a.x >= LEFT && a.x + a.w <= plan.width - RIGHT + 1, "box {i} inside the page");
            assert!(a.bottom() <= plan.height, "box {i} above the bottom");
            for line in &a.lines {
                assert!(text_width(&line.0, BOX_SIZE, false) + line.1 <= a.w - 2 * PAD, "{:?} fits", line.0);
            }
            for b in &all[i + 1..] {
                assert!(!boxes_overlap(a, b), "boxes overlap");
            }
        }
    }
}
