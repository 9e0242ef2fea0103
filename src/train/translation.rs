//! What the two translation families (`cyclegan.rs`, `discogan.rs`) share: their data flags,
//! the held-out pairs a run watches, the sample grid, and the evaluation against the true pairs.
//!
//! The held-out pairs (a tenth of the names both domains share, see `data::unpaired`) are split
//! once more: every sixth is **watched** during training (the grid shows the first eight, and
//! the best generator is kept by its L1 on them), and `train eval translate` reports on the
//! other five sixths, which no choice of the run has seen.

use std::collections::BTreeSet;
use std::path::PathBuf;

use burn::module::Module;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Evaluation, batch_indices, reported, watched};
use crate::bundle::Provenance;
use crate::data::ImageDataset;
use crate::data::unpaired::{self, Holdout, Split, UnpairedDomains, UnpairedSource};
use crate::image::ImageBatch;
use crate::models::cyclegan::Upsample;
use crate::models::{AnyGenerator, Direction};

/// One network per domain: the discriminators of A and of B (trained by one optimizer).
#[derive(Module, Debug)]
pub struct Pair<M> {
    pub a: M,
    pub b: M,
}

/// The batch of domain B is drawn apart from A's: a salt on the seed shuffles it on its own.
pub const DOMAIN_B: u64 = 0xB0B;

/// Step `step`'s batches of A and of B (indices into `data.a` and `data.b`): each domain shuffled
/// on its own, and never a name in both, so that no batch holds a true pair by construction. A
/// B image whose name is in A's batch gives its place to another B image whose name is not (the
/// first of a shuffle of B seeded by the step).
pub fn batches(seed: u64, batch: usize, step: usize, data: &UnpairedDomains) -> (Vec<usize>, Vec<usize>) {
    let a = batch_indices(seed, batch, step, data.a.len);
    let in_a: BTreeSet<&str> = a.iter().map(|&i| data.names_a[i].as_str()).collect();
    let mut b: Vec<usize> = batch_indices(seed ^ DOMAIN_B, batch, step, data.b.len).into_iter().filter(|&i| !in_a.contains(data.names_b[i].as_str())).collect();
    let wanted = batch.min(data.b.len);
    // the places given up go to the next images of a shuffle of all of B, seeded by the step
    for i in crate::latent::Rng::new(seed ^ DOMAIN_B ^ (step as u64).wrapping_mul(0x9E37_79B9)).permutation(data.b.len) {
        if b.len() == wanted {
            break;
        }
        if !in_a.contains(data.names_b[i].as_str()) && !b.contains(&i) {
            b.push(i);
        }
    }
    (a, b) // B's batch is smaller only when A's batch holds all but a few of B's names
}

/// Where the two domains come from (`train cyclegan|discogan|eval translate`).
#[derive(clap::Args)]
pub struct DataArgs {
    /// `emoji` (Google's style as A, Twitter's as B; run scripts/fetch-data.sh first) or a
    /// folder in the CycleGAN layout (trainA/ trainB/, optionally testA/ testB/).
    #[arg(long, conflicts_with_all = ["a", "b"])]
    pub data: Option<String>,
    /// Domain A's folder of PNG/JPEG images (with --b).
    #[arg(long, requires = "b")]
    pub a: Option<PathBuf>,
    /// Domain B's folder of PNG/JPEG images (with --a).
    #[arg(long, requires = "a")]
    pub b: Option<PathBuf>,
    /// Seeds which tenth of the names both domains share is held out for evaluation [0].
    #[arg(long)]
    pub held_out_seed: Option<u64>,
    /// How the held-out names are drawn: by-base (a name with its skin-tone siblings) or by-name
    /// (one by one) [training: by-base; measuring: the run's own, by-name for a bundle, as the
    /// bundles trained before the split by base were].
    #[arg(long, value_enum)]
    pub split: Option<Split>,
}

