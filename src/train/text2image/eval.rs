//! The attribute evaluation on held-out captions of procedural flowers: its report and table,
//! and the score and point that pick and record a run's best generator.

use std::path::Path;

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::high_frequency_power;
use crate::data::captioned::CaptionedDataset;
use crate::image::ImageBatch;
use crate::latent::latents_tensor;
use crate::models::text2image::TextToImage;
use crate::text::Vocabulary;

/// How many held-out flowers the periodic evaluation draws (6 captions each).
pub const EVAL_FLOWERS: usize = 100;

/// Attribute accuracy of a text-to-image model on held-out captions of procedural flowers.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct EvalReport {
    pub captions: usize,
    pub images: usize,
    /// (correct, out of) for generated flowers and for the real test images (the ceiling).
    pub colour: [(usize, usize); 2],
    pub centre: [(usize, usize); 2],
    pub count_exact: [(usize, usize); 2],
    pub count_within_one: [(usize, usize); 2],
    /// Petal colour of generated flowers per named colour: (name, correct, out of).
    pub colour_by_name: Vec<(String, usize, usize)>,
    /// Mean [`high_frequency_power`] of the generated flowers and of the real test images.
    pub high_frequency: [f64; 2],
}

impl EvalReport {
    /// The report as a table, with the goals of the text-to-flower page.
    pub fn table(&self) -> String {
        let pct = |(a, b): (usize, usize)| if b == 0 { "—".to_string() } else { format!("{:5.1}% ({a}/{b})", 100.0 * a as f64 / b as f64) };
        let n_colours = crate::data::flowers::PETAL_COLOURS.len() as f64;
        let n_centres = crate::data::flowers::CENTRE_COLOURS.len() as f64;
        let rows = [
            ("petal colour", self.colour, format!("{:.1}%", 100.0 / n_colours), "≥ 90%"),
            ("centre colour", self.centre, format!("{:.1}%", 100.0 / n_centres), ""),
            ("petal count, exact", self.count_exact, "10.0%".into(), ""),
            ("petal count, ±1", self.count_within_one, "28.0%".into(), "≥ 70%"),
        ];
        let mut out = format!(
            "{} held-out captions of {} test flowers, one generated flower per caption\n{:<20} {:>20} {:>20} {:>8} {:>6}\n",
            self.captions, self.images, "attribute", "generated", "real (ceiling)", "chance", "goal"
        );
        for (name, [g, r], chance, goal) in rows {
            out += &format!("{name:<20} {:>20} {:>20} {chance:>8} {goal:>6}\n", pct(g), pct(r));
        }
        let by_name: Vec<String> = self.colour_by_name.iter().map(|(n, a, b)| format!("{n} {}", pct((*a, *b)).trim())).collect();
        out += &format!("generated petal colour by name: {}\n", by_name.join(", "));
        let [g, r] = self.high_frequency;
        out += &format!("high-frequency power: generated {g:.3e}, real {r:.3e}: {:.2}× (goal ≤ 2×)\n", g / r.max(1e-30));
        out
    }

    pub fn rate(pair: (usize, usize)) -> f64 {
        if pair.1 == 0 { 0.0 } else { pair.0 as f64 / pair.1 as f64 }
    }
}

/// Which attributes a caption names: the centre when it mentions one, the count when it says
/// the number; the petal colour always.
pub(super) fn mentions(caption: &str, a: &crate::data::flowers::Attributes) -> (bool, bool) {
    let words: Vec<&str> = caption.split(|c: char| !c.is_alphanumeric()).collect();
    let centre = words.iter().any(|w| ["center", "centre", "middle", "stamen"].contains(w));
    let count = words.contains(&crate::data::flowers::NUMBER_WORDS[a.petals]);
    (centre, count)
}

