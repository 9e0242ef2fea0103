//! Training metrics: one JSON object per line in `metrics.jsonl`, and a loss-curve PNG drawn
//! from it (no font or plotting library needed: a 3×5 pixel font covers the labels).

use std::io::Write;
use std::path::Path;

use image::{Rgba, RgbaImage};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One line of `metrics.jsonl`: the step's losses by name (`{"D": 0.6, "G": 1.2}`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StepMetrics {
    pub step: usize,
    pub losses: BTreeMap<String, f32>,
    pub images_per_s: f32,
}

impl StepMetrics {
    pub fn new(step: usize, losses: &[(&str, f32)], images_per_s: f32) -> Self {
        Self { step, losses: losses.iter().map(|(n, v)| (n.to_string(), *v)).collect(), images_per_s }
    }

    /// The loss named `name` (NaN when this step did not report it).
    pub fn loss(&self, name: &str) -> f32 {
        self.losses.get(name).copied().unwrap_or(f32::NAN)
    }
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

/// Drops the lines of a JSON-lines log (`metrics.jsonl`, `eval.jsonl`) whose `step` is after
/// `step`, and torn lines (used on resume, so a replayed step is not listed twice).
pub fn truncate_after(path: &Path, step: usize) -> std::io::Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(()) };
    let kept: String = text
        .lines()
        .filter(|l| {
            serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| v.get("step").and_then(|s| s.as_u64()).is_some_and(|s| s as usize <= step))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    crate::files::write_atomic(path, kept.as_bytes())
}

// 3×5 glyphs, one u16 per glyph, rows top to bottom, 3 bits a row; letters are upper case.
fn glyph(c: char) -> u16 {
    match c.to_ascii_uppercase() {
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
        '_' => 0b000_000_000_000_111,
        '/' => 0b001_001_010_100_100,
        'A' => 0b010_101_111_101_101,
        'B' => 0b110_101_110_101_110,
        'C' => 0b011_100_100_100_011,
        'D' => 0b110_101_101_101_110,
        'E' => 0b111_100_110_100_111,
        'F' => 0b111_100_110_100_100,
        'G' => 0b011_100_101_101_011,
        'H' => 0b101_101_111_101_101,
        'I' => 0b111_010_010_010_111,
        'J' => 0b001_001_001_101_010,
        'K' => 0b101_101_110_101_101,
        'L' => 0b100_100_100_100_111,
        'M' => 0b101_111_111_101_101,
        'N' => 0b110_101_101_101_101,
        'O' => 0b010_101_101_101_010,
        'P' => 0b110_101_110_100_100,
        'Q' => 0b010_101_101_110_011,
        'R' => 0b110_101_110_101_101,
        'S' => 0b011_100_010_001_110,
        'T' => 0b111_010_010_010_010,
        'U' => 0b101_101_101_101_111,
        'V' => 0b101_101_101_101_010,
        'W' => 0b101_101_111_111_101,
        'X' => 0b101_101_010_101_101,
        'Y' => 0b101_101_010_010_010,
        'Z' => 0b111_001_010_100_111,
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

/// Moving average over the finite values among the last `w` points, so the curve shows the
/// trend under the GAN's noise; a step without a value stays a gap.
fn smooth(v: &[f32], w: usize) -> Vec<f32> {
    (0..v.len())
        .map(|i| {
            let window = v[(i + 1).saturating_sub(w)..=i].iter().filter(|x| x.is_finite());
            let (sum, n) = window.fold((0.0, 0), |(s, n), x| (s + x, n + 1));
            if v[i].is_finite() && n > 0 { sum / n as f32 } else { f32::NAN }
        })
        .collect()
}

/// Line colours of the loss curves: D red, G blue, then the other names alphabetically.
const PALETTE: [[u8; 3]; 8] = [[200, 30, 30], [30, 60, 200], [20, 140, 60], [220, 120, 0], [130, 50, 170], [0, 140, 150], [140, 90, 40], [90, 90, 90]];

/// Renders one curve per loss name against the step, raw faint and smoothed bold, with a legend
/// of the names in their colours. A name a step did not report leaves a gap in its curve.
pub fn loss_curve(metrics: &[StepMetrics]) -> RgbaImage {
    let (w, h, left, right, top, bottom) = (720i64, 360i64, 56i64, 16i64, 28i64, 28i64);
    let mut img = RgbaImage::from_pixel(w as u32, h as u32, Rgba([255, 255, 255, 255]));
    let axis = Rgba([60, 60, 60, 255]);
    line(&mut img, (left as f64, top as f64), (left as f64, (h - bottom) as f64), axis);
    line(&mut img, (left as f64, (h - bottom) as f64), ((w - right) as f64, (h - bottom) as f64), axis);
    if metrics.is_empty() {
        return img;
    }
    // D and G first, then the other names alphabetically (the order metrics.jsonl keeps them in)
    let mut names: Vec<&str> = Vec::new();
    for m in metrics {
        for n in m.losses.keys() {
            if !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
    }
    names.sort_by_key(|n| match *n {
        "D" => 0,
        "G" => 1,
        _ => 2,
    });
    let series: Vec<Vec<f32>> = names.iter().map(|n| metrics.iter().map(|m| m.loss(n)).collect()).collect();
    let (mut lo, mut hi) = (f32::MAX, f32::MIN);
    for v in series.iter().flatten().filter(|v| v.is_finite()) {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    if lo > hi {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-6 {
        hi = lo + 1.0;
    }
    let (s0, s1) = (metrics[0].step as f64, metrics.last().unwrap().step.max(metrics[0].step + 1) as f64);
    let px = |s: usize| left as f64 + (s as f64 - s0) / (s1 - s0) * (w - left - right) as f64;
    let py = |v: f32| (h - bottom) as f64 - ((v - lo) / (hi - lo)) as f64 * (h - top - bottom) as f64;
    let window = (metrics.len() / 50).max(1);
    let mut legend_x = left + 16;
    for (k, (name, values)) in names.iter().zip(&series).enumerate() {
        let [r, g, b] = PALETTE[k % PALETTE.len()];
        let bold = Rgba([r, g, b, 255]);
        let faint = Rgba([255 - (255 - r) / 3, 255 - (255 - g) / 3, 255 - (255 - b) / 3, 255]);
        let smooth = smooth(values, window);
        for (vals, color) in [(values.as_slice(), faint), (smooth.as_slice(), bold)] {
            for i in 1..vals.len() {
                if vals[i - 1].is_finite() && vals[i].is_finite() {
                    line(&mut img, (px(metrics[i - 1].step), py(vals[i - 1])), (px(metrics[i].step), py(vals[i])), color);
                }
            }
        }
        line(&mut img, (legend_x as f64, 13.0), ((legend_x + 12) as f64, 13.0), bold);
        text(&mut img, legend_x + 16, 6, name, 3, bold);
        legend_x += 16 + 12 * name.chars().count() as i64 + 20;
    }
    text(&mut img, 4, top - 4, &format!("{hi:.3}"), 2, axis);
    text(&mut img, 4, h - bottom - 8, &format!("{lo:.3}"), 2, axis);
    text(&mut img, left, h - bottom + 8, &format!("step {}", metrics[0].step), 2, axis);
    let last = format!("{}", metrics.last().unwrap().step);
    text(&mut img, w - right - last.len() as i64 * 8, h - bottom + 8, &last, 2, axis);
    img
}
