//! PixelRNN: the masks (no output sees its own or a later pixel, for every layer type), skew and
//! unskew, the LSTM update, the likelihood summing to one over every image, the Row LSTM's and
//! the Diagonal BiLSTM's incremental samplers against full passes, training on MNIST, exact
//! resume, and `train pixelrnn|eval pixelrnn|export` end to end.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;

use std::path::Path;

use ganzoo::burn::prelude::*;
use ganzoo::data::likelihood::{Depth, LikelihoodImages};
use ganzoo::latent::Rng;
use ganzoo::losses::pixel_nll;
use ganzoo::models::pixelrnn::{self, Arch, PixelRnnConfig};
use ganzoo::train::metrics;
use ganzoo::train::pixelrnn::{PixelRnnTrainConfig, Trainer};

const ARCHS: [Arch; 3] = [Arch::RowLstm, Arch::DiagonalBilstm, Arch::Pixelcnn];

fn tiny(arch: Arch, resolution: usize, colours: usize, levels: usize) -> PixelRnnConfig {
    PixelRnnConfig::new().with_arch(arch).with_resolution(resolution).with_colours(colours).with_levels(levels).with_layers(2).with_hidden(6).with_output_hidden(6)
}

#[test]
fn no_output_sees_its_own_pixel_or_a_later_one() {
    let _rng = one_at_a_time();
    let device = Device::flex();
    let s = 5;
    for arch in ARCHS {
        let model = tiny(arch, s, 1, 2).init(&device);
        let mut rng = Rng::new(1);
        let base: Vec<f32> = (0..s * s).map(|_| rng.below(2) as f32).collect();
        let logits = |pixels: &[f32]| values(model.forward(Tensor::from_data(TensorData::new(pixels.to_vec(), [1, 1, s, s]), &device)));
        let before = logits(&base);
        let mut moved_later = 0;
        for i in 0..s * s {
            let mut flipped = base.clone();
            flipped[i] = 1.0 - flipped[i];
            let after = logits(&flipped);
            for j in 0..s * s {
                let delta = (after[j] - before[j]).abs();
                if j <= i {
                    assert!(delta < 1e-6, "{arch:?}: flipping pixel {i} moved the logit of pixel {j} by {delta}");
                } else if delta > 1e-5 {
                    moved_later += 1;
                }
            }
        }
        // the receptive fields reach later pixels: most (i, j > i) pairs for the Diagonal BiLSTM,
        // fewer for the Row LSTM's triangle and the PixelCNN's blind spot
        println!("{arch:?}: {moved_later} of {} later logits moved", s * s * (s * s - 1) / 2);
        assert!(moved_later > 60, "{arch:?}: only {moved_later} later logits depend on earlier pixels");
    }
    // the Diagonal BiLSTM sees the whole past: the last pixel of the first row moves the logit of
    // the first pixel of the last row, through the right-to-left direction
    let s = 6;
    let model = tiny(Arch::DiagonalBilstm, s, 1, 2).init(&device);
    let logit = |corner: f32| {
        let mut pixels = vec![0.0f32; s * s];
        pixels[s - 1] = corner;
        values(model.forward(Tensor::from_data(TensorData::new(pixels, [1, 1, s, s]), &device)))[(s - 1) * s]
    };
    assert!((logit(1.0) - logit(0.0)).abs() > 1e-6, "pixel (0, {}) does not reach pixel ({}, 0)", s - 1, s - 1);

    // colours: at one pixel, R sees none of its own pixel's colours, G sees R, B sees R and G (a
    // dependence shows on some of four random images: on one, a ReLU may cut the path)
    for arch in ARCHS {
        let model = tiny(arch, 3, 3, 256).with_hidden(24).with_output_hidden(24).init(&device);
        let logits = |pixels: &[f32]| values(model.forward(Tensor::from_data(TensorData::new(pixels.to_vec(), [1, 3, 3, 3]), &device))); // [1, 3, 256, 3, 3]
        let at = |v: &[f32], colour: usize| -> Vec<f32> { (0..256).map(|l| v[(colour * 256 + l) * 9 + 4]).collect() }; // the centre pixel
        let mut rng = Rng::new(5);
        let mut moved = [[0.0f32; 3]; 3]; // [changed colour][logits of colour]: the largest |Δ|
        for _ in 0..4 {
            let base: Vec<f32> = (0..27).map(|_| rng.below(256) as f32).collect();
            let before = logits(&base);
            for (colour, row) in moved.iter_mut().enumerate() {
                let mut changed = base.clone();
                changed[colour * 9 + 4] = 255.0 - changed[colour * 9 + 4];
                let after = logits(&changed);
                for (target, m) in row.iter_mut().enumerate() {
                    *m = at(&after, target).iter().zip(at(&before, target)).map(|(a, b)| (a - b).abs()).fold(*m, f32::max);
                }
            }
        }
        for (colour, row) in moved.iter().enumerate() {
            for (target, m) in row.iter().enumerate() {
                assert_eq!(*m > 1e-5, target > colour, "{arch:?}: changing colour {colour} moved colour {target}'s logits by up to {m}");
            }
        }
    }
}

