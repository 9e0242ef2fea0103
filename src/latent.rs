//! Seed → latent, with an RNG of our own.
//!
//! A seed names an image everywhere: natively, on every backend and in the browser. The device
//! RNG differs between backends, so latents never come from it. We use SplitMix64 (Steele et al.
//! 2014) for uniform bits and the Box–Muller transform for normals, with `libm` for `ln`, `cos`
//! and `sqrt` so the floating-point results are the same on every target.

/// SplitMix64: a tiny, fast, statistically solid 64-bit generator whose whole state is one
/// `u64`, so it can be checkpointed and resumed exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    pub state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 bits of precision.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n).
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below needs n > 0");
        (self.uniform() * n as f64) as usize % n
    }

    /// Standard normal, by Box–Muller (both outputs used, in order).
    pub fn normals(&mut self, n: usize) -> Vec<f32> {
        let mut out = Vec::with_capacity(n + 1);
        while out.len() < n {
            let u1 = 1.0 - self.uniform(); // (0, 1]: ln never sees 0
            let u2 = self.uniform();
            let r = libm::sqrt(-2.0 * libm::log(u1));
            let theta = 2.0 * core::f64::consts::PI * u2;
            out.push((r * libm::cos(theta)) as f32);
            out.push((r * libm::sin(theta)) as f32);
        }
        out.truncate(n);
        out
    }

    /// Fisher–Yates shuffle of `0..n`.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            p.swap(i, self.below(i + 1));
        }
        p
    }
}

/// The latent vector a seed names: `z` standard normals from `Rng::new(seed)`.
pub fn latent_for_seed(seed: u64, z: usize) -> Vec<f32> {
    Rng::new(seed).normals(z)
}

/// Latents for several seeds, row-major `[seeds.len(), z]`.
pub fn latents_for_seeds(seeds: &[u64], z: usize) -> Vec<f32> {
    seeds.iter().flat_map(|&s| latent_for_seed(s, z)).collect()
}

/// Latents for several seeds as a tensor `[seeds.len(), z]` on `device`: the generator's input.
pub fn latents_tensor(seeds: &[u64], z: usize, device: &burn::prelude::Device) -> burn::prelude::Tensor<2> {
    let data = burn::tensor::TensorData::new(latents_for_seeds(seeds, z), [seeds.len(), z]);
    burn::prelude::Tensor::from_data(data, device)
}

/// Parses a seed list such as `1,2,3`, `0-7` or `1,5-8`.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>, String> {
    let mut seeds = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = || format!("bad seed `{part}`: write seeds as `1,2,3` or a range `0-7`");
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u64, u64) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
                if b < a || b - a > 100_000 {
                    return Err(format!("bad seed range `{part}`: the end must be ≥ the start and the range at most 100000 long"));
                }
                seeds.extend(a..=b);
            }
            None => seeds.push(part.parse().map_err(|_| bad())?),
        }
    }
    if seeds.is_empty() {
        return Err("no seeds given: write seeds as `1,2,3` or a range `0-7`".into());
    }
    Ok(seeds)
}
