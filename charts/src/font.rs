//! The bundled DejaVu Sans faces, registered with plotters once per process, and text measurement.
//!
//! plotters' `ab_glyph` feature never reads system fonts: every family and style that is drawn must be
//! registered here first, or drawing fails with "FontUnavailable".

use std::sync::OnceLock;

use ab_glyph::FontRef;
use plotters::style::{FontDesc, FontFamily, FontStyle, register_font};

use crate::ChartError;

/// The family every chart draws with. In SVG output the name becomes the CSS `font-family` list, so a
/// viewer with DejaVu Sans installed shows exactly what the PNG shows, and any other viewer falls back to
/// its own sans-serif face, which is narrower than DejaVu Sans, so text laid out here still fits.
pub(crate) const FAMILY: &str = "DejaVu Sans, sans-serif";

/// DejaVu Sans metrics as fractions of plotters' font size, which is the ascender-to-descender height
/// (2384 font units; the em is 2048 units).
pub(crate) const ASCENT: f64 = 1901.0 / 2384.0;
pub(crate) const DESCENT: f64 = 483.0 / 2384.0;
pub(crate) const CAP_HEIGHT: f64 = 1493.0 / 2384.0;
pub(crate) const EM: f64 = 2048.0 / 2384.0;

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// The bundled faces' files, for other documents drawn with the same type (the consent copy's PDF):
/// one copy of each font in the binary.
pub static REGULAR_FACE: &[u8] = REGULAR;
pub static BOLD_FACE: &[u8] = BOLD;

/// Registers the bundled faces under [`FAMILY`] and under plotters' default "sans-serif" (so that any
/// text plotters draws with its default style also finds a face). Safe to call any number of times.
pub(crate) fn ensure_registered() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        [FAMILY, "sans-serif"].iter().all(|family| {
            register_font(family, FontStyle::Normal, REGULAR).is_ok()
                && register_font(family, FontStyle::Bold, BOLD).is_ok()
        })
    });
    if ok { Ok(()) } else { Err(ChartError::Font) }
}

/// The parsed bundled face, for rasterising text into the PNG (see `canvas`).
pub(crate) fn face(bold: bool) -> Option<&'static FontRef<'static>> {
    static FACES: OnceLock<Option<(FontRef<'static>, FontRef<'static>)>> = OnceLock::new();
    let faces = FACES
        .get_or_init(|| Some((FontRef::try_from_slice(REGULAR).ok()?, FontRef::try_from_slice(BOLD).ok()?)));
    faces.as_ref().map(|(regular, bold_face)| if bold { bold_face } else { regular })
}

/// The chart font at `size` (plotters' size: the height from descender to ascender, in pixels).
pub(crate) fn font(size: f64, bold: bool) -> FontDesc<'static> {
    let style = if bold { FontStyle::Bold } else { FontStyle::Normal };
    FontDesc::new(FontFamily::Name(FAMILY), size, style)
}

/// Width in pixels of `text` drawn at `size`. Falls back to a generous estimate if the font is
/// unavailable (drawing then reports the real error).
pub(crate) fn text_width(text: &str, size: f64, bold: bool) -> i32 {
    match font(size, bold).box_size(text) {
        Ok((w, _)) => i32::try_from(w).unwrap_or(i32::MAX),
        Err(_) => (text.chars().count() as f64 * size * 0.65).ceil() as i32,
    }
}

/// Height of one line of text at `size`, with a little leading.
pub(crate) fn line_height(size: f64) -> i32 {
    (size * 1.18).ceil() as i32
}

/// Splits `text` into lines no wider than `max_width`, breaking at spaces, and inside a word only
/// when the word alone is too wide. Always returns at least one line.
pub(crate) fn wrap(text: &str, max_width: i32, size: f64, bold: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() { word.to_string() } else { format!("{current} {word}") };
        if text_width(&candidate, size, bold) <= max_width {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if text_width(word, size, bold) <= max_width {
            current = word.to_string();
        } else {
            // A single word wider than the line: break it between characters.
            for ch in word.chars() {
                let mut next = current.clone();
                next.push(ch);
                if !current.is_empty() && text_width(&next, size, bold) > max_width {
                    lines.push(std::mem::take(&mut current));
                    current.push(ch);
                } else {
                    current = next;
                }
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// `text` shortened with a trailing ellipsis so that it is no wider than `max_width`.
pub(crate) fn ellipsize(text: &str, max_width: i32, size: f64, bold: bool) -> String {
    if text_width(text, size, bold) <= max_width {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate = format!("{}…", chars.iter().collect::<String>().trim_end());
        if text_width(&candidate, size, bold) <= max_width {
            return candidate;
        }
    }
    "…".to_string()
}

/// Wraps `text` into at most `max_lines` lines, ellipsizing the last one if the text does not fit.
pub(crate) fn wrap_limited(
    text: &str,
    max_width: i32,
    max_lines: usize,
    size: f64,
    bold: bool,
) -> Vec<String> {
    let mut lines = wrap(text, max_width, size, bold);
    if lines.len() > max_lines.max(1) {
        let rest = lines.split_off(max_lines.max(1) - 1).join(" ");
        lines.push(ellipsize(&rest, max_width, size, bold));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_faces_register_and_measure_text() {
        ensure_registered().expect("fonts register");
        let w = text_width("Week 12", 16.0, false);
        assert!(w > 30 && w < 120, "width {w}");
        assert!(text_width("Week 12", 16.0, true) >= w, "bold is at least as wide");
    }

    #[test]
    fn wrap_keeps_lines_within_width_and_breaks_long_words() {
        ensure_registered().expect("fonts register");
        let lines = wrap("Native Hawaiian or Other Pacific Islander", 90, 14.0, false);
        assert!(lines.len() >= 3, "{lines:?}");
        assert!(lines.iter().all(|l| text_width(l, 14.0, false) <= 90), "{lines:?}");
        let lines = wrap("Supercalifragilisticexpialidocious", 60, 14.0, false);
        assert!(lines.len() > 1 && lines.iter().all(|l| text_width(l, 14.0, false) <= 60), "{lines:?}");
        assert_eq!(wrap("", 60, 14.0, false), vec![String::new()]);
    }

    #[test]
    fn wrap_limited_ellipsizes_the_last_line() {
        ensure_registered().expect("fonts register");
        let lines = wrap_limited("one two three four five six seven eight nine ten", 60, 2, 14.0, false);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'), "{lines:?}");
    }
}