/// What `train cyclegan` and `train discogan` both take besides the run flags.
#[derive(clap::Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Image side in pixels.
    #[arg(long, default_value_t = 64)]
    pub res: usize,
    /// Evaluate on held-out pairs and keep the best generator every K steps (0: never).
    #[arg(long, default_value_t = 500)]
    pub eval_every: usize,
    /// How the generators upsample: nearest (×2 then a 3×3 conv: no checkerboard) or transposed
    /// (the papers' stride-2 transposed convs).
    #[arg(long, default_value = "nearest", value_parser = ["nearest", "transposed"])]
    pub upsample: String,
    /// What the discriminators' every image goes through (translation and cutout under ADA by
    /// default; no colour: the colours are what a translation must get right).
    #[command(flatten)]
    pub augment: super::augment::AugmentArgs,
}

impl TrainArgs {
    pub fn upsample(&self) -> Upsample {
        if self.upsample == "nearest" { Upsample::Nearest } else { Upsample::Transposed }
    }
}

impl DataArgs {
    pub fn source(&self) -> Result<UnpairedSource, String> {
        UnpairedSource::parse(self.data.as_deref(), self.a.as_deref(), self.b.as_deref())
    }
}

/// Opens both domains at `resolution`, saying how much there is and what was skipped.
pub fn open_domains(source: &UnpairedSource, resolution: usize, holdout: Holdout) -> Result<UnpairedDomains, String> {
    let d = unpaired::open(source, resolution, holdout.seed, holdout.split)?;
    for ds in [&d.a, &d.b, &d.test_a, &d.test_b] {
        super::report_skipped(ds);
    }
    let [a, b] = &d.domains;
    let held = match &d.pairs {
        Some(pairs) => format!("{} true pairs held out", pairs.len()),
        None => format!(
            "{} of {a} and {} of {b} held out, unpaired: with no true pairs to measure against, the run is not evaluated and keeps no best model",
            d.test_a.len, d.test_b.len
        ),
    };
    println!("{} images of {a} (A) and {} of {b} (B) at {resolution} px; {held} ({holdout})", d.a.len, d.b.len);
    Ok(d)
}


/// Columns of the translation page's sprite sheet.
pub const SPRITE_COLUMNS: usize = 8;

/// The translation page's picker: `count` held-out pairs that no run decision has seen (spread
/// over the reported ones), as one sheet — their A pictures in rows of [`SPRITE_COLUMNS`], then
/// their B pictures in as many rows — and their names.
pub fn sprite_sheet(data: &UnpairedDomains, count: usize) -> Result<(image::RgbaImage, Vec<String>), String> {
    let names = data.pairs.as_ref().ok_or("the held-out images are not pairs by name, and a sprite sheet shows both sides of each")?;
    let pool = reported(names.len());
    let n = count.min(pool.len()) / SPRITE_COLUMNS * SPRITE_COLUMNS;
    if n == 0 {
        return Err(format!("{} reported held-out pairs: a sheet needs at least {SPRITE_COLUMNS}", pool.len()));
    }
    let chosen: Vec<usize> = (0..n).map(|k| pool[k * pool.len() / n]).collect();
    let (a, b) = (data.test_a.subset(&chosen), data.test_b.subset(&chosen));
    let r = a.resolution;
    let both = ImageBatch { data: [a.images, b.images].concat(), n: 2 * n, h: r, w: r };
    Ok((both.grid(SPRITE_COLUMNS, 0), chosen.iter().map(|&i| names[i].clone()).collect()))
}

/// Held-out images of both domains; `paired` when `a[i]` and `b[i]` are the same picture.
pub struct HeldOut {
    pub a: ImageDataset,
    pub b: ImageDataset,
    pub paired: bool,
}

impl HeldOut {
    /// The watched part of `data`'s held-out images.
    pub fn watched(data: &UnpairedDomains) -> Self {
        HeldOut { a: data.test_a.subset(&watched(data.test_a.len)), b: data.test_b.subset(&watched(data.test_b.len)), paired: data.pairs.is_some() }
    }

    /// The reported part of `data`'s held-out images.
    pub fn reported(data: &UnpairedDomains) -> Self {
        HeldOut { a: data.test_a.subset(&reported(data.test_a.len)), b: data.test_b.subset(&reported(data.test_b.len)), paired: data.pairs.is_some() }
    }
}

