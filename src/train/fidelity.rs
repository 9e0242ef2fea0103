//! How close an unconditional image GAN's samples are to its training images, when every image
//! it has is training data (the 1,000 faces): precision and recall (Kynkäänniemi et al. 2019,
//! k = 3) in two spaces, and two guard rails against collapse and copying.
//!
//! - **Pixels at 16×16** (2×2 box averages of 32 px): colour and layout.
//! - **Random features**: a fixed, seeded, randomly initialised conv net (our own RNG, so the
//!   same on every backend), whose embeddings rank images well enough for these measures
//!   (Naeem et al. 2020) and cannot have been trained towards the model under test.
//!
//! Precision: the share of samples inside the k-NN ball of some training image; recall: the
//! share of training images inside the k-NN ball of some sample. The reference is the same
//! measure between the two halves of the training images (what data as good as the training set
//! scores), and a model is judged by its share of it.
//!
//! Also the images' power at high spatial frequencies ([`high_frequency_power`]): checkerboards
//! raise it above real images', blur lowers it (text-to-image and translation report the ratio).
//!
//! Guard rails: the mean pairwise RMSE of 64 samples beside that of 64 training images (a
//! collapsed G is far below), and the median RMSE from a sample to its nearest training image
//! beside a training image's to its nearest other (a G that copies is below).

use burn::prelude::*;
use serde::Serialize;

use crate::data::captioned::downsample;
use crate::latent::Rng;

/// Neighbours that make a ball (Kynkäänniemi et al.'s k).
pub const K: usize = 3;

/// Images as rows, `[n, 3, R, R]` flattened, values in [-1, 1].
pub struct Images<'a> {
    pub values: &'a [f32],
    pub n: usize,
    pub resolution: usize,
}

impl Images<'_> {
    fn size(&self) -> usize {
        3 * self.resolution * self.resolution
    }

    fn image(&self, i: usize) -> &[f32] {
        &self.values[i * self.size()..(i + 1) * self.size()]
    }
}

/// Rows of a matrix `[n, d]`.
#[derive(Clone)]
pub struct Rows {
    pub values: Vec<f32>,
    pub n: usize,
    pub d: usize,
}

impl Rows {
    fn tensor(&self, device: &Device) -> Tensor<2> {
        Tensor::from_data(TensorData::new(self.values.clone(), [self.n, self.d]), device)
    }

    fn take(&self, idx: &[usize]) -> Rows {
        let values = idx.iter().flat_map(|&i| self.values[i * self.d..(i + 1) * self.d].iter().copied()).collect();
        Rows { values, n: idx.len(), d: self.d }
    }
}

/// Squared Euclidean distances between every row of `a` and every row of `b`, `[a.n · b.n]`.
pub fn squared_distances(a: &Rows, b: &Rows, device: &Device) -> Vec<f32> {
    let (ta, tb) = (a.tensor(device), b.tensor(device));
    let na = ta.clone().powi_scalar(2).sum_dim(1); // [A, 1]
    let nb = tb.clone().powi_scalar(2).sum_dim(1).reshape([1, b.n]); // [1, B]
    let d = na + nb - ta.matmul(tb.transpose()) * 2.0; // [A, B]
    d.clamp_min(0.0).into_data().try_to_vec::<f32>().expect("f32 distances")
}

/// Each row's squared distance to its k-th nearest other row of the same set.
fn kth_radii(d: &[f32], n: usize, k: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let mut row: Vec<f32> = (0..n).filter(|&j| j != i).map(|j| d[i * n + j]).collect();
            let k = k.min(row.len()) - 1;
            *row.select_nth_unstable_by(k, f32::total_cmp).1
        })
        .collect()
}

/// Precision and recall of `fake` against `real` (Kynkäänniemi et al. 2019) with k-NN balls.
pub fn precision_recall(real: &Rows, fake: &Rows, k: usize, device: &Device) -> (f64, f64) {
    let real_radii = kth_radii(&squared_distances(real, real, device), real.n, k);
    let fake_radii = kth_radii(&squared_distances(fake, fake, device), fake.n, k);
    let cross = squared_distances(fake, real, device); // [F, R]
    let precision = (0..fake.n).filter(|&f| (0..real.n).any(|r| cross[f * real.n + r] <= real_radii[r])).count();
    let recall = (0..real.n).filter(|&r| (0..fake.n).any(|f| cross[f * real.n + r] <= fake_radii[f])).count();
    (precision as f64 / fake.n as f64, recall as f64 / real.n as f64)
}