#[test]
fn skew_shifts_row_r_by_r_and_unskew_undoes_it() {
    let device = Device::flex();
    let x = Tensor::<4>::from_floats([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]], &device);
    let skewed = pixelrnn::skew(x.clone());
    assert_eq!(values(skewed.clone()), vec![1.0, 2.0, 3.0, 0.0, 0.0, 4.0, 5.0, 6.0]);
    assert_eq!(values(pixelrnn::unskew(skewed, 3)), values(x));

    // a batch of several channels, taller than wide, against the definition entry by entry
    let [b, c, h, w] = [2, 3, 5, 4];
    let x: Vec<f32> = (0..b * c * h * w).map(|i| i as f32 + 1.0).collect();
    let skewed = values(pixelrnn::skew(Tensor::<4>::from_data(TensorData::new(x.clone(), [b, c, h, w]), &device)));
    let sw = w + h - 1;
    for n in 0..b * c {
        for r in 0..h {
            for j in 0..sw {
                let want = if j >= r && j - r < w { x[(n * h + r) * w + j - r] } else { 0.0 };
                assert_eq!(skewed[(n * h + r) * sw + j], want, "plane {n}, row {r}, column {j}");
            }
        }
    }
    let back = pixelrnn::unskew(Tensor::<4>::from_data(TensorData::new(skewed, [b, c, h, sw]), &device), w);
    assert_eq!(values(back), x);
}

#[test]
fn an_lstm_step_matches_hand_computation() {
    let device = Device::flex();
    // gates (input, forget, output, candidate) for one unit, the previous cell 0.5
    let gates = Tensor::<4>::from_floats([[[[0.0]], [[1.0]], [[-1.0]], [[0.5]]]], &device);
    let (h, c) = pixelrnn::lstm_cell(gates, Tensor::from_floats([[[[0.5]]]], &device));
    let sig = |x: f32| 1.0 / (1.0 + (-x).exp());
    let c_hand = sig(1.0) * 0.5 + sig(0.0) * 0.5f32.tanh();
    let h_hand = sig(-1.0) * c_hand.tanh();
    assert!((values(c)[0] - c_hand).abs() < 1e-6 && (values(h)[0] - h_hand).abs() < 1e-6);
}

