//! A palette image drawn as libgd draws upsimage's bars (filled rectangles, horizontal
//! lines, text in the X11 7x13 bold font, also turned upwards), encoded as a PNG with one
//! transparent colour.

use std::convert::Infallible;

use embedded_graphics::mono_font::iso_8859_1::FONT_7X13_BOLD;
use embedded_graphics::mono_font::MonoTextStyle;
use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::{DrawTarget, OriginDimensions, Point, Size};
use embedded_graphics::text::{Baseline, Text};
use embedded_graphics::{Drawable, Pixel};

/// Width of a character of the font, in pixels.
pub(crate) const FONT_W: i32 = 7;
/// Height of a character of the font, in pixels.
pub(crate) const FONT_H: i32 = 13;

/// How many rows lower than embedded-graphics' cell gd draws the glyphs of straight text.
const GLYPH_DROP: i32 = 1;

/// A palette image.
pub(crate) struct Canvas {
    width: i32,
    height: i32,
    pixels: Vec<u8>,
    palette: Vec<[u8; 3]>,
    transparent: Option<u8>,
}

/// Where the font's pixels go: straight, or turned a quarter anticlockwise.
struct Pen<'a> {
    canvas: &'a mut Canvas,
    ink: u8,
    up: bool,
    origin: Point,
}

impl OriginDimensions for Pen<'_> {
    fn size(&self) -> Size {
        Size::new(4096, 4096)
    }
}

impl DrawTarget for Pen<'_> {
    type Color = BinaryColor;
    type Error = Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<BinaryColor>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Infallible> {
        for Pixel(p, color) in pixels {
            if color != BinaryColor::On {
                continue;
            }
            // gd's copy of the font sits one row lower in its cell (turned: as high).
            let (x, y) = if self.up {
                (self.origin.x + p.y, self.origin.y - p.x)
            } else {
                (self.origin.x + p.x, self.origin.y + p.y + GLYPH_DROP)
            };
            self.canvas.set(x, y, self.ink);
        }
        Ok(())
    }
}

impl Canvas {
    /// A `width` x `height` image, every pixel colour 0 (allocate colours before drawing).
    pub(crate) fn new(width: i32, height: i32) -> Self {
        let width = width.max(1);
        let height = height.max(1);
        Self {
            width,
            height,
            pixels: vec![0; (width * height) as usize],
            palette: Vec::new(),
            transparent: None,
        }
    }

    /// Allocates a colour `0xRRGGBB` (a new entry each time, as gd does).
    pub(crate) fn color(&mut self, rgb: i32) -> u8 {
        let [_, r, g, b] = rgb.to_be_bytes();
        self.palette.push([r, g, b]);
        (self.palette.len() - 1).min(255) as u8
    }

    /// Makes a colour transparent.
    pub(crate) fn set_transparent(&mut self, color: u8) {
        self.transparent = Some(color);
    }

    fn set(&mut self, x: i32, y: i32, color: u8) {
        if (0..self.width).contains(&x) && (0..self.height).contains(&y) {
            self.pixels[(y * self.width + x) as usize] = color;
        }
    }

    /// Fills the rectangle between two corners, both included.
    pub(crate) fn fill(&mut self, x1: i32, y1: i32, x2: i32, y2: i32, color: u8) {
        for y in y1.min(y2).max(0)..=y1.max(y2).min(self.height - 1) {
            for x in x1.min(x2).max(0)..=x1.max(x2).min(self.width - 1) {
                self.set(x, y, color);
            }
        }
    }

    /// A horizontal line, both ends included.
    pub(crate) fn hline(&mut self, x1: i32, x2: i32, y: i32, color: u8) {
        self.fill(x1, y, x2, y, color);
    }

    /// Text whose first character's top left corner is at (x, y); `up` turns it a quarter
    /// anticlockwise, the characters' left side then at the bottom, from y upwards.
    pub(crate) fn text(&mut self, x: i32, y: i32, text: &str, color: u8, up: bool) {
        let style = MonoTextStyle::new(&FONT_7X13_BOLD, BinaryColor::On);
        let mut pen = Pen {
            canvas: self,
            ink: color,
            up,
            origin: Point::new(x, y),
        };
        // gd draws a glyph for every byte; embedded-graphics would start a new line.
        let text = text.replace(['\n', '\r'], " ");
        let _ = Text::with_baseline(&text, Point::zero(), style, Baseline::Top).draw(&mut pen);
    }

    /// The image as a PNG file.
    pub(crate) fn png(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, self.width as u32, self.height as u32);
        encoder.set_color(png::ColorType::Indexed);
        encoder.set_depth(png::BitDepth::Eight);
        let mut palette: Vec<u8> = self.palette.iter().flatten().copied().collect();
        if palette.is_empty() {
            palette.extend_from_slice(&[0, 0, 0]);
        }
        encoder.set_palette(palette);
        if let Some(t) = self.transparent {
            let mut trns = vec![255u8; usize::from(t) + 1];
            trns[usize::from(t)] = 0;
            encoder.set_trns(trns);
        }
        // Writing to memory fails only on sizes the constructor rules out.
        if let Ok(mut writer) = encoder.write_header() {
            let _ = writer.write_image_data(&self.pixels);
        }
        bytes
    }
}