/// The fixed random embedding: four 3×3 convs (3 → 32 → 64 → 128 → 128, the last three with
/// stride 2), leaky ReLU 0.2, He-initialised from `Rng::new(SEED)`; images at 32 px (others are
/// box-averaged or repeated to 32 first); the 4×4×128 map flattened and scaled to unit length.
pub struct RandomFeatures {
    convs: Vec<(Tensor<4>, usize)>,
}

impl RandomFeatures {
    pub const SEED: u64 = 0x5EED_FACE;

    pub fn new(device: &Device) -> Self {
        let mut rng = Rng::new(Self::SEED);
        let layers = [(3, 32, 1), (32, 64, 2), (64, 128, 2), (128, 128, 2)];
        let convs = layers
            .iter()
            .map(|&(i, o, stride)| {
                let std = (2.0 / (i * 9) as f32).sqrt();
                let w: Vec<f32> = rng.normals(o * i * 9).into_iter().map(|v| v * std).collect();
                (Tensor::from_data(TensorData::new(w, [o, i, 3, 3]), device), stride)
            })
            .collect();
        Self { convs }
    }

    pub fn embed(&self, images: &Images, device: &Device) -> Rows {
        use burn::tensor::module::conv2d;
        use burn::tensor::ops::ConvOptions;
        let at32 = resized(images, 32);
        let mut x = Tensor::<4>::from_data(TensorData::new(at32, [images.n, 3, 32, 32]), device);
        for (w, stride) in &self.convs {
            x = conv2d(x, w.clone(), None, ConvOptions::new([*stride, *stride], [1, 1], [1, 1], 1));
            x = burn::tensor::activation::leaky_relu(x, 0.2);
        }
        let d = x.dims()[1] * x.dims()[2] * x.dims()[3];
        let flat = x.reshape([images.n, d]);
        let norm = flat.clone().powi_scalar(2).sum_dim(1).sqrt().clamp_min(1e-12);
        Rows { values: (flat / norm).into_data().try_to_vec::<f32>().expect("f32 features"), n: images.n, d }
    }
}

/// The images at `side` px: box averages down, repeats up.
fn resized(images: &Images, side: usize) -> Vec<f32> {
    let r = images.resolution;
    if r >= side {
        return (0..images.n).flat_map(|i| downsample(images.image(i), r, side)).collect();
    }
    let f = side / r;
    let mut out = Vec::with_capacity(images.n * 3 * side * side);
    for i in 0..images.n {
        let img = images.image(i);
        for c in 0..3 {
            for y in 0..side {
                for x in 0..side {
                    out.push(img[c * r * r + (y / f) * r + x / f]);
                }
            }
        }
    }
    out
}

/// What a model is measured against: the training images in both spaces, and the reference
/// figures of the two halves of them.
pub struct Reference {
    pixels: Rows,
    features: Rows,
    /// The training images as rows at their resolution (for the RMSE guard rails).
    images: Rows,
    embedding: RandomFeatures,
    /// Precision and recall between the halves: pixels, then features.
    pub pixels_pr: (f64, f64),
    pub features_pr: (f64, f64),
    /// Mean pairwise RMSE of the first 64 training images.
    pub spread: f64,
    /// Median RMSE from a training image to its nearest other.
    pub nearest: f64,
}

/// Pixels at 16×16 (box averages) as rows.
fn pixel_rows(images: &Images) -> Rows {
    Rows { values: resized(images, 16), n: images.n, d: 3 * 16 * 16 }
}