#[test]
fn the_likelihood_of_every_image_sums_to_one() {
    let _rng = one_at_a_time();
    let device = Device::flex();
    // all 2⁹ binary 3×3 images: Σ p(x) = 1 exactly when every conditional sees only the past
    let images: Vec<f32> = (0..512u32).flat_map(|n| (0..9).map(move |i| ((n >> i) & 1) as f32)).collect();
    let x = Tensor::<4>::from_data(TensorData::new(images, [512, 1, 3, 3]), &device);
    for arch in ARCHS {
        let model = tiny(arch, 3, 1, 2).init(&device);
        let nll = values(pixel_nll(model.forward(x.clone()), x.clone()));
        let total: f64 = nll.iter().map(|n| (-*n as f64).exp()).sum();
        println!("{arch:?}: Σ p(x) = {total:.6}");
        assert!((total - 1.0).abs() < 1e-4, "{arch:?}: Σ p(x) = {total}");
    }
    // 8-bit: one 2×2 grey image, its NLL by hand from the softmax of each pixel's 256 logits
    let model = tiny(Arch::Pixelcnn, 2, 1, 256).init(&device);
    let x = Tensor::<4>::from_floats([[[[0.0, 255.0], [17.0, 128.0]]]], &device);
    let logits = model.forward(x.clone()); // [1, 1, 256, 2, 2]
    let l = values(logits.clone());
    let by_hand: f64 = [0usize, 255, 17, 128].iter().enumerate().map(|(p, &v)| {
        let row: Vec<f64> = (0..256).map(|k| l[k * 4 + p] as f64).collect();
        let max = row.iter().cloned().fold(f64::MIN, f64::max);
        let log_z = max + row.iter().map(|r| (r - max).exp()).sum::<f64>().ln();
        log_z - row[v]
    }).sum();
    let nll = values(pixel_nll(logits, x))[0] as f64;
    assert!((nll - by_hand).abs() < 1e-3, "{nll} vs {by_hand}");
}

#[test]
fn the_row_lstm_row_by_row_gives_the_full_passes_logits_and_a_seed_names_a_sample() {
    let _rng = one_at_a_time();
    let device = Device::flex();
    let s = 6;
    let model = tiny(Arch::RowLstm, s, 1, 2).init(&device);
    let mut rng = Rng::new(3);
    let pixels: Vec<f32> = (0..2 * s * s).map(|_| rng.below(2) as f32).collect();
    let x = Tensor::<4>::from_data(TensorData::new(pixels, [2, 1, s, s]), &device);
    let full = values(model.forward(x.clone())); // [2, 1, 1, S, S]
    let mut above = model.first_row_states(2, s, &device);
    let mut worst = 0.0f32;
    for r in 0..s {
        let (row, states) = model.row_logits(x.clone(), r, &above);
        let row = values(row); // [2, 1, 1, 1, S]
        for n in 0..2 {
            for c in 0..s {
                worst = worst.max((row[n * s + c] - full[(n * s + r) * s + c]).abs());
            }
        }
        above = states;
    }
    println!("row by row vs the full pass: max |Δ logit| {worst:.1e}");
    assert!(worst < 1e-5, "{worst}");

    // a seed's sample does not depend on what else is in the batch; a completion keeps the top
    let one = values(model.complete(Tensor::zeros([1, 1, s, s], &device), 0, &mut [Rng::new(7)]));
    let two = values(model.complete(Tensor::zeros([2, 1, s, s], &device), 0, &mut [Rng::new(9), Rng::new(7)]));
    assert_eq!(one, two[s * s..].to_vec());
    let top = values(x.clone())[..s * s].to_vec();
    let completed = values(model.complete(x.slice(s![0..1]), 3 * s, &mut [Rng::new(1)]));
    assert_eq!(completed[..3 * s], top[..3 * s]);
}