/// Generates one flower per held-out caption of `test` (procedural flowers with attributes;
/// noise seed = the caption's number) and measures it against the caption, beside the same
/// measure of the real image.
pub fn evaluate(model: &TextToImage, vocabulary: &Vocabulary, noise: usize, test: &CaptionedDataset, device: &Device) -> Result<EvalReport, String> {
    use crate::data::flowers::measure;
    let attributes = test.attributes.as_ref().ok_or("evaluation needs the procedural flowers (`flowers`): other data has no attribute labels")?;
    let mut jobs: Vec<(usize, String)> = Vec::new();
    for (i, caps) in test.captions.iter().enumerate() {
        jobs.extend(caps.iter().map(|c| (i, c.clone())));
    }
    let mut report = EvalReport { captions: jobs.len(), images: test.images.len, ..Default::default() };
    report.colour_by_name = crate::data::flowers::PETAL_COLOURS.iter().map(|c| (c.name().to_string(), 0, 0)).collect();
    let res = test.images.resolution;
    let size = 3 * res * res;
    let tally = |pair: &mut (usize, usize), ok: bool| {
        pair.0 += ok as usize;
        pair.1 += 1;
    };
    for (n, chunk) in jobs.chunks(64).enumerate() {
        let prompts: Vec<&str> = chunk.iter().map(|(_, c)| c.as_str()).collect();
        let (_, text) = model.embed_prompts(vocabulary, &prompts, device);
        let seeds: Vec<u64> = (0..chunk.len()).map(|k| (n * 64 + k) as u64).collect();
        let images = ImageBatch::from_data(model.forward(text, latents_tensor(&seeds, noise, device)).into_data())?;
        let gsize = 3 * images.h * images.w;
        for (k, (i, caption)) in chunk.iter().enumerate() {
            let a = &attributes[*i];
            report.high_frequency[0] += high_frequency_power(&images.data[k * gsize..(k + 1) * gsize], images.h) / report.captions as f64;
            let (centre_named, count_named) = mentions(caption, a);
            let generated = measure(&images.data[k * gsize..(k + 1) * gsize], images.h);
            let real = measure(&test.images.images[i * size..(i + 1) * size], res);
            for (slot, m) in [generated, real].into_iter().enumerate() {
                tally(&mut report.colour[slot], m.colour == Some(a.colour));
                if slot == 0 {
                    let entry = &mut report.colour_by_name[a.colour];
                    (entry.1, entry.2) = (entry.1 + (m.colour == Some(a.colour)) as usize, entry.2 + 1);
                }
                if centre_named {
                    tally(&mut report.centre[slot], m.centre == a.centre);
                }
                if count_named {
                    tally(&mut report.count_exact[slot], m.petals == a.petals);
                    tally(&mut report.count_within_one[slot], m.petals.abs_diff(a.petals) <= 1);
                }
            }
        }
    }
    let n = test.images.len;
    report.high_frequency[1] = (0..n).map(|i| high_frequency_power(&test.images.images[i * size..(i + 1) * size], res)).sum::<f64>() / n.max(1) as f64;
    Ok(report)
}

/// The score that picks the best generator: petal-colour accuracy + count-within-one accuracy.
pub fn score(report: &EvalReport) -> f64 {
    EvalReport::rate(report.colour[0]) + EvalReport::rate(report.count_within_one[0])
}

/// What `RUN/best/eval.json` and each line of `RUN/eval.jsonl` hold.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EvalPoint {
    pub step: usize,
    pub score: f64,
    pub colour: f64,
    pub count_within_one: f64,
    pub centre: f64,
}

impl EvalPoint {
    pub fn new(step: usize, report: &EvalReport) -> Self {
        Self {
            step,
            score: score(report),
            colour: EvalReport::rate(report.colour[0]),
            count_within_one: EvalReport::rate(report.count_within_one[0]),
            centre: EvalReport::rate(report.centre[0]),
        }
    }
}

/// The best evaluation a run kept, if any (`RUN/best/eval.json`).
pub fn best_point(run: &Path) -> Option<EvalPoint> {
    let best = crate::files::read_swapped_dir(&run.join("best"))?;
    serde_json::from_slice(&std::fs::read(best.join("eval.json")).ok()?).ok()
}