/// What a translation family keeps of the data it will train on: checks the resolution and that
/// every step's batch of B can be drawn apart from A's ([`batches`]), names the model's domains
/// after the data's (`google`, `twitter`) and returns the watched pairs.
pub fn adopt(data: Option<&UnpairedDomains>, resolution: usize, batch: usize, domains: [&mut String; 2]) -> Result<Option<HeldOut>, String> {
    let Some(data) = data else { return Ok(None) };
    data.a.check_resolution(resolution)?;
    // at worst A's batch holds min(batch, |A|) of the names both domains share, and B gives up
    // each of its images of those names
    let names_a: BTreeSet<&str> = data.names_a.iter().map(String::as_str).collect();
    let shared = data.names_b.iter().filter(|n| names_a.contains(n.as_str())).count();
    if data.b.len <= batch.min(data.a.len).min(shared) {
        return Err(format!(
            "A and B share {shared} of their {} names and a batch of A can hold {} of them, which leaves no image of B to draw apart from it (a batch never holds a true pair): use two folders of different pictures, or a --batch below {}",
            data.b.len,
            batch.min(data.a.len),
            data.b.len.min(data.a.len)
        ));
    }
    for (name, given) in domains.into_iter().zip(&data.domains) {
        name.clone_from(given);
    }
    Ok(Some(HeldOut::watched(data)))
}

/// The sample grid: for the first eight held-out images of each domain, a row of
/// A | G(A) | F(G(A)) | true B | B | F(B) | G(F(B)) | true A (grey where the data has no pairs).
pub fn grid(model: &AnyGenerator, held: &HeldOut, device: &Device) -> Result<ImageBatch, String> {
    let n = held.a.len.min(held.b.len).min(8);
    let idx: Vec<usize> = (0..n).collect();
    let (a, b) = (held.a.batch(&idx, device), held.b.batch(&idx, device)); // [n, 3, R, R]
    let ab = model.translate(a.clone(), Direction::AToB)?;
    let aba = model.translate(ab.clone(), Direction::BToA)?;
    let ba = model.translate(b.clone(), Direction::BToA)?;
    let bab = model.translate(ba.clone(), Direction::AToB)?;
    let (true_b, true_a) = if held.paired { (b.clone(), a.clone()) } else { (b.zeros_like(), a.zeros_like()) };
    let columns = vec![a, ab, aba, true_b, b, ba, bab, true_a];
    let [_, c, h, w] = columns[0].dims();
    let rows = Tensor::stack::<5>(columns, 1).reshape([n * 8, c, h, w]); // [n·8, 3, R, R], row by row
    ImageBatch::from_data(rows.into_data())
}

/// Several translators on the same held-out pairs (`rows` of them, spread over `held`), a row
/// each: A, each model's G(A), the true B, then B, each model's F(B) (the true A is the row's first).
pub fn side_by_side(models: &[&AnyGenerator], held: &HeldOut, rows: usize, device: &Device) -> Result<ImageBatch, String> {
    if !held.paired {
        return Err("the held-out images are not pairs by name: there is no true B to show beside G(A)".into());
    }
    let len = held.a.len.min(held.b.len);
    let n = rows.min(len);
    let idx: Vec<usize> = (0..n).map(|k| k * len / n.max(1)).collect();
    let (a, b) = (held.a.batch(&idx, device), held.b.batch(&idx, device)); // [n, 3, R, R]
    let mut columns = vec![a.clone()];
    for model in models {
        columns.push(model.translate(a.clone(), Direction::AToB)?);
    }
    columns.push(b.clone());
    for model in models {
        columns.push(model.translate(b.clone(), Direction::BToA)?);
    }
    let (k, [_, c, h, w]) = (columns.len(), a.dims());
    let rows = Tensor::stack::<5>(columns, 1).reshape([n * k, c, h, w]); // [n·k, 3, R, R], row by row
    ImageBatch::from_data(rows.into_data())
}

/// How well a translator maps held-out pairs onto each other. Distances are per pixel on the
/// 0..1 scale; PSNR is in dB, averaged over images.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Scores {
    pub pairs: usize,
    pub domains: [String; 2],
    /// Mean |G(a) − b| and PSNR of G(a) against b.
    pub ab_l1: f64,
    pub ab_psnr: f64,
    /// Mean |F(b) − a| and PSNR of F(b) against a.
    pub ba_l1: f64,
    pub ba_psnr: f64,
    /// The copy-the-input baseline: |a − b| and PSNR of a against b.
    pub copy_l1: f64,
    pub copy_psnr: f64,
    /// Mean |F(G(a)) − a| and |G(F(b)) − b|.
    pub cycle_a: f64,
    pub cycle_b: f64,
    /// Power at high spatial frequencies (`fidelity::high_frequency_power`) of G(a) over that of
    /// the true b, and of F(b) over a's: above 2 a checkerboard, below ½ a blur (0: not measured).
    #[serde(default)]
    pub ab_high_frequency: f64,
    #[serde(default)]
    pub ba_high_frequency: f64,
}