impl Reference {
    /// The reference of `train` (at least 16 images): halves are the even and odd indices.
    pub fn new(train: &Images, device: &Device) -> Result<Self, String> {
        if train.n < 16 || train.resolution < 16 || !train.resolution.is_power_of_two() {
            return Err(format!("the face measures need ≥ 16 training images at a power-of-two resolution ≥ 16 px, got {} at {} px", train.n, train.resolution));
        }
        let embedding = RandomFeatures::new(device);
        let (pixels, features) = (pixel_rows(train), embedding.embed(train, device));
        let even: Vec<usize> = (0..train.n).step_by(2).collect();
        let odd: Vec<usize> = (1..train.n).step_by(2).collect();
        let halves = |rows: &Rows| precision_recall(&rows.take(&even), &rows.take(&odd), K, device);
        let images = Rows { values: train.values.to_vec(), n: train.n, d: train.size() };
        let first: Vec<usize> = (0..train.n.min(64)).collect();
        let spread = mean_pairwise_rmse(&images.take(&first), device);
        let nearest = median(nearest_rmse(&images, &images, true, device));
        Ok(Self { pixels_pr: halves(&pixels), features_pr: halves(&features), pixels, features, images, embedding, spread, nearest })
    }

    /// Measures `samples` (1,000 in `train eval faces`) against the whole training set.
    pub fn measure(&self, samples: &Images, device: &Device) -> FaceMeasures {
        let pixels_pr = precision_recall(&self.pixels, &pixel_rows(samples), K, device);
        let features_pr = precision_recall(&self.features, &self.embedding.embed(samples, device), K, device);
        let rows = Rows { values: samples.values.to_vec(), n: samples.n, d: samples.size() };
        let first: Vec<usize> = (0..samples.n.min(64)).collect();
        FaceMeasures {
            samples: samples.n,
            train: self.images.n,
            precision_pixels: pixels_pr.0,
            recall_pixels: pixels_pr.1,
            precision_features: features_pr.0,
            recall_features: features_pr.1,
            reference_pixels: self.pixels_pr,
            reference_features: self.features_pr,
            spread: mean_pairwise_rmse(&rows.take(&first), device),
            spread_real: self.spread,
            nearest: median(nearest_rmse(&rows, &self.images, false, device)),
            nearest_real: self.nearest,
        }
    }
}

/// Mean RMSE over all pairs of rows.
fn mean_pairwise_rmse(rows: &Rows, device: &Device) -> f64 {
    let d = squared_distances(rows, rows, device);
    let n = rows.n;
    let pairs: Vec<f64> = (0..n).flat_map(|i| ((i + 1)..n).map(move |j| (i, j))).map(|(i, j)| (d[i * n + j] as f64 / rows.d as f64).sqrt()).collect();
    pairs.iter().sum::<f64>() / pairs.len().max(1) as f64
}

