//! Captioned flowers, drawn procedurally: the stand-in for Oxford-102, which no package registry
//! carries. Every flower is a pure function of its index: attributes (petal count, colour and
//! pattern, shape, size, layers, centre, background) → an anti-aliased, lightly shaded 64×64
//! image, and several Reed-style captions that describe a varying subset of those attributes
//! with synonyms and varied word order. The attributes are kept, so generated flowers can be
//! measured against their caption ([`measure`]); images with `index % 10 == 9` are the test
//! split.
//!
//! The image is drawn in polar coordinates around the flower's centre: each petal is a shape
//! along its own axis (half-width as a function of the distance along it), supersampled 3×3.

use std::f32::consts::PI;

use crate::latent::Rng;

/// Side of a drawn flower.
pub const RESOLUTION: usize = 64;
/// Captions drawn per flower.
pub const CAPTIONS_PER_IMAGE: usize = 6;
/// Fewest and most petals.
pub const MIN_PETALS: usize = 3;
pub const MAX_PETALS: usize = 12;

/// A named colour with the words captions may use for it (the first is its name).
pub struct Named {
    pub words: &'static [&'static str],
    pub rgb: [f32; 3],
}

impl Named {
    pub fn name(&self) -> &'static str {
        self.words[0]
    }
}

pub const PETAL_COLOURS: &[Named] = &[
    Named { words: &["red", "scarlet"], rgb: [0.86, 0.10, 0.12] },
    Named { words: &["pink", "rose"], rgb: [0.98, 0.52, 0.70] },
    Named { words: &["orange", "tangerine"], rgb: [1.00, 0.52, 0.06] },
    Named { words: &["yellow", "golden"], rgb: [1.00, 0.86, 0.12] },
    Named { words: &["white"], rgb: [0.96, 0.96, 0.93] },
    Named { words: &["purple"], rgb: [0.44, 0.12, 0.56] },
    Named { words: &["lavender", "lilac"], rgb: [0.76, 0.62, 0.96] },
    Named { words: &["blue"], rgb: [0.16, 0.30, 0.90] },
    Named { words: &["magenta", "fuchsia"], rgb: [0.86, 0.08, 0.62] },
    Named { words: &["peach", "salmon"], rgb: [1.00, 0.72, 0.55] },
    Named { words: &["maroon", "burgundy"], rgb: [0.46, 0.04, 0.12] },
];

pub const CENTRE_COLOURS: &[Named] = &[
    Named { words: &["yellow", "golden"], rgb: [0.98, 0.80, 0.10] },
    Named { words: &["orange"], rgb: [0.95, 0.45, 0.05] },
    Named { words: &["brown"], rgb: [0.42, 0.24, 0.10] },
    Named { words: &["black", "dark"], rgb: [0.08, 0.06, 0.06] },
    Named { words: &["white"], rgb: [0.95, 0.95, 0.90] },
    Named { words: &["green"], rgb: [0.40, 0.70, 0.15] },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    Solid,
    /// The outer third of each petal in the second colour.
    TwoTone,
    /// Only the tips in the second colour.
    Tipped,
    /// A stripe of the second colour along each petal.
    Striped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Round,
    Pointed,
    Thin,
    Heart,
}

