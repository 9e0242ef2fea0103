//! The linear probe of the text features: what they hold of each attribute.

use burn::prelude::*;
use serde::Serialize;

use super::eval::{EvalReport, mentions};
use crate::text::{self, TextEncoder, Vocabulary};

/// Flowers whose captions fit the text probe (training split) and are read by it (held out).
pub const PROBE_FLOWERS: (usize, usize) = (2000, 200);

/// What the text feature holds, read from held-out captions of the procedural flowers: what a
/// linear probe fitted on training captions reads back, and how close captions that differ in
/// one attribute land.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ProbeReport {
    /// (correct, out of) on held-out captions: petal colour (all), exact petal count (captions
    /// that state it), centre colour (captions that mention the centre).
    pub colour: (usize, usize),
    pub count: (usize, usize),
    pub centre: (usize, usize),
    /// Mean cosine between a held-out caption's feature and the same caption's with only the
    /// number word changed (to each other count), and with only the petal colour changed (to
    /// each other colour).
    pub count_variants: f64,
    pub colour_variants: f64,
}

impl ProbeReport {
    pub fn table(&self) -> String {
        let pct = |(a, b): (usize, usize)| format!("{:.1}% ({a}/{b})", 100.0 * EvalReport::rate((a, b)));
        format!(
            "text feature, linear probe on held-out captions: petal colour {}, petal count {}, centre colour {}\n\
             mean cosine to the same caption with only the number changed {:.3}, with only the petal colour changed {:.3}\n",
            pct(self.colour),
            pct(self.count),
            pct(self.centre),
            self.count_variants,
            self.colour_variants
        )
    }
}

/// Probes `encoder`: a ridge-regression classifier per attribute on the features of the captions
/// of the first `train` flowers of the training split, read on the captions of the first `test`
/// held-out flowers (with 200, the 1,200 captions of `train eval`).
pub fn probe_text(encoder: &TextEncoder, vocabulary: &Vocabulary, train: usize, test: usize, device: &Device) -> ProbeReport {
    use crate::data::flowers::{self, Attributes, NUMBER_WORDS, PETAL_COLOURS};
    let embed = |captions: &[String]| -> Vec<Vec<f32>> {
        let mut out = Vec::with_capacity(captions.len());
        for chunk in captions.chunks(512) {
            let ids: Vec<Vec<usize>> = chunk.iter().map(|c| vocabulary.tokenize(c).ids).collect();
            let (ids, pad) = text::batch_ids(&ids, device);
            let f = encoder.forward(ids, pad).into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 features");
            out.extend(f.chunks(f.len() / chunk.len()).map(<[f32]>::to_vec));
        }
        out
    };
    // (caption, attributes, count stated, centre stated) of each split
    let split = |is_test: bool, n: usize| -> Vec<(String, Attributes, bool, bool)> {
        (0..).filter(|&i| Attributes::is_test(i) == is_test).take(n).flat_map(|i| {
            let a = Attributes::of(i);
            flowers::captions(i).into_iter().map(move |c| {
                let (centre, count) = mentions(&c, &a);
                (c, a.clone(), count, centre)
            })
        })
        .collect()
    };
    let (fit, read) = (split(false, train), split(true, test));
    let (fit_x, read_x) = (embed(&fit.iter().map(|r| r.0.clone()).collect::<Vec<_>>()), embed(&read.iter().map(|r| r.0.clone()).collect::<Vec<_>>()));
    let accuracy = |label: &dyn Fn(&(String, Attributes, bool, bool)) -> Option<usize>| {
        let rows: Vec<(&Vec<f32>, usize)> = fit.iter().zip(&fit_x).filter_map(|(r, x)| Some((x, label(r)?))).collect();
        let w = ridge(&rows);
        let hits = read.iter().zip(&read_x).filter_map(|(r, x)| Some(argmax_class(&w, x) == label(r)?)).collect::<Vec<bool>>();
        (hits.iter().filter(|&&h| h).count(), hits.len())
    };
    let mut report = ProbeReport {
        colour: accuracy(&|r| Some(r.1.colour)),
        count: accuracy(&|r| r.2.then_some(r.1.petals)),
        centre: accuracy(&|r| r.3.then_some(r.1.centre)),
        ..Default::default()
    };
    // one-attribute variants of each held-out caption
    let bare = |w: &str| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
    // the one word of `caption` in `from` changed to each word of `to` not in it (none when the
    // word is absent or twice there: a yellow centre of a yellow flower is not the petals)
    let variants = |caption: &str, from: &[&str], to: &[&str]| -> Vec<String> {
        let words: Vec<&str> = caption.split(' ').collect();
        let at: Vec<usize> = (0..words.len()).filter(|&i| from.contains(&bare(words[i]).as_str())).collect();
        let &[i] = at.as_slice() else { return Vec::new() };
        to.iter()
            .filter(|&&t| !from.contains(&t))
            .map(|t| {
                let mut w: Vec<String> = words.iter().map(|w| w.to_string()).collect();
                w[i] = words[i].replace(&bare(words[i]), t);
                w.join(" ")
            })
            .collect()
    };
    let mean_cosine = |pairs: Vec<(usize, String)>| -> f64 {
        let x = embed(&pairs.iter().map(|p| p.1.clone()).collect::<Vec<_>>());
        let cos: f64 = pairs.iter().zip(&x).map(|((k, _), v)| read_x[*k].iter().zip(v).map(|(a, b)| (a * b) as f64).sum::<f64>()).sum();
        cos / pairs.len().max(1) as f64 // features are unit vectors
    };
    let numbers: Vec<&str> = NUMBER_WORDS[flowers::MIN_PETALS..=flowers::MAX_PETALS].to_vec();
    let colours: Vec<&str> = PETAL_COLOURS.iter().map(|c| c.name()).collect();
    let count_pairs = read.iter().enumerate().filter(|(_, r)| r.2).flat_map(|(k, r)| variants(&r.0, &[NUMBER_WORDS[r.1.petals]], &numbers).into_iter().map(move |v| (k, v))).collect();
    let colour_pairs = read.iter().enumerate().flat_map(|(k, r)| variants(&r.0, PETAL_COLOURS[r.1.colour].words, &colours).into_iter().map(move |v| (k, v))).collect();
    report.count_variants = mean_cosine(count_pairs);
    report.colour_variants = mean_cosine(colour_pairs);
    report
}