#[test]
fn the_cell_sampler_draws_what_the_full_passes_draw_for_every_architecture() {
    let _rng = one_at_a_time();
    let device = Device::flex();
    let mut rng = Rng::new(21);
    for arch in ARCHS {
        // the logits cell by cell are the full pass's: binary grey 5×5, 8-bit RGB 4×4
        for (s, colours, levels) in [(5, 1, 2), (4, 3, 256)] {
            let model = tiny(arch, s, colours, levels).init(&device);
            let image: Vec<f32> = (0..colours * s * s).map(|_| rng.below(levels) as f32).collect();
            let cells = pixelrnn::CellSampler::new(&model).logits(&image, s);
            let full = values(model.forward(Tensor::from_data(TensorData::new(image, [1, colours, s, s]), &device)));
            assert_eq!(cells.len(), full.len());
            let worst = cells.iter().zip(&full).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            println!("{arch:?}, {colours} colours × {levels} levels: max |cells − full pass| logit {worst:.1e}");
            assert!(worst < 5e-7, "{arch:?}, {colours} × {levels}: {worst} (measured ≤ 6e-8)");
        }

        // and the draws: two binary 5×5 images, sampled and completed; then 8-bit RGB 3×3
        let model = tiny(arch, 5, 1, 2).init(&device);
        let rngs = || [Rng::new(11), Rng::new(12)];
        let start = Tensor::<4>::from_data(TensorData::new((0..50).map(|i| (i % 3 == 0) as u8 as f32).collect::<Vec<_>>(), [2, 1, 5, 5]), &device);
        for known in [0, 7] {
            let by_cells = values(model.complete(start.clone(), known, &mut rngs()));
            let by_passes = values(model.complete_by_passes(start.clone(), known, &mut rngs()));
            assert_eq!(by_cells, by_passes, "{arch:?}, known {known}");
            let given = values(start.clone());
            for n in 0..2 {
                assert_eq!(by_cells[n * 25..n * 25 + known], given[n * 25..n * 25 + known], "image {n} keeps its {known} pixels");
            }
        }
        let model = tiny(arch, 3, 3, 256).init(&device);
        let zeros = Tensor::<4>::zeros([1, 3, 3, 3], &device);
        let by_cells = values(model.complete(zeros.clone(), 0, &mut [Rng::new(5)]));
        assert_eq!(by_cells, values(model.complete_by_passes(zeros, 0, &mut [Rng::new(5)])), "{arch:?}, RGB");
        assert!(by_cells.iter().map(|v| *v as u32).collect::<std::collections::BTreeSet<_>>().len() > 5, "{arch:?}: {by_cells:?}");
    }
}

/// The page's steps: `advance` stops where it is told, mid-row too, and ends where `complete` does.
#[test]
fn a_completion_drawn_a_few_pixels_at_a_time_is_the_one_drawn_at_once() {
    let _rng = one_at_a_time();
    let device = Device::flex();
    let s = 6;
    let model = tiny(Arch::DiagonalBilstm, s, 1, 2).init(&device);
    let sampler = pixelrnn::CellSampler::new(&model);
    let top: Vec<f32> = (0..s * s).map(|i| ((i / 4) % 2) as f32).collect();
    let at_once = sampler.complete(&top, s, 2 * s, &mut Rng::new(3));
    let mut job = sampler.start(&top, s, 2 * s, Rng::new(3));
    let mut seen = Vec::new();
    while !job.finished() {
        sampler.advance(&mut job, 5); // steps that end mid-row
        seen.push(job.done());
    }
    assert_eq!(seen, vec![5, 10, 15, 20, 25, 30, 35, 36]);
    assert_eq!(job.image, at_once);
    assert_eq!(at_once[..2 * s], top[..2 * s]);
    assert_ne!(at_once[2 * s..], top[2 * s..], "the rest is drawn, not kept");
}

fn tiny_run(arch: Arch, steps: usize) -> PixelRnnTrainConfig {
    let mut c = PixelRnnTrainConfig::new(tiny(arch, 28, 1, 2).with_hidden(8), "mnist".into(), Depth::Binary);
    (c.run.steps, c.run.batch, c.run.sample_every, c.run.checkpoint_every, c.eval_every, c.run.lr) = (steps, 16, 0, 0, 0, 3e-3);
    c
}

#[test]
fn a_short_run_lowers_the_held_out_nll_and_resumes_exactly() {
    let _rng = one_at_a_time();
    let data = LikelihoodImages::open("mnist", None).expect("run scripts/fetch-data.sh: MNIST is test data");
    let device = Device::flex();
    let ids: Vec<usize> = (0..200).collect();
    let tmp = tempfile::tempdir().unwrap();
    let mut t = Trainer::open(tiny_run(Arch::Pixelcnn, 60), &tmp.path().join("run"), false, &data).unwrap();
    let before = ganzoo::train::pixelrnn::likelihood(&t.family.model.valid(), &data, &ids, &device).nats;
    t.train(&data, |_| {}).unwrap();
    let after = ganzoo::train::pixelrnn::likelihood(&t.family.model.valid(), &data, &ids, &device).nats;
    println!("held-out NLL: {before:.1} → {after:.1} nats after 60 steps");
    // measured: 764 → 571
    assert!(after < before - 100.0, "{before} → {after}");

    // killed after step 3 (its checkpoint written) and resumed: the same losses, binarization and all
    let whole = tmp.path().join("whole");
    Trainer::open(tiny_run(Arch::RowLstm, 6), &whole, false, &data).unwrap().train(&data, |_| {}).unwrap();
    let split = tmp.path().join("split");
    let mut t = Trainer::open(tiny_run(Arch::RowLstm, 6), &split, false, &data).unwrap();
    for _ in 0..3 {
        t.step(&data);
    }
    t.save_checkpoint().unwrap();
    drop(t);
    let mut t = Trainer::open(tiny_run(Arch::RowLstm, 6), &split, true, &data).unwrap();
    t.train(&data, |_| {}).unwrap();
    // the resumed run logs steps 4–6 (the first three were stepped by hand)
    let (a, b) = (metrics::read(&whole.join("metrics.jsonl")), metrics::read(&split.join("metrics.jsonl")));
    assert_eq!(a[3..].iter().map(|m| m.losses.clone()).collect::<Vec<_>>(), b.iter().map(|m| m.losses.clone()).collect::<Vec<_>>());
}

