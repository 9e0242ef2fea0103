//! The one image path: tensors in [-1, 1] ↔ RGB(A) bytes ↔ PNG, and sample grids.
//! Training, the `train` CLI and the browser all convert through here.

use burn::tensor::TensorData;
use image::{RgbImage, RgbaImage, imageops::FilterType};

/// A batch of images `[N, C, H, W]` (C = 3), values in [-1, 1], row-major.
#[derive(Clone, Debug)]
pub struct ImageBatch {
    pub data: Vec<f32>,
    pub n: usize,
    pub h: usize,
    pub w: usize,
}

/// [-1, 1] → 0..=255, rounding to nearest; NaN becomes 0.
pub fn to_u8(v: f32) -> u8 {
    let v = ((v + 1.0) * 127.5).round();
    if v.is_nan() { 0 } else { v.clamp(0.0, 255.0) as u8 }
}

/// 0..=255 → [-1, 1].
pub fn from_u8(v: u8) -> f32 {
    v as f32 / 127.5 - 1.0
}

impl ImageBatch {
    /// From tensor data shaped `[N, 3, H, W]`.
    pub fn from_data(data: TensorData) -> Result<Self, String> {
        let shape = data.shape().to_vec();
        if shape.len() != 4 || shape[1] != 3 {
            return Err(format!("expected images shaped [N, 3, H, W], got {shape:?}"));
        }
        let values = data.convert::<f32>().try_into_vec::<f32>().map_err(|e| format!("{e:?}"))?;
        Ok(Self { data: values, n: shape[0], h: shape[2], w: shape[3] })
    }

    /// Image `i` as RGBA bytes (`H * W * 4`), ready for a canvas `ImageData`.
    pub fn rgba(&self, i: usize) -> Vec<u8> {
        let plane = self.h * self.w;
        let base = i * 3 * plane;
        let mut out = Vec::with_capacity(plane * 4);
        for p in 0..plane {
            for c in 0..3 {
                out.push(to_u8(self.data[base + c * plane + p]));
            }
            out.push(255);
        }
        out
    }

    pub fn image(&self, i: usize) -> RgbaImage {
        RgbaImage::from_raw(self.w as u32, self.h as u32, self.rgba(i)).expect("rgba has H*W*4 bytes")
    }

    /// All images tiled `cols` wide with `pad` pixels of dark grey between them.
    pub fn grid(&self, cols: usize, pad: usize) -> RgbaImage {
        let cols = cols.clamp(1, self.n.max(1));
        let rows = self.n.div_ceil(cols);
        let (gw, gh) = (cols * self.w + (cols + 1) * pad, rows * self.h + (rows + 1) * pad);
        let mut grid = RgbaImage::from_pixel(gw as u32, gh as u32, image::Rgba([32, 32, 32, 255]));
        for i in 0..self.n {
            let (x, y) = (pad + (i % cols) * (self.w + pad), pad + (i / cols) * (self.h + pad));
            image::imageops::replace(&mut grid, &self.image(i), x as i64, y as i64);
        }
        grid
    }
}

/// Encodes an RGBA image as PNG bytes.
pub fn png_bytes(img: &RgbaImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("PNG encoding into memory cannot fail");
    out.into_inner()
}

/// Center-crops an RGB image to a square and resizes it to `res × res`, as CHW floats in [-1, 1].
pub fn rgb_to_chw(img: &RgbImage, res: usize) -> Vec<f32> {
    let (w, h) = img.dimensions();
    let side = w.min(h);
    let cropped = image::imageops::crop_imm(img, (w - side) / 2, (h - side) / 2, side, side).to_image();
    let resized = if side as usize == res {
        cropped
    } else {
        image::imageops::resize(&cropped, res as u32, res as u32, FilterType::Lanczos3)
    };
    let plane = res * res;
    let mut out = vec![0.0; 3 * plane];
    for (p, px) in resized.pixels().enumerate() {
        for c in 0..3 {
            out[c * plane + p] = from_u8(px.0[c]);
        }
    }
    out
}

/// An image with transparency composited on white (as a page shows a transparent PNG).
pub fn on_white(img: &RgbaImage) -> RgbImage {
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let [r, g, b, a] = img.get_pixel(x, y).0;
        let over = |v: u8| ((v as u32 * a as u32 + 255 * (255 - a as u32) + 127) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    })
}

/// Decodes image bytes (PNG, JPEG), composites any transparency on white and converts them with
/// [`rgb_to_chw`].
pub fn decode_to_chw(bytes: &[u8], res: usize) -> Result<Vec<f32>, String> {
    let img = image::load_from_memory(bytes).map_err(|e| format!("not a readable PNG/JPEG image: {e}"))?;
    if img.width() == 0 || img.height() == 0 {
        return Err("image has no pixels".into());
    }
    let rgb = if img.color().has_alpha() { on_white(&img.to_rgba8()) } else { img.to_rgb8() };
    Ok(rgb_to_chw(&rgb, res))
}

/// The square tiles of a sheet of pictures (as `www/held-out/*.png` are laid out: `tile`-px
/// squares in rows, left to right, top to bottom), each converted as [`decode_to_chw`] converts a
/// file. All-white tiles (the unfilled end of a sheet) are left out.
pub fn sheet_to_chw(bytes: &[u8], tile: usize, res: usize) -> Result<Vec<Vec<f32>>, String> {
    let img = image::load_from_memory(bytes).map_err(|e| format!("not a readable PNG/JPEG sheet: {e}"))?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    if tile == 0 || w < tile || h < tile {
        return Err(format!("a sheet of {w}×{h} px holds no tile of {tile} px"));
    }
    let rgb = on_white(&img.to_rgba8());
    let mut tiles = Vec::new();
    for y in (0..=h - tile).step_by(tile) {
        for x in (0..=w - tile).step_by(tile) {
            let cut = image::imageops::crop_imm(&rgb, x as u32, y as u32, tile as u32, tile as u32).to_image();
            if cut.pixels().any(|p| p.0 != [255, 255, 255]) {
                tiles.push(rgb_to_chw(&cut, res));
            }
        }
    }
    Ok(tiles)
}

/// Frames (RGBA, all the same size) as a looping animated GIF, each frame enlarged `scale`×
/// (Catmull–Rom) and shown for `delay_ms`. Colours are quantised per frame with NeuQuant.
pub fn animated_gif(frames: &[RgbaImage], delay_ms: u32, scale: u32) -> Result<Vec<u8>, String> {
    let first = frames.first().ok_or("an animation needs at least one frame")?;
    let (w, h) = (first.width() * scale.max(1), first.height() * scale.max(1));
    if w > 4096 || h > 4096 {
        return Err(format!("a {w}×{h} GIF is too large: use a smaller scale"));
    }
    let mut out = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut out, w as u16, h as u16, &[]).map_err(|e| e.to_string())?;
        encoder.set_repeat(gif::Repeat::Infinite).map_err(|e| e.to_string())?;
        for frame in frames {
            if frame.dimensions() != first.dimensions() {
                return Err("all frames of an animation must have the same size".into());
            }
            let mut big = image::imageops::resize(frame, w, h, FilterType::CatmullRom).into_raw();
            let mut f = gif::Frame::from_rgba_speed(w as u16, h as u16, &mut big, 10);
            f.delay = (delay_ms / 10).clamp(2, u16::MAX as u32) as u16; // GIF counts hundredths
            encoder.write_frame(&f).map_err(|e| e.to_string())?;
        }
    }
    Ok(out)
}