/// Ridge regression of one-hot labels on features with a bias: weights `[(D + 1) × K]`, and the
/// labels seen (the only ones the probe may answer).
fn ridge(rows: &[(&Vec<f32>, usize)]) -> (Vec<Vec<f64>>, Vec<usize>) {
    assert!(!rows.is_empty(), "a probe needs captions to fit");
    let d = rows[0].0.len() + 1;
    let k = rows.iter().map(|r| r.1).max().unwrap_or(0) + 1;
    let mut a = vec![vec![0f64; d]; d];
    let mut b = vec![vec![0f64; k]; d];
    for (x, label) in rows {
        let x: Vec<f64> = x.iter().map(|&v| v as f64).chain([1.0]).collect();
        for i in 0..d {
            for j in 0..d {
                a[i][j] += x[i] * x[j];
            }
            b[i][*label] += x[i];
        }
    }
    for (i, row) in a.iter_mut().enumerate() {
        row[i] += 1e-3 * rows.len() as f64;
    }
    // Gauss–Jordan with partial pivoting: a · w = b
    for col in 0..d {
        let pivot = (col..d).max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs())).expect("rows");
        a.swap(col, pivot);
        b.swap(col, pivot);
        let p = a[col][col];
        for r in 0..d {
            if r != col && a[r][col] != 0.0 {
                let f = a[r][col] / p;
                for c in col..d {
                    a[r][c] -= f * a[col][c];
                }
                for c in 0..k {
                    b[r][c] -= f * b[col][c];
                }
            }
        }
    }
    let mut seen: Vec<usize> = rows.iter().map(|r| r.1).collect();
    seen.sort_unstable();
    seen.dedup();
    ((0..d).map(|i| b[i].iter().map(|v| v / a[i][i]).collect()).collect(), seen)
}

/// The seen label with the highest score.
fn argmax_class((w, seen): &(Vec<Vec<f64>>, Vec<usize>), x: &[f32]) -> usize {
    let score = |c: usize| x.iter().enumerate().map(|(i, &v)| v as f64 * w[i][c]).sum::<f64>() + w[x.len()][c];
    seen.iter().copied().max_by(|&p, &q| score(p).total_cmp(&score(q))).expect("classes")
}