#[test]
fn a_bundle_starts_a_run_whose_weight_average_is_measured_kept_and_exported() {
    use ganzoo::models::AnyGenerator;
    use ganzoo::models::pixelrnn::PixelRnn;
    use ganzoo::train::ema_beta_steady;
    let _rng = one_at_a_time();
    let data = LikelihoodImages::open("mnist", None).expect("run scripts/fetch-data.sh: MNIST is test data");
    let tmp = tempfile::tempdir().unwrap();
    let w = |m: &PixelRnn| values(m.output.conv.weight.val());
    let worst = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    let p = |p: &Path| p.to_str().unwrap().to_string();

    // a short run, its best exported as a bundle
    let (first, bundle) = (tmp.path().join("first"), tmp.path().join("bundle"));
    let mut c = tiny_run(Arch::Pixelcnn, 3);
    c.eval_every = 3;
    Trainer::open(c.clone(), &first, false, &data).unwrap().train(&data, |_| {}).unwrap();
    let (ok, out) = train_cmd(&["export", &p(&first), "--best", "--out", &p(&bundle)]);
    assert!(ok, "{out}");
    let (_, from) = ganzoo::train::pixelrnn::bundle_model(&p(&bundle)).unwrap();

    // a run from the bundle starts at its weights, and its average at them
    let run = tmp.path().join("run");
    (c.run.steps, c.eval_every, c.ema_kimg, c.init_from) = (5, 5, 0.1, Some(p(&bundle))); // half-life 100 images, ~6 steps
    let mut t = Trainer::open(c.clone(), &run, false, &data).unwrap();
    assert_eq!((w(&t.family.model), w(&t.family.ema)), (w(&from), w(&from)));
    let mut expected = w(&from);
    let beta = ema_beta_steady(c.ema_kimg, 16);
    for _ in 0..4 {
        t.step(&data);
        expected = expected.iter().zip(w(&t.family.model)).map(|(e, m)| beta * e + (1.0 - beta) * m).collect();
    }
    let (ema, model) = (w(&t.family.ema), w(&t.family.model));
    assert!(worst(&ema, &expected) < 1e-6, "EMA after 4 steps: {}", worst(&ema, &expected));
    println!("the average is {} from the weights after 4 steps", worst(&ema, &model));
    // measured: 1.8e-2 (lr 3e-3)
    assert!(worst(&ema, &model) > 2e-3, "the average lags the weights");

    // step 5 evaluates: the average is what is measured and kept, the raw weights are logged beside it
    t.train(&data, |_| {}).unwrap();
    let watched = ganzoo::train::watched(data.test_len);
    let of = |m: &PixelRnn| ganzoo::train::pixelrnn::likelihood(m, &data, &watched, &Device::flex()).nats;
    let eval: serde_json::Value = serde_json::from_str(std::fs::read_to_string(run.join("eval.jsonl")).unwrap().lines().last().unwrap()).unwrap();
    let (nats, raw) = (eval["nats"].as_f64().unwrap(), eval["nats_raw"].as_f64().unwrap());
    assert!((nats - of(&t.family.ema)).abs() < 1e-3 && (raw - of(&t.family.model.valid())).abs() < 1e-3, "{eval}");
    assert!((nats - raw).abs() > 1e-2, "the two differ: {eval}");
    let (kept, _) = Trainer::load(&run, true).unwrap();
    let AnyGenerator::Pixelrnn(shipped) = kept.export().1 else { panic!("a PixelRNN") };
    assert_eq!(w(&shipped), w(&t.family.ema), "the best and the export are the average");

    // a checkpoint from before the average resumes with the average at the weights
    let last = std::fs::read_dir(run.join("checkpoints")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.join("model_ema.bpk").exists()).max().unwrap();
    std::fs::remove_file(last.join("model_ema.bpk")).unwrap();
    let mut c6 = c.clone();
    c6.run.steps = 6;
    let resumed = Trainer::open(c6, &run, true, &data).unwrap();
    assert_eq!(w(&resumed.family.ema), w(&resumed.family.model));
    drop((t, resumed));

    // only a bundle of the run's model starts it
    c.model.hidden = 9;
    let err = Trainer::open(c.clone(), &tmp.path().join("other"), false, &data).err().unwrap();
    assert!(err.contains("start the run with the bundle's model"), "{err}");
    c.init_from = Some("www/models/stylegan-faces32".into());
    let err = Trainer::open(c, &tmp.path().join("faces"), false, &data).err().unwrap();
    assert!(err.contains("starts only from a PixelRNN bundle"), "{err}");
}