impl Shape {
    const ALL: [Shape; 4] = [Shape::Round, Shape::Pointed, Shape::Thin, Shape::Heart];
    fn words(self) -> &'static [&'static str] {
        match self {
            Shape::Round => &["round", "rounded", "oval"],
            Shape::Pointed => &["pointed", "pointy"],
            Shape::Thin => &["thin", "narrow", "spiky"],
            Shape::Heart => &["heart shaped", "notched"],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    Small,
    Medium,
    Large,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Background {
    Leaves,
    Sky,
    Plain,
}

/// Everything that decides a flower's looks; the captions are drawn from these.
#[derive(Clone, Debug, PartialEq)]
pub struct Attributes {
    pub petals: usize,
    /// Index into [`PETAL_COLOURS`].
    pub colour: usize,
    pub pattern: Pattern,
    /// The pattern's second colour (index into [`PETAL_COLOURS`]), ≠ `colour`.
    pub second: usize,
    pub shape: Shape,
    pub size: Size,
    pub layers: usize,
    /// Index into [`CENTRE_COLOURS`].
    pub centre: usize,
    pub large_centre: bool,
    pub background: Background,
}

/// Numbers as captions write them.
pub const NUMBER_WORDS: [&str; 13] =
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];

impl Attributes {
    /// The flower of `index`: a pure function of it.
    pub fn of(index: usize) -> Self {
        let mut rng = Rng::new(0xF10_3E5 ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let colour = rng.below(PETAL_COLOURS.len());
        let pattern = match rng.below(10) {
            0..=4 => Pattern::Solid,
            5 | 6 => Pattern::TwoTone,
            7 | 8 => Pattern::Tipped,
            _ => Pattern::Striped,
        };
        let second = (colour + 1 + rng.below(PETAL_COLOURS.len() - 1)) % PETAL_COLOURS.len();
        Attributes {
            petals: MIN_PETALS + rng.below(MAX_PETALS - MIN_PETALS + 1),
            colour,
            pattern,
            second,
            shape: Shape::ALL[rng.below(4)],
            size: [Size::Small, Size::Medium, Size::Large][rng.below(3)],
            layers: 1 + (rng.below(3) == 0) as usize,
            centre: rng.below(CENTRE_COLOURS.len()),
            large_centre: rng.below(2) == 0,
            background: [Background::Leaves, Background::Sky, Background::Plain][rng.below(3)],
        }
    }

    pub fn is_test(index: usize) -> bool {
        index % 10 == 9
    }

    /// Petal length in pixels at 64 px.
    fn petal_length(&self, jitter: f32) -> f32 {
        let base = match self.size {
            Size::Small => 20.0,
            Size::Medium => 23.5,
            Size::Large => 27.0,
        };
        base + jitter * 1.5
    }
}

/// Half-width of a petal (in units of its maximum half-width) at `t` ∈ [0, 1] along it, and
/// whether `(t, across)` with `across` ∈ [-1, 1] of that half-width is cut away (a heart's notch).
fn petal_profile(shape: Shape, t: f32) -> f32 {
    if !(0.0..=1.0).contains(&t) {
        return 0.0;
    }
    match shape {
        Shape::Round | Shape::Heart => 2.0 * (t * (1.0 - t)).sqrt(),
        Shape::Pointed => 2.6 * t.sqrt() * (1.0 - t),
        Shape::Thin => 2.0 * (t * (1.0 - t)).sqrt(),
    }
}

fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
}

fn scale(c: [f32; 3], s: f32) -> [f32; 3] {
    [c[0] * s, c[1] * s, c[2] * s]
}

/// Cheap smooth value noise in [0, 1] for textures (hash of the lattice, bilinear).
fn value_noise(x: f32, y: f32, seed: u64) -> f32 {
    let hash = |i: i32, j: i32| {
        let mut r = Rng::new(seed ^ ((i as u64) << 32) ^ (j as u32 as u64));
        r.uniform() as f32
    };
    let (xi, yi) = (x.floor() as i32, y.floor() as i32);
    let (fx, fy) = (x - x.floor(), y - y.floor());
    let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
    let top = hash(xi, yi) + (hash(xi + 1, yi) - hash(xi, yi)) * sx;
    let bottom = hash(xi, yi + 1) + (hash(xi + 1, yi + 1) - hash(xi, yi + 1)) * sx;
    top + (bottom - top) * sy
}

/// One layer of petals, as drawn.
struct Layer {
    count: usize,
    phase: f32,
    length: f32,
    half_width: f32,
    brightness: Vec<f32>,
    tint: f32,
}

/// What the painter needs beyond the attributes: positions and per-flower jitter.
struct Scene {
    cx: f32,
    cy: f32,
    layers: Vec<Layer>,
    centre_radius: f32,
    leaves: Vec<(f32, f32, f32, f32, f32)>, // x, y, angle, length, shade
    sky_tilt: f32,
    plain: [f32; 3],
    seed: u64,
}

impl Scene {
    fn new(a: &Attributes, index: usize) -> Self {
        let mut rng = Rng::new(0x5CE_0E ^ (index as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let mut u = || rng.uniform() as f32;
        let (cx, cy) = (31.5 + (u() - 0.5) * 3.0, 31.5 + (u() - 0.5) * 3.0);
        let length = a.petal_length(u() * 2.0 - 1.0);
        let n = a.petals as f32;
        // Petals stay apart beyond 65% of their length, so their count can be read off a circle.
        let width_factor = match a.shape {
            Shape::Thin => 0.28 + 0.06 * u(),
            _ => 0.50 + 0.18 * u(),
        };
        let half_width = (length * (PI / n).sin() * width_factor).min(length * 0.42);
        let phase = u() * 2.0 * PI;
        let mut layers = vec![Layer {
            count: a.petals,
            phase,
            length,
            half_width,
            brightness: (0..a.petals).map(|_| 0.9 + 0.1 * u()).collect(),
            tint: 0.0,
        }];
        if a.layers == 2 {
            layers.push(Layer {
                count: a.petals,
                phase: phase + PI / n,
                length: length * 0.55,
                half_width: half_width * 0.8,
                brightness: (0..a.petals).map(|_| 0.95 + 0.1 * u()).collect(),
                tint: 0.12,
            });
        }
        let centre_radius = length * if a.large_centre { 0.3 } else { 0.17 } + 0.5 * u();
        let leaves = (0..7).map(|_| (u() * 64.0, u() * 64.0, u() * PI, 14.0 + u() * 14.0, 0.6 + 0.4 * u())).collect();
        let plain = [[0.10, 0.10, 0.11], [0.20, 0.16, 0.12], [0.12, 0.18, 0.12], [0.22, 0.22, 0.25]][(u() * 4.0) as usize % 4];
        let plain = scale(plain, 0.85 + 0.3 * u());
        Scene { cx, cy, layers, centre_radius, leaves, sky_tilt: u() - 0.5, plain, seed: index as u64 }
    }

    fn background(&self, a: &Attributes, x: f32, y: f32) -> [f32; 3] {
        match a.background {
            Background::Sky => {
                let t = ((y + self.sky_tilt * (x - 32.0)) / 64.0).clamp(0.0, 1.0);
                let sky = mix([0.36, 0.58, 0.88], [0.72, 0.84, 0.96], t);
                let cloud = (value_noise(x / 14.0, y / 8.0, self.seed) - 0.55).max(0.0) * 1.6;
                mix(sky, [0.95, 0.96, 0.98], cloud.min(0.8))
            }
            Background::Plain => {
                let d = ((x - 32.0).powi(2) + (y - 32.0).powi(2)).sqrt() / 45.0;
                scale(self.plain, 1.0 - 0.35 * d)
            }
            Background::Leaves => {
                let mut c = mix([0.06, 0.20, 0.06], [0.10, 0.30, 0.08], value_noise(x / 9.0, y / 9.0, self.seed));
                for &(lx, ly, ang, len, shade) in &self.leaves {
                    let (dx, dy) = (x - lx, y - ly);
                    let (along, across) = (dx * ang.cos() + dy * ang.sin(), -dx * ang.sin() + dy * ang.cos());
                    let t = along / len + 0.5;
                    let w = petal_profile(Shape::Pointed, t) * len * 0.22;
                    if w > 0.0 && across.abs() < w {
                        let vein = if across.abs() < 0.5 { 0.8 } else { 1.0 };
                        c = scale(mix([0.16, 0.45, 0.12], [0.30, 0.58, 0.18], t), shade * vein);
                    }
                }
                c
            }
        }
    }

    /// The colour of the flower at (x, y), or None where the background shows.
    fn flower(&self, a: &Attributes, x: f32, y: f32) -> Option<[f32; 3]> {
        let (dx, dy) = (x - self.cx, y - self.cy);
        let r = (dx * dx + dy * dy).sqrt();
        if r < self.centre_radius {
            let base = CENTRE_COLOURS[a.centre].rgb;
            let dots = value_noise(x * 1.3, y * 1.3, self.seed ^ 7);
            let rim = 1.0 - 0.35 * (r / self.centre_radius).powi(3);
            return Some(scale(base, rim * (0.8 + 0.3 * dots)));
        }
        let theta = dy.atan2(dx);
        // Front layer first: the inner, shorter petals cover the outer ones.
        for layer in self.layers.iter().rev() {
            let step = 2.0 * PI / layer.count as f32;
            let k = ((theta - layer.phase) / step).round();
            for dk in [0.0, -1.0, 1.0] {
                let ki = k + dk;
                let delta = theta - (layer.phase + ki * step);
                let (along, across) = (r * delta.cos(), r * delta.sin());
                let t = along / layer.length;
                let w = petal_profile(a.shape, t) * layer.half_width;
                if w <= 0.0 || across.abs() >= w {
                    continue;
                }
                let v = across / w; // -1..1
                if a.shape == Shape::Heart && t > 0.82 && v.abs() < 0.28 * (t - 0.82) / 0.18 + 0.02 {
                    continue; // the notch
                }
                let second = PETAL_COLOURS[a.second].rgb;
                let main = PETAL_COLOURS[a.colour].rgb;
                let mut c = match a.pattern {
                    Pattern::Solid => main,
                    Pattern::TwoTone => mix(main, second, ((t - 0.62) / 0.08).clamp(0.0, 1.0)),
                    Pattern::Tipped => mix(main, second, ((t - 0.82) / 0.05).clamp(0.0, 1.0)),
                    Pattern::Striped => mix(main, second, (1.0 - (v.abs() - 0.12) / 0.1).clamp(0.0, 1.0) * (t > 0.15) as u8 as f32),
                };
                c = mix(c, [1.0, 1.0, 1.0], layer.tint);
                let idx = (ki.rem_euclid(layer.count as f32)) as usize % layer.count;
                // Shading: darker at the base and at the edges, a faint vein along the middle.
                let shade = layer.brightness[idx] * (0.78 + 0.22 * t.min(1.0).sqrt()) * (1.0 - 0.25 * v.abs().powi(4));
                let vein = 1.0 - 0.08 * (1.0 - (v.abs() / 0.08).min(1.0));
                return Some(scale(c, shade * vein));
            }
        }
        None
    }
}

/// Draws flower `index` as CHW floats in [-1, 1], `RESOLUTION` px.
pub fn render(index: usize) -> Vec<f32> {
    let a = Attributes::of(index);
    render_attributes(&a, index)
}

/// Draws `a` (with the positions and jitter of `index`) as CHW floats in [-1, 1].
pub fn render_attributes(a: &Attributes, index: usize) -> Vec<f32> {
    const SS: usize = 3;
    let scene = Scene::new(a, index);
    let res = RESOLUTION;
    let plane = res * res;
    let mut out = vec![0.0f32; 3 * plane];
    for py in 0..res {
        for px in 0..res {
            let mut acc = [0.0f32; 3];
            for sy in 0..SS {
                for sx in 0..SS {
                    let x = px as f32 + (sx as f32 + 0.5) / SS as f32;
                    let y = py as f32 + (sy as f32 + 0.5) / SS as f32;
                    let c = scene.flower(a, x, y).unwrap_or_else(|| {
                        // A soft shadow of the flower on the background.
                        let shadow = scene.flower(a, x - 1.5, y - 1.5).is_some();
                        scale(scene.background(a, x, y), if shadow { 0.85 } else { 1.0 })
                    });
                    for ch in 0..3 {
                        acc[ch] += c[ch];
                    }
                }
            }
            for ch in 0..3 {
                let v = (acc[ch] / (SS * SS) as f32).clamp(0.0, 1.0);
                out[ch * plane + py * res + px] = v * 2.0 - 1.0;
            }
        }
    }
    out
}

/// Reed-style captions of flower `index`: each names the petal colour and a varying subset of
/// the other attributes, with synonyms and varied word order.
pub fn captions(index: usize) -> Vec<String> {
    let a = Attributes::of(index);
    let mut rng = Rng::new(0xCA_9710 ^ (index as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    (0..CAPTIONS_PER_IMAGE).map(|_| caption(&a, &mut rng)).collect()
}

fn pick<'a>(rng: &mut Rng, words: &[&'a str]) -> &'a str {
    words[rng.below(words.len())]
}

/// One caption of `a`.
pub fn caption(a: &Attributes, rng: &mut Rng) -> String {
    let chance = |rng: &mut Rng, p: f64| rng.uniform() < p;
    let colour = pick(rng, PETAL_COLOURS[a.colour].words);
    let second = pick(rng, PETAL_COLOURS[a.second].words);
    let count = chance(rng, 0.6).then(|| NUMBER_WORDS[a.petals]);
    let shape = chance(rng, 0.45).then(|| pick(rng, a.shape.words()));
    let size = chance(rng, 0.35).then(|| match a.size {
        Size::Small => pick(rng, &["small", "tiny", "short"]),
        Size::Medium => pick(rng, &["medium sized", "medium"]),
        Size::Large => pick(rng, &["large", "big", "long"]),
    });
    let centre_word = pick(rng, &["center", "centre", "middle", "stamen"]);
    let centre = chance(rng, 0.7).then(|| {
        let c = pick(rng, CENTRE_COLOURS[a.centre].words);
        let big = chance(rng, 0.4).then(|| if a.large_centre { pick(rng, &["large", "big", "wide"]) } else { pick(rng, &["small", "tiny"]) });
        match big {
            Some(b) => format!("{b} {c} {centre_word}"),
            None => format!("{c} {centre_word}"),
        }
    });
    let pattern = match a.pattern {
        Pattern::Solid => None,
        Pattern::TwoTone => Some(format!("{} {second} {}", pick(rng, &["with", "that have"]), pick(rng, &["edges", "outer edges", "rims"]))),
        Pattern::Tipped => Some(format!("{} {second} tips", pick(rng, &["with", "that have"]))),
        Pattern::Striped => Some(format!("with {second} {}", pick(rng, &["stripes", "streaks", "lines"]))),
    }
    .filter(|_| chance(rng, 0.8));
    let layers = (a.layers == 2 && chance(rng, 0.6)).then(|| pick(rng, &["in two layers", "in a double row", "arranged in two rows"]));
    let background = chance(rng, 0.2).then(|| match a.background {
        Background::Leaves => pick(rng, &["among green leaves", "in front of leaves"]),
        Background::Sky => pick(rng, &["against a blue sky", "under the sky"]),
        Background::Plain => pick(rng, &["on a dark background", "on a plain background"]),
    });
    let subject = pick(rng, &["this flower", "the flower", "this bloom"]);
    let petal_word = if a.petals == 1 { "petal" } else { "petals" };

    // "five large pointed pink petals with white tips in two layers"
    let noun_phrase = |with_colour: bool| {
        let mut words: Vec<String> = Vec::new();
        words.extend(count.map(String::from));
        words.extend(size.map(String::from));
        words.extend(shape.map(String::from));
        if with_colour {
            words.push(colour.into());
        }
        words.push(petal_word.into());
        words.extend(pattern.clone());
        words.extend(layers.map(String::from));
        words.join(" ")
    };
    let mut s = match rng.below(5) {
        0 => {
            let mut s = format!("{subject} has {}", noun_phrase(true));
            if let Some(c) = &centre {
                s += &format!(" and a {c}");
            }
            s
        }
        1 => {
            let mut s = format!("the petals of {subject} are {colour}");
            if let Some(sh) = shape {
                s += &format!(" and {sh}");
            }
            if let Some(p) = &pattern {
                s += &format!(" {}", p.replacen("that have ", "with ", 1));
            }
            if let Some(n) = count {
                s += &format!(", there are {n} of them");
            }
            if let Some(c) = &centre {
                s += &format!(" and the {centre_word} is {}", c.trim_end_matches(centre_word).trim());
            }
            s
        }
        2 => match &centre {
            Some(c) => format!("a {c} surrounded by {}", noun_phrase(true)),
            None => format!("a {colour} flower with {}", noun_phrase(false)),
        },
        3 => {
            let mut s = format!("a {colour} flower with {}", noun_phrase(false));
            if let Some(c) = &centre {
                s += &format!(" and a {c}");
            }
            s
        }
        _ => {
            let mut s = format!("{subject} is {colour} in color");
            if let Some(c) = &centre {
                s += &format!(" with a {c}");
            }
            let np = noun_phrase(false);
            if np != petal_word {
                s += &format!(" and has {np}");
            }
            s
        }
    };
    if let Some(b) = background {
        s += &format!(" {b}");
    }
    s
}

/// What [`measure`] reads off an image.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// Index into [`PETAL_COLOURS`] of the commonest petal colour, if any flower is found.
    pub colour: Option<usize>,
    /// Index into [`CENTRE_COLOURS`].
    pub centre: usize,
    /// The most petals counted around circles at 65–85% of the petal length (0 if no flower).
    pub petals: usize,
}

fn dist2(a: [f32; 3], b: [f32; 3]) -> f32 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
}

