//! Training metrics: one JSON object per line in `metrics.jsonl`, and a loss-curve PNG drawn
//! from it (no font or plotting library needed: a 3×5 pixel font covers the labels).

use std::io::Write;
use std::path::Path;

use image::{Rgba, RgbaImage};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StepMetrics {
    pub step: usize,
    pub d_loss: f32,
    pub g_loss: f32,
    pub images_per_s: f32,
}

/// Appends one line to `metrics.jsonl`.
pub fn append(path: &Path, m: &StepMetrics) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    writeln!(f, "{}", serde_json::to_string(m).expect("metrics serialise"))
}

/// Reads `metrics.jsonl`, skipping a torn last line (a kill mid-write).
pub fn read(path: &Path) -> Vec<StepMetrics> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Drops entries at or after `step` (used on resume, so a replayed step is not listed twice).
pub fn truncate_after(path: &Path, step: usize) -> std::io::Result<()> {
    let kept: Vec<String> = read(path)
        .into_iter()
        .filter(|m| m.step <= step)
        .map(|m| serde_json::to_string(&m).expect("metrics serialise"))
        .collect();
    let mut text = kept.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    super::checkpoint::write_atomic(path, text.as_bytes())
}

// 3×5 glyphs, one u16 per glyph, rows top to bottom, 3 bits a row.
fn glyph(c: char) -> u16 {
    match c {
        '0' => 0b111_101_101_101_111,
        '1' => 0b010_110_010_010_111,
        '2' => 0b111_001_111_100_111,
        '3' => 0b111_001_111_001_111,
        '4' => 0b101_101_111_001_001,
        '5' => 0b111_100_111_001_111,
        '6' => 0b111_100_111_101_111,
        '7' => 0b111_001_010_010_010,
        '8' => 0b111_101_111_101_111,
        '9' => 0b111_101_111_001_111,
        '.' => 0b000_000_000_000_010,
        '-' => 0b000_000_111_000_000,
        'D' => 0b110_101_101_101_110,
        'G' => 0b111_100_101_101_111,
        's' => 0b000_111_110_011_111,
        't' => 0b010_111_010_010_011,
        'e' => 0b000_111_111_100_111,
        'p' => 0b000_111_101_111_100,
        _ => 0,
    }
}

fn text(img: &mut RgbaImage, x: i64, y: i64, s: &str, scale: i64, color: Rgba<u8>) {
    for (i, c) in s.chars().enumerate() {
        let g = glyph(c);
        for row in 0..5 {
            for col in 0..3 {
                if g >> (14 - (row * 3 + col)) & 1 == 1 {
                    for dy in 0..scale {
                        for dx in 0..scale {
                            put(img, x + (i as i64 * 4 + col) * scale + dx, y + row * scale + dy, color);
                        }
                    }
                }
            }
        }
    }
}

fn put(img: &mut RgbaImage, x: i64, y: i64, c: Rgba<u8>) {
    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
        img.put_pixel(x as u32, y as u32, c);
    }
}

fn line(img: &mut RgbaImage, (x0, y0): (f64, f64), (x1, y1): (f64, f64), c: Rgba<u8>) {
    let n = ((x1 - x0).abs().max((y1 - y0).abs()).ceil() as usize).max(1);
    for i in 0..=n {
        let t = i as f64 / n as f64;
        let (x, y) = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
        put(img, x.round() as i64, y.round() as i64, c);
        put(img, x.round() as i64, y.round() as i64 + 1, c);
    }
}

/// Moving average over `w` points, so the curve shows the trend under the GAN's noise.
fn smooth(v: &[f32], w: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(v.len());
    let mut sum = 0.0;
    for i in 0..v.len() {
        sum += v[i];
        if i >= w {
            sum -= v[i - w];
        }
        out.push(sum / (i + 1).min(w) as f32);
    }
    out
}

/// Renders D (red) and G (blue) losses against the step, raw faint and smoothed bold.
pub fn loss_curve(metrics: &[StepMetrics]) -> RgbaImage {
    let (w, h, left, right, top, bottom) = (720i64, 360i64, 56i64, 16i64, 28i64, 28i64);
    let mut img = RgbaImage::from_pixel(w as u32, h as u32, Rgba([255, 255, 255, 255]));
    let axis = Rgba([60, 60, 60, 255]);
    line(&mut img, (left as f64, top as f64), (left as f64, (h - bottom) as f64), axis);
    line(&mut img, (left as f64, (h - bottom) as f64), ((w - right) as f64, (h - bottom) as f64), axis);
    if metrics.is_empty() {
        return img;
    }
    let finite = |v: f32| if v.is_finite() { v } else { 0.0 };
    let d: Vec<f32> = metrics.iter().map(|m| finite(m.d_loss)).collect();
    let g: Vec<f32> = metrics.iter().map(|m| finite(m.g_loss)).collect();
    let (mut lo, mut hi) = (f32::MAX, f32::MIN);
    for v in d.iter().chain(&g) {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    if hi - lo < 1e-6 {
        hi = lo + 1.0;
    }
    let (s0, s1) = (metrics[0].step as f64, metrics.last().unwrap().step.max(metrics[0].step + 1) as f64);
    let px = |s: usize| left as f64 + (s as f64 - s0) / (s1 - s0) * (w - left - right) as f64;
    let py = |v: f32| (h - bottom) as f64 - ((v - lo) / (hi - lo)) as f64 * (h - top - bottom) as f64;
    let window = (metrics.len() / 50).max(1);
    for (series, faint, bold) in [
        (&d, Rgba([240, 180, 180, 255]), Rgba([200, 30, 30, 255])),
        (&g, Rgba([180, 190, 240, 255]), Rgba([30, 60, 200, 255])),
    ] {
        let smooth = smooth(series, window);
        for (vals, color) in [(series.as_slice(), faint), (smooth.as_slice(), bold)] {
            for i in 1..vals.len() {
                line(&mut img, (px(metrics[i - 1].step), py(vals[i - 1])), (px(metrics[i].step), py(vals[i])), color);
            }
        }
    }
    text(&mut img, 4, top - 4, &format!("{hi:.3}"), 2, axis);
    text(&mut img, 4, h - bottom - 8, &format!("{lo:.3}"), 2, axis);
    text(&mut img, left, h - bottom + 8, &format!("step {}", metrics[0].step), 2, axis);
    let last = format!("{}", metrics.last().unwrap().step);
    text(&mut img, w - right - last.len() as i64 * 8, h - bottom + 8, &last, 2, axis);
    text(&mut img, left + 16, 6, "D", 3, Rgba([200, 30, 30, 255]));
    text(&mut img, left + 40, 6, "G", 3, Rgba([30, 60, 200, 255]));
    img
}