/// For each row of `a`, the RMSE to its nearest row of `b` (not itself when `same`).
fn nearest_rmse(a: &Rows, b: &Rows, same: bool, device: &Device) -> Vec<f64> {
    let d = squared_distances(a, b, device);
    (0..a.n)
        .map(|i| {
            let best = (0..b.n).filter(|&j| !(same && j == i)).map(|j| d[i * b.n + j]).fold(f32::INFINITY, f32::min);
            (best as f64 / a.d as f64).sqrt()
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { f64::NAN } else { v[v.len() / 2] }
}

/// The measures of one set of samples, beside their references.
#[derive(Clone, Debug, Serialize)]
pub struct FaceMeasures {
    pub samples: usize,
    pub train: usize,
    pub precision_pixels: f64,
    pub recall_pixels: f64,
    pub precision_features: f64,
    pub recall_features: f64,
    /// (precision, recall) between the two halves of the training images.
    pub reference_pixels: (f64, f64),
    pub reference_features: (f64, f64),
    /// Mean pairwise RMSE of 64 samples, and of 64 training images.
    pub spread: f64,
    pub spread_real: f64,
    /// Median RMSE to the nearest training image, and a training image's to its nearest other.
    pub nearest: f64,
    pub nearest_real: f64,
}

impl FaceMeasures {
    /// The four measures as shares of their references, in the table's order.
    pub fn shares(&self) -> [f64; 4] {
        [
            self.precision_pixels / self.reference_pixels.0,
            self.recall_pixels / self.reference_pixels.1,
            self.precision_features / self.reference_features.0,
            self.recall_features / self.reference_features.1,
        ]
    }

    /// Whether the samples are no nearer the training images than those are to each other.
    pub fn copies(&self) -> bool {
        self.nearest < self.nearest_real
    }

    /// The run's score (higher is better): the worst of the four shares, halved when the
    /// samples sit clearly nearer the training images than those sit to each other (below 90%
    /// of it: the two medians are equal for a sampler as good as the data, so the guard's own
    /// line, [`Self::copies`], would halve half of the good steps by chance).
    pub fn score(&self) -> f64 {
        let worst = self.shares().into_iter().fold(f64::INFINITY, f64::min);
        if self.nearest < 0.9 * self.nearest_real { worst / 2.0 } else { worst }
    }

    pub fn table(&self) -> String {
        let share = self.shares();
        let pct = |v: f64| format!("{:.1}%", 100.0 * v);
        let mut t = format!("{} samples against {} training images (k = {K}); reference: the two halves of the training images\n", self.samples, self.train);
        t += &format!("{:<28}{:>10}{:>12}{:>10}{:>8}\n", "measure", "samples", "reference", "share", "goal");
        let rows = [
            ("precision, pixels 16×16", self.precision_pixels, self.reference_pixels.0, share[0]),
            ("recall, pixels 16×16", self.recall_pixels, self.reference_pixels.1, share[1]),
            ("precision, random features", self.precision_features, self.reference_features.0, share[2]),
            ("recall, random features", self.recall_features, self.reference_features.1, share[3]),
        ];
        for (name, v, r, s) in rows {
            t += &format!("{name:<28}{:>10}{:>12}{:>10}{:>8}\n", pct(v), pct(r), pct(s), "≥ 90%");
        }
        t += &format!(
            "guard: mean pairwise RMSE of 64 samples {:.3} vs 64 real {:.3} ({:+.1}%, goal within 5%)\n",
            self.spread,
            self.spread_real,
            100.0 * (self.spread / self.spread_real - 1.0)
        );
        t += &format!(
            "guard: median RMSE to the nearest training image {:.3} vs a training image's to its nearest other {:.3} ({})\n",
            self.nearest,
            self.nearest_real,
            if self.copies() { "BELOW: samples sit nearer the training images than they sit to each other" } else { "not below: no copies" }
        );
        t
    }
}

/// Mean power of an image's highest spatial frequencies (either axis's frequency above a quarter
/// of the sampling rate, i.e. in the upper half of the band up to Nyquist), of its luminance
/// `chw` `[3, R, R]` in [-1, 1]: where checkerboards, stripes and fixed noise patterns live.
pub fn high_frequency_power(chw: &[f32], res: usize) -> f64 {
    let n = res * res;
    let grey: Vec<f64> = (0..n).map(|i| (chw[i] + chw[n + i] + chw[2 * n + i]) as f64 / 3.0).collect();
    let (cos, sin): (Vec<f64>, Vec<f64>) = (0..res).map(|k| (2.0 * std::f64::consts::PI * k as f64 / res as f64).sin_cos()).map(|(s, c)| (c, s)).unzip();
    // rows, then columns: a separable DFT
    let mut rows = vec![(0f64, 0f64); n]; // [y][u]
    for y in 0..res {
        for u in 0..res {
            let (mut re, mut im) = (0.0, 0.0);
            for x in 0..res {
                let t = (u * x) % res;
                re += grey[y * res + x] * cos[t];
                im -= grey[y * res + x] * sin[t];
            }
            rows[y * res + u] = (re, im);
        }
    }
    let high = |f: usize| f.min(res - f) * 4 > res;
    let (mut power, mut count) = (0.0, 0usize);
    for u in 0..res {
        for v in (0..res).filter(|&v| high(u) || high(v)) {
            let (mut re, mut im) = (0.0, 0.0);
            for y in 0..res {
                let t = (v * y) % res;
                let (a, b) = rows[y * res + u];
                re += a * cos[t] + b * sin[t];
                im += b * cos[t] - a * sin[t];
            }
            power += (re * re + im * im) / n as f64;
            count += 1;
        }
    }
    power / count as f64
}