impl Scores {
    /// Higher is better: minus the mean L1 of both directions.
    pub fn score(&self) -> f64 {
        -(self.ab_l1 + self.ba_l1) / 2.0
    }

    pub fn table(&self) -> String {
        let [a, b] = &self.domains;
        let row = |what: String, l1: f64, psnr: f64| format!("| {what:<28} | {l1:.4} | {psnr:6.2} dB |\n");
        let mut t = format!("{} held-out pairs ({a} ↔ {b})\n\n| translation | L1 ↓ | PSNR ↑ |\n| --- | --- | --- |\n", self.pairs);
        t += &row(format!("{a} → {b}: G(a) vs b"), self.ab_l1, self.ab_psnr);
        t += &row(format!("{b} → {a}: F(b) vs a"), self.ba_l1, self.ba_psnr);
        t += &row("copy the input: a vs b".into(), self.copy_l1, self.copy_psnr);
        t += &format!("\ncycle error: |F(G(a)) − a| {:.4}, |G(F(b)) − b| {:.4}\n", self.cycle_a, self.cycle_b);
        t + &format!(
            "high-frequency power, translated / true: {a} → {b} {:.2}×, {b} → {a} {:.2}× (goal between 0.5× and 2×)\n",
            self.ab_high_frequency, self.ba_high_frequency
        )
    }
}

/// Per image of `x` and `y` (`[B, 3, R, R]` in [-1, 1]): mean |x − y| and PSNR on the 0..1 scale.
fn distances(x: Tensor<4>, y: Tensor<4>) -> Vec<(f64, f64)> {
    let [n, ..] = x.dims();
    let d = (x - y) / 2.0; // 0..1 scale
    let l1 = crate::losses::abs(d.clone()).reshape([n as i64, -1]).mean_dim(1).into_data().convert::<f32>().try_to_vec::<f32>().expect("f32");
    let mse = d.powi_scalar(2).reshape([n as i64, -1]).mean_dim(1).into_data().convert::<f32>().try_to_vec::<f32>().expect("f32");
    l1.iter().zip(&mse).map(|(&l, &m)| (l as f64, -10.0 * (m as f64).max(1e-10).log10())).collect()
}

/// Scores `model` on held-out pairs (32 at a time).
pub fn evaluate(model: &AnyGenerator, held: &HeldOut, domains: &[String; 2], device: &Device) -> Result<Scores, String> {
    if !held.paired || held.a.len != held.b.len || held.a.len == 0 {
        return Err("no held-out pairs to measure against: the two domains share no image names".into());
    }
    // sums of (L1, PSNR) over images: G(a) vs b, F(b) vs a, a vs b, F(G(a)) vs a, G(F(b)) vs b
    let mut sums = [(0.0f64, 0.0f64); 5];
    // sums of high-frequency power: G(a), b, F(b), a
    let mut high = [0.0f64; 4];
    for chunk in (0..held.a.len).collect::<Vec<_>>().chunks(32) {
        let (a, b) = (held.a.batch(chunk, device), held.b.batch(chunk, device)); // [n, 3, R, R]
        let ab = model.translate(a.clone(), Direction::AToB)?;
        let ba = model.translate(b.clone(), Direction::BToA)?;
        let aba = model.translate(ab.clone(), Direction::BToA)?;
        let bab = model.translate(ba.clone(), Direction::AToB)?;
        for (sum, images) in high.iter_mut().zip([&ab, &b, &ba, &a]) {
            *sum += high_frequency_sum(images.clone());
        }
        let measured = [distances(ab, b.clone()), distances(ba, a.clone()), distances(a.clone(), b.clone()), distances(aba, a), distances(bab, b)];
        for (sum, per_image) in sums.iter_mut().zip(measured) {
            for (l1, psnr) in per_image {
                *sum = (sum.0 + l1, sum.1 + psnr);
            }
        }
    }
    let mean = sums.map(|(l1, psnr)| (l1 / held.a.len as f64, psnr / held.a.len as f64));
    Ok(Scores {
        pairs: held.a.len,
        domains: domains.clone(),
        ab_l1: mean[0].0,
        ab_psnr: mean[0].1,
        ba_l1: mean[1].0,
        ba_psnr: mean[1].1,
        copy_l1: mean[2].0,
        copy_psnr: mean[2].1,
        cycle_a: mean[3].0,
        cycle_b: mean[4].0,
        ab_high_frequency: high[0] / high[1],
        ba_high_frequency: high[2] / high[3],
    })
}

