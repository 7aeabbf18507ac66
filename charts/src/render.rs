//! Draws one chart twice, into an SVG string and into an RGB buffer encoded as PNG.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::canvas::{PngCanvas, SvgCanvas};
use crate::{ChartError, Rendered, font};

/// A checked, laid-out chart that can draw itself on any plotters backend.
pub(crate) trait Chart {
    /// Image size in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws on `root`, which is already filled white.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError>;
}

pub(crate) fn render(chart: &impl Chart) -> Result<Rendered, ChartError> {
    font::ensure_registered()?;
    let (w, h) = chart.size();

    let mut svg = String::new();
    {
        let root = SvgCanvas(SVGBackend::with_string(&mut svg, (w, h))).into_drawing_area();
        root.fill(&WHITE)?;
        chart.draw(&root)?;
        root.present()?;
    }

    let mut pixels = vec![255u8; w as usize * h as usize * 3];
    {
        let root = PngCanvas(BitMapBackend::with_buffer(&mut pixels, (w, h))).into_drawing_area();
        root.fill(&WHITE)?;
        chart.draw(&root)?;
        root.present()?;
    }
    let png = encode_png(&pixels, w, h)?;
    Ok(Rendered { svg, png })
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let png_err = |e: png::EncodingError| ChartError::Png(e.to_string());
    let mut writer = encoder.write_header().map_err(png_err)?;
    writer.write_image_data(rgb).map_err(png_err)?;
    writer.finish().map_err(png_err)?;
    Ok(out)
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        ChartError::Draw(e.to_string())
    }
}