/// MNIST idx files of `n` 8×8 images and `n / 4` test images (a bright square on black).
fn idx_folder(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let write = |name: &str, count: usize| {
        let mut bytes = vec![0, 0, 8, 3];
        for v in [count as u32, 8, 8] {
            bytes.extend(v.to_be_bytes());
        }
        for i in 0..count {
            bytes.extend((0..64).map(|p| if (p / 8 + i) % 8 < 4 && (p % 8) < 4 { 240u8 } else { 10 }));
        }
        std::fs::write(dir.join(name), bytes).unwrap();
    };
    write("train-images-idx3-ubyte", n);
    write("t10k-images-idx3-ubyte", n / 4);
}

#[test]
fn the_cli_trains_evaluates_and_exports() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, run, bundle) = (tmp.path().join("idx"), tmp.path().join("run"), tmp.path().join("bundle"));
    idx_folder(&data, 48);
    let p = |p: &Path| p.to_str().unwrap().to_string();
    let (ok, out) = train_cmd(&[
        "pixelrnn", "--arch", "row-lstm", "--data", &p(&data), "--depth", "binary", "--layers", "1", "--hidden", "4",
        "--steps", "4", "--batch", "4", "--eval-every", "2", "--sample-every", "0", "--out", &p(&run),
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("held-out NLL") && std::fs::read_to_string(run.join("metrics.jsonl")).unwrap().contains("\"nll\""), "{out}");
    let (ok, out) = train_cmd(&["eval", "pixelrnn", &p(&run)]);
    assert!(ok && out.contains("nats per image") && out.contains("10 held-out images"), "{out}");
    let (ok, out) = train_cmd(&["export", &p(&run), "--best", "--out", &p(&bundle)]);
    assert!(ok, "{out}");
    let (ok, out) = train_cmd(&["eval", "pixelrnn", &p(&bundle)]);
    assert!(!ok && out.contains("--data"), "{out}");
    let (ok, out) = train_cmd(&["eval", "pixelrnn", &p(&bundle), "--data", &p(&data)]);
    assert!(ok && out.contains("bits per dimension"), "{out}");
    let (ok, out) = train_cmd(&["sample", &p(&bundle), "--out", &p(&tmp.path().join("s"))]);
    assert!(!ok && out.contains("takes partial-image + seed"), "{out}");
    let (ok, out) = train_cmd(&["pixelrnn", "--arch", "gru", "--data", &p(&data), "--out", &p(&tmp.path().join("x"))]);
    assert!(!ok && out.contains("row-lstm, diagonal-bilstm or pixelcnn"), "{out}");
    let (ok, out) = train_cmd(&["pixelrnn", "--arch", "gru", "--data", &p(&tmp.path().join("nowhere")), "--out", &p(&tmp.path().join("x"))]);
    assert!(!ok && out.contains("row-lstm, diagonal-bilstm or pixelcnn"), "a bad flag is reported before missing data: {out}");
    // a run continued from the bundle: its model, whatever the model flags say
    let (ok, out) = train_cmd(&[
        "pixelrnn", "--init-from", &p(&bundle), "--arch", "pixelcnn", "--hidden", "12", "--data", &p(&data), "--depth", "binary",
        "--steps", "2", "--batch", "4", "--eval-every", "2", "--sample-every", "0", "--out", &p(&tmp.path().join("on")),
    ]);
    assert!(ok && out.contains("row-lstm with 1 blocks of h = 4"), "{out}");
    let saved = std::fs::read_to_string(tmp.path().join("on").join("config.json")).unwrap();
    assert!(saved.contains("\"init_from\"") && saved.contains("\"hidden\": 4"), "{saved}");

    // completions of held-out images by seed: the kept rows stay, a seed gives one completion
    let done = tmp.path().join("done");
    let complete = |seeds: &str| train_cmd(&["complete", &p(&bundle), "--data", &p(&data), "--held-out", "1,2", "--rows", "3", "--seeds", seeds, "--raw", "--out", &p(&done)]);
    let (ok, out) = complete("4-6");
    assert!(ok && out.contains("2 held-out images × 3 seeds completed from row 3"), "{out}");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(done.join("values.json")).unwrap()).unwrap();
    let values: Vec<Vec<u64>> = serde_json::from_value(json["values"].clone()).unwrap();
    let nll: Vec<f64> = serde_json::from_value(json["nll"].clone()).unwrap();
    assert_eq!((values.len(), nll.len()), (6, 6));
    let held = LikelihoodImages::open(&p(&data), Some(Depth::Binary)).unwrap();
    let pool = ganzoo::train::reported(held.test_len);
    for (k, image) in [(0, pool[1]), (1, pool[2])] {
        let top = &held.test_pixels(&[image])[..3 * 8];
        for v in &values[3 * k..3 * k + 3] {
            assert_eq!(v[..3 * 8].iter().map(|&x| x as u8).collect::<Vec<_>>(), top, "held-out image {k}'s 3 rows are kept");
        }
    }
    // each −ln p is the one of its own completion, as the bundle's model scores it here
    let (_, loaded) = ganzoo::bundle::load_dir(&bundle, &Device::flex()).unwrap();
    let ganzoo::models::AnyGenerator::Pixelrnn(model) = loaded else { panic!("a PixelRNN bundle") };
    for (v, n) in values.iter().zip(&nll) {
        let x = Tensor::<4>::from_data(TensorData::new(v.iter().map(|&b| b as f32).collect::<Vec<_>>(), [1, 1, 8, 8]), &Device::flex());
        let here = pixel_nll(model.forward(x.clone()), x).into_scalar::<f32>() as f64;
        assert!((here - n).abs() < 1e-3 * n.abs().max(1.0), "{here} vs {n}");
    }
    let (ok, _) = complete("5");
    assert!(ok);
    let again: serde_json::Value = serde_json::from_slice(&std::fs::read(done.join("values.json")).unwrap()).unwrap();
    assert_eq!(again["values"][0], json["values"][1], "seed 5 draws the same completion alone as beside seeds 4 and 6");
    let (ok, out) = train_cmd(&["complete", &p(&bundle), "--data", &p(&data), "--held-out", "40", "--out", &p(&done)]);
    assert!(!ok && out.contains("held-out image 40 does not exist: there are"), "{out}");
    // the page's picker
    let (ok, out) = train_cmd(&["sprites", &p(&bundle), "--data", &p(&data), "--count", "8", "--out", &p(&tmp.path().join("sheet"))]);
    assert!(ok, "{out}");
    let name = data.file_name().unwrap().to_str().unwrap();
    let sheet = image::open(tmp.path().join("sheet").join(format!("{name}.png"))).unwrap();
    assert_eq!((sheet.width(), sheet.height()), (8 * 8, 8), "eight 8-px images in a row");
}