fn nearest(c: [f32; 3], palette: &[Named]) -> usize {
    (0..palette.len()).min_by(|&i, &j| dist2(c, palette[i].rgb).total_cmp(&dist2(c, palette[j].rgb))).unwrap()
}

/// Reads petal colour, centre colour and petal count off a flower image (CHW in [-1, 1], any
/// square size; measured as if 64 px). The background is learnt from the image's border: a pixel
/// belongs to the flower when no border pixel has a similar colour. Works on the drawn flowers
/// (see the ceiling that `train eval text2image` prints) and on generated ones.
pub fn measure(chw: &[f32], res: usize) -> Measured {
    let plane = res * res;
    let k = res as f32 / 64.0;
    let at = |x: f32, y: f32| -> [f32; 3] {
        // Bilinear sample at 64-px coordinates.
        let (fx, fy) = ((x * k - 0.5).clamp(0.0, res as f32 - 1.001), (y * k - 0.5).clamp(0.0, res as f32 - 1.001));
        let (x0, y0) = (fx as usize, fy as usize);
        let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
        let mut c = [0.0; 3];
        for (ch, v) in c.iter_mut().enumerate() {
            let p = |xx: usize, yy: usize| (chw[ch * plane + yy * res + xx] + 1.0) / 2.0;
            let top = p(x0, y0) * (1.0 - tx) + p(x0 + 1, y0) * tx;
            let bottom = p(x0, y0 + 1) * (1.0 - tx) + p(x0 + 1, y0 + 1) * tx;
            *v = top * (1.0 - ty) + bottom * ty;
        }
        c
    };
    let mut border = Vec::new();
    for i in 0..32 {
        let p = i as f32 * 2.0 + 1.0;
        border.extend([at(p, 1.0), at(p, 63.0), at(1.0, p), at(63.0, p)]);
    }
    // A colour's petal colour, or None where a border (background) colour is closer.
    let label = |c: [f32; 3]| -> Option<usize> {
        let petal = nearest(c, PETAL_COLOURS);
        let background = border.iter().map(|b| dist2(c, *b)).fold(f32::INFINITY, f32::min);
        (dist2(c, PETAL_COLOURS[petal].rgb) < background).then_some(petal)
    };
    let is_flower = |c: [f32; 3]| label(c).is_some();
    let (cx, cy) = (32.0, 32.0);
    let ring = |r: f32, n: usize| -> Vec<[f32; 3]> {
        (0..n).map(|i| {
            let a = i as f32 / n as f32 * 2.0 * PI;
            at(cx + r * a.cos(), cy + r * a.sin())
        })
        .collect()
    };
    // Petal length: the largest radius where a fifth of the circle is still flower.
    let mut length = 0.0;
    for r in (6..31).map(|r| r as f32) {
        let samples = ring(r, 128);
        if samples.iter().filter(|c| is_flower(**c)).count() * 5 >= samples.len() {
            length = r;
        }
    }
    let centre_colour = {
        let mut acc = [0.0; 3];
        let mut n = 0.0;
        for dy in -2..=2 {
            for dx in -2..=2 {
                let c = at(cx + dx as f32, cy + dy as f32);
                for ch in 0..3 {
                    acc[ch] += c[ch];
                }
                n += 1.0;
            }
        }
        nearest(scale(acc, 1.0 / n), CENTRE_COLOURS)
    };
    if length < 8.0 {
        return Measured { colour: None, centre: centre_colour, petals: 0 };
    }
    // Petal colour: votes of flower pixels between the centre and the tips.
    let mut votes = vec![0usize; PETAL_COLOURS.len()];
    for r in [0.40, 0.47, 0.54, 0.61] {
        for c in ring(length * r, 96) {
            if let Some(p) = label(c) {
                votes[p] += 1;
            }
        }
    }
    let colour = (0..votes.len()).max_by_key(|&i| votes[i]).filter(|&i| votes[i] > 0);
    // Petal count: flower runs around circles at 65–85% of the length; petals merge towards the
    // centre and thin out at the tips, so the most runs found wins.
    let petals = [0.65, 0.75, 0.85]
        .iter()
        .map(|f| count_runs(&ring(length * f, 360).into_iter().map(is_flower).collect::<Vec<_>>(), 3))
        .max()
        .unwrap_or(0);
    Measured { colour, centre: centre_colour, petals }
}

/// Runs of `true` at least `min_len` long around a circular sequence.
fn count_runs(samples: &[bool], min_len: usize) -> usize {
    let n = samples.len();
    let Some(start) = samples.iter().position(|s| !s) else { return 1 };
    let (mut runs, mut len) = (0, 0);
    for i in 1..=n {
        if samples[(start + i) % n] {
            len += 1;
        } else {
            if len >= min_len {
                runs += 1;
            }
            len = 0;
        }
    }
    runs
}
