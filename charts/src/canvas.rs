//! Thin wrappers around plotters' bitmap and SVG backends that place text consistently.
//!
//! plotters 0.3.7's `ab_glyph` text path loses each glyph's left side bearing (letters sit unevenly)
//! and puts the baseline half a size below the anchor whatever the requested alignment, while its SVG
//! backend uses different offsets again. Both wrappers put the baseline where the anchor asks, using
//! DejaVu Sans's metrics, so the PNG and the SVG (in a viewer with DejaVu Sans) agree:
//!
//! - top: the ascender line is at the anchor;
//! - centre: capitals are centred on the anchor;
//! - bottom: the descender line is at the anchor.
//!
//! Everything else is passed straight through to the wrapped backend.

use ab_glyph::{Font, PxScale, ScaleFont, point};
use plotters::prelude::{BitMapBackend, SVGBackend};
use plotters_backend::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind, FontFamily,
    FontStyle, FontTransform,
};

use crate::font::{self, ASCENT, CAP_HEIGHT, DESCENT, EM};

/// Distance from the anchor down to the baseline, in the text's own frame.
fn baseline(v: VPos, size: f64) -> f64 {
    match v {
        VPos::Top => ASCENT * size,
        VPos::Center => CAP_HEIGHT * size / 2.0,
        VPos::Bottom => -DESCENT * size,
    }
}

/// Turns an offset in the text's frame (along the text, down from it) into a screen offset.
fn rotate(t: FontTransform, (u, v): (f64, f64)) -> (f64, f64) {
    match t {
        FontTransform::None => (u, v),
        FontTransform::Rotate90 => (-v, u),
        FontTransform::Rotate180 => (-u, -v),
        FontTransform::Rotate270 => (v, -u),
    }
}

macro_rules! delegate_drawing {
    () => {
        fn get_size(&self) -> (u32, u32) {
            self.0.get_size()
        }
        fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.ensure_prepared()
        }
        fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.present()
        }
        fn draw_pixel(
            &mut self,
            p: BackendCoord,
            c: BackendColor,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_pixel(p, c)
        }
        fn draw_line<S: BackendStyle>(
            &mut self,
            from: BackendCoord,
            to: BackendCoord,
            style: &S,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_line(from, to, style)
        }
        fn draw_rect<S: BackendStyle>(
            &mut self,
            a: BackendCoord,
            b: BackendCoord,
            style: &S,
            fill: bool,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_rect(a, b, style, fill)
        }
        fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            path: I,
            style: &S,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_path(path, style)
        }
        fn draw_circle<S: BackendStyle>(
            &mut self,
            centre: BackendCoord,
            radius: u32,
            style: &S,
            fill: bool,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_circle(centre, radius, style, fill)
        }
        fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            vert: I,
            style: &S,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.fill_polygon(vert, style)
        }
        fn blit_bitmap(
            &mut self,
            pos: BackendCoord,
            size: (u32, u32),
            src: &[u8],
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.blit_bitmap(pos, size, src)
        }
    };
}

/// The PNG canvas: plotters' bitmap backend, with text rasterised here.
pub(crate) struct PngCanvas<'a>(pub BitMapBackend<'a>);

impl<'a> DrawingBackend for PngCanvas<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    delegate_drawing!();

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let colour = style.color();
        if colour.alpha == 0.0 {
            return Ok(());
        }
        let Some(face) = font::face(matches!(style.style(), FontStyle::Bold)) else {
            return self.0.draw_text(text, style, pos);
        };
        let size = style.size();
        let scale = PxScale::from(size as f32);
        let scaled = face.as_scaled(scale);

        // Pen positions along the text, with kerning, as plotters measures them.
        let mut pen = 0f32;
        let mut prev = None;
        let mut glyphs = Vec::with_capacity(text.len());
        for ch in text.chars() {
            let id = scaled.glyph_id(ch);
            if let Some(p) = prev {
                pen += scaled.kern(p, id);
            }
            glyphs.push((id, pen));
            pen += scaled.h_advance(id);
            prev = Some(id);
        }
        let anchor = style.anchor();
        let start = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -f64::from(pen) / 2.0,
            HPos::Right => -f64::from(pen),
        };
        let base = baseline(anchor.v_pos, size);
        let transform = style.transform();

        let mut result = Ok(());
        for (id, x) in glyphs {
            let glyph = id.with_scale_and_position(scale, point((start + f64::from(x)) as f32, base as f32));
            let Some(outline) = face.outline_glyph(glyph) else { continue };
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                if result.is_err() || coverage <= 0.0 {
                    return;
                }
                let u = bounds.min.x as i32 + gx as i32;
                let v = bounds.min.y as i32 + gy as i32;
                let (dx, dy) = transform.transform(u, v);
                let c = BackendColor { alpha: colour.alpha * f64::from(coverage.min(1.0)), rgb: colour.rgb };
                result = self.0.draw_pixel((pos.0 + dx, pos.1 + dy), c);
            });
            result.as_ref().map_err(|_| DrawingErrorKind::FontError("drawing a glyph failed".into()))?;
        }
        result
    }
}

/// The SVG canvas: plotters' SVG backend, with text anchors and sizes adjusted so that a viewer using
/// DejaVu Sans draws exactly what the PNG shows.
pub(crate) struct SvgCanvas<'a>(pub SVGBackend<'a>);

impl<'a> DrawingBackend for SvgCanvas<'a> {
    type ErrorType = <SVGBackend<'a> as DrawingBackend>::ErrorType;

    delegate_drawing!();

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let anchor = style.anchor();
        let size = style.size();
        // plotters writes font-size = size / 1.24 and, for top alignment, dy = 0.76em. Ask for the
        // size whose em matches the PNG's, and move the anchor so that the baseline lands where the
        // PNG puts it.
        let svg_size = size * EM * 1.24;
        let svg_baseline = 0.76 * svg_size / 1.24;
        let (dx, dy) = rotate(style.transform(), (0.0, baseline(anchor.v_pos, size) - svg_baseline));
        let adjusted = Adjusted { inner: style, size: svg_size, anchor: Pos::new(anchor.h_pos, VPos::Top) };
        self.0.draw_text(text, &adjusted, (pos.0 + dx.round() as i32, pos.1 + dy.round() as i32))
    }
}

/// A text style with another size and anchor.
struct Adjusted<'s, S> {
    inner: &'s S,
    size: f64,
    anchor: Pos,
}

impl<S: BackendTextStyle> BackendTextStyle for Adjusted<'_, S> {
    type FontError = S::FontError;

    fn color(&self) -> BackendColor {
        self.inner.color()
    }
    fn size(&self) -> f64 {
        self.size
    }
    fn transform(&self) -> FontTransform {
        self.inner.transform()
    }
    fn style(&self) -> FontStyle {
        self.inner.style()
    }
    fn anchor(&self) -> Pos {
        self.anchor
    }
    fn family(&self) -> FontFamily<'_> {
        self.inner.family()
    }
    fn layout_box(&self, text: &str) -> Result<((i32, i32), (i32, i32)), Self::FontError> {
        self.inner.layout_box(text)
    }
    fn draw<E, F: FnMut(i32, i32, BackendColor) -> Result<(), E>>(
        &self,
        text: &str,
        pos: BackendCoord,
        draw: F,
    ) -> Result<Result<(), E>, Self::FontError> {
        self.inner.draw(text, pos, draw)
    }
}