/// The sum over `images` `[n, 3, R, R]` of their high-frequency power.
fn high_frequency_sum(images: Tensor<4>) -> f64 {
    let [n, _, r, _] = images.dims();
    let values = images.into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 images");
    (0..n).map(|i| super::fidelity::high_frequency_power(&values[i * 3 * r * r..(i + 1) * 3 * r * r], r)).sum()
}

/// The periodic evaluation of a translation run: every `every` of its `steps` and at the last,
/// on the watched pairs; nothing when the data has no pairs. `model` is exported only then.
pub fn evaluation(model: impl FnOnce() -> AnyGenerator, held: Option<&HeldOut>, domains: &[String; 2], run: &super::RunState, (every, steps): (usize, usize)) -> Result<Option<Evaluation>, String> {
    let Some(held) = held.filter(|h| h.paired) else { return Ok(None) };
    let step = run.state.step;
    if every == 0 || (step % every != 0 && step != steps) {
        return Ok(None);
    }
    let scores = evaluate(&model(), held, domains, &run.device.clone().inner())?;
    let serde_json::Value::Object(figures) = serde_json::to_value(&scores).expect("scores serialise") else { unreachable!("a struct") };
    let [a, b] = domains;
    let summary = format!(
        "held-out L1 {a}→{b} {:.4}, {b}→{a} {:.4} (copying the input: {:.4})",
        scores.ab_l1, scores.ba_l1, scores.copy_l1
    );
    Ok(Some(Evaluation { score: scores.score(), figures, summary }))
}

/// What a translation bundle's manifest says of its run.
pub fn provenance(source: &UnpairedSource, holdout: Holdout, loss: serde_json::Value, notes: String) -> Provenance {
    Provenance { data: format!("{} ({holdout})", source.describe()), loss, notes, ..Provenance::default() }
}

/// The data `train eval translate` measures on and its held-out names: the flags where given,
/// else the run's own (`config.json` of a run directory, by name when it predates `split`); a
/// bundle needs the data flags, and holds out by the training default seed (0) and the split its
/// provenance names (by name when it names none, as bundles trained before the split by base),
/// unless `--held-out-seed` and `--split` say otherwise.
pub fn eval_data(source: &std::path::Path, args: &DataArgs) -> Result<(UnpairedSource, Holdout), String> {
    let config = source.join("config.json");
    let run: Option<serde_json::Value> = std::fs::read(&config).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let seed = args.held_out_seed.or_else(|| run.as_ref().and_then(|json| json["held_out_seed"].as_u64())).unwrap_or(0);
    // a run's config.json names its split; a bundle's provenance says "(held-out seed S, by base)"
    let bundle_split = std::fs::read(source.join("manifest.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|m| m["provenance"]["data"].as_str().map(|d| if d.contains(", by base)") { Split::ByBase } else { Split::ByName }));
    let saved_split = run.as_ref().and_then(|json| serde_json::from_value(json["split"].clone()).ok()).or(bundle_split);
    let holdout = Holdout { seed, split: args.split.or(saved_split).unwrap_or(Split::ByName) };
    if args.data.is_some() || args.a.is_some() {
        return Ok((args.source()?, holdout));
    }
    let json = run.ok_or_else(|| format!("{} is a bundle: say which data to measure on with --data emoji, --data DIR or --a DIR --b DIR", source.display()))?;
    let data = serde_json::from_value(json["data"].clone()).map_err(|e| format!("{} names no translation data ({e})", config.display()))?;
    Ok((data, holdout))
}
