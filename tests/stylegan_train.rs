//! StyleGAN training: a short run, exact resume, the weight average, the CLI. Apart from the
//! other tests and one at a time: weight initialisation draws from the device RNG, which tests
//! running in parallel threads of one binary would share.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;

use std::path::Path;

use ganzoo::burn::prelude::*;
use ganzoo::data::ImageDataset;
use ganzoo::latent::Rng;
use ganzoo::models::stylegan::StyleGanConfig;
use ganzoo::train::stylegan::{StyleGanTrainConfig, Trainer};

fn tiny(res: usize) -> StyleGanConfig {
    StyleGanConfig::new().with_resolution(res).with_channel_base(64).with_channel_max(16).with_z_dim(8).with_w_dim(8).with_mapping_layers(2)
}

fn toy_data() -> ImageDataset {
    let mut rng = Rng::new(3);
    let images = (0..12).map(|_| rng.normals(3 * 8 * 8).into_iter().map(|v| v.clamp(-1.0, 1.0)).collect()).collect();
    ImageDataset::from_images(images, 8, "toy".into())
}

fn tiny_run(steps: usize) -> StyleGanTrainConfig {
    let mut c = StyleGanTrainConfig::new(tiny(8), "toy".into());
    (c.run.steps, c.run.batch, c.r1_every, c.run.sample_every, c.run.checkpoint_every) = (steps, 4, 2, 0, 0);
    c
}

fn losses(run: &Path) -> Vec<std::collections::BTreeMap<String, f32>> {
    ganzoo::train::metrics::read(&run.join("metrics.jsonl")).into_iter().map(|m| m.losses).collect()
}

#[test]
fn training_runs_resumes_exactly_and_exports_the_average() {
    let _one_at_a_time = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let data = toy_data();
    let straight = tmp.path().join("straight");
    Trainer::open(tiny_run(5), &straight, false, &data).unwrap().train(&data, |_| {}).unwrap();
    let split = tmp.path().join("split");
    Trainer::open(tiny_run(3), &split, false, &data).unwrap().train(&data, |_| {}).unwrap();
    let mut resumed = Trainer::open(tiny_run(5), &split, true, &data).unwrap();
    assert_eq!(resumed.run.state.step, 3);
    resumed.train(&data, |_| {}).unwrap();
    let (a, b) = (losses(&straight), losses(&split));
    assert_eq!(a.len(), 5);
    assert!(a.iter().all(|l| l["D"].is_finite() && l["G"].is_finite()));
    // R1 is reported by name on the steps it is applied (every r1_every = 2: steps 0, 2, 4 → logged as 1, 3, 5)
    let with_r1: Vec<usize> = a.iter().enumerate().filter(|(_, l)| l.contains_key("R1")).map(|(i, _)| i + 1).collect();
    assert_eq!(with_r1, [1, 3, 5]);
    assert_eq!(a, b, "a resumed run repeats the uninterrupted one");
    assert!(straight.join("samples.png").exists() && straight.join("loss.png").exists());
    // the average is not the raw generator, and its w average has moved off zero
    let w_avg = values(resumed.family.ema.w_avg.val());
    assert!(w_avg.iter().any(|v| v.abs() > 1e-4));
    assert_ne!(values(resumed.family.ema.constant.val()), values(resumed.family.generator.constant.val().inner()));
}

#[test]
fn one_step_moves_the_parameters_of_both_networks() {
    let _one_at_a_time = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let data = toy_data();
    let mut t = Trainer::open(tiny_run(1), &tmp.path().join("run"), false, &data).unwrap();
    let g = &t.family.generator;
    let before_g = [values(g.mapping[1].weight.val()), values(g.constant.val()), values(g.blocks[1].layer1.conv.as_ref().unwrap().weight.val()), values(g.blocks[1].to_rgb.weight.val()), values(g.blocks[0].layer0.style.weight.val())];
    let before_d = values(t.family.discriminator.from_rgb.weight.val());
    t.train(&data, |_| {}).unwrap();
    let g = &t.family.generator;
    let after_g = [values(g.mapping[1].weight.val()), values(g.constant.val()), values(g.blocks[1].layer1.conv.as_ref().unwrap().weight.val()), values(g.blocks[1].to_rgb.weight.val()), values(g.blocks[0].layer0.style.weight.val())];
    for (i, (b, a)) in before_g.iter().zip(&after_g).enumerate() {
        assert_ne!(b, a, "generator parameter {i} did not move");
    }
    assert_ne!(before_d, values(t.family.discriminator.from_rgb.weight.val()));
}

#[test]
fn the_cli_trains_exports_mixes_and_animates_a_stylegan() {
    let _one_at_a_time = one_at_a_time();
    let exe = env!("CARGO_BIN_EXE_train");
    let tmp = tempfile::tempdir().unwrap();
    let images = tmp.path().join("images");
    std::fs::create_dir(&images).unwrap();
    let mut rng = Rng::new(2);
    for i in 0..8 {
        let img = image::RgbImage::from_fn(12, 12, |_, _| image::Rgb([(rng.next_u64() % 256) as u8, 120, 40]));
        img.save(images.join(format!("{i}.png"))).unwrap();
    }
    let p = |name: &str| tmp.path().join(name).to_str().unwrap().to_string();
    let cmd = |args: &[&str]| {
        let out = std::process::Command::new(exe).args(args).output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
    };
    let (ok, log) = cmd(&[
        "stylegan", "--data", images.to_str().unwrap(), "--res", "8", "--channel-base", "32", "--channel-max", "8", "--latent", "8",
        "--steps", "2", "--batch", "4", "--out", &p("run"),
    ]);
    assert!(ok, "{log}");
    let (ok, log) = cmd(&["export", &p("run"), "--out", &p("models/sg")]);
    assert!(ok && log.contains("stylegan-8"), "{log}");
    let (ok, log) = cmd(&["sample", &p("models/sg"), "--seeds", "0-3", "--psi", "0", "--out", &p("avg")]);
    assert!(ok, "{log}");
    let avg: Vec<Vec<u8>> = (0..4).map(|s| image::open(tmp.path().join(format!("avg/seed-{s}.png"))).unwrap().to_rgb8().into_raw()).collect();
    assert!(avg.iter().all(|a| a == &avg[0]), "ψ = 0 gives one face for every seed");
    let (ok, log) = cmd(&["mix", &p("models/sg"), "--coarse", "1,2", "--fine", "3-5", "--crossover", "2", "--out", &p("mix.png")]);
    assert!(ok, "{log}");
    let mix = image::open(tmp.path().join("mix.png")).unwrap();
    assert_eq!((mix.width(), mix.height()), (4 * 8 + 5 * 2, 3 * 8 + 4 * 2), "a blank corner, 3 columns, 2 rows");
    let (ok, log) = cmd(&["interpolate", &p("run"), "--from", "1", "--to", "2", "--frames", "5", "--bounce", "--scale", "2", "--out", &p("walk.gif")]);
    assert!(ok && log.contains("8 frames"), "{log}");
    let gif = std::fs::read(tmp.path().join("walk.gif")).unwrap();
    assert_eq!(&gif[..6], b"GIF89a");
    assert_eq!(u16::from_le_bytes([gif[6], gif[7]]), 16, "frames enlarged twice");
    let (ok, log) = cmd(&["sample", &p("models/sg"), "--psi", "2", "--out", &p("x")]);
    assert!(!ok && log.contains("--psi"), "{log}");
    let (ok, log) = cmd(&["mix", &p("models/sg"), "--crossover", "9", "--out", &p("m.png")]);
    assert!(!ok && log.contains("crossover"), "{log}");
}

#[test]
fn the_w_average_and_the_weight_average_move_by_the_amounts_the_paper_gives() {
    let _one_at_a_time = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let data = toy_data();
    let mut c = tiny_run(1);
    (c.mirror, c.w_avg_beta) = (false, 0.75);
    let mut t = Trainer::open(c, &tmp.path().join("run"), false, &data).unwrap();
    // without mirroring, the step's first draws are its latents: w = mapping(z) for the batch of 4
    let z = t.run.rng().normals(4 * 8);
    let w = values(t.family.generator.mapping(Tensor::from_data(TensorData::new(z, [4, 8]), &t.run.device)));
    t.train(&data, |_| {}).unwrap();
    let (g, ema) = (values(t.family.generator.w_avg.val()), values(t.family.ema.w_avg.val()));
    for j in 0..8 {
        let mean = (0..4).map(|i| w[i * 8 + j] as f64).sum::<f64>() / 4.0;
        // w̄ ← β w̄ + (1 − β) mean w from w̄ = 0, β = 0.75
        assert!((g[j] as f64 - 0.25 * mean).abs() < 1e-6, "w average {j}: {} vs {}", g[j], 0.25 * mean);
        // the first EMA step: half-life 5% of the 4 images seen, β = 0.5^(4 / 0.2) = 2^-20
        assert!((ema[j] as f64 - (1.0 - 2f64.powi(-20)) * g[j] as f64).abs() < 1e-6, "EMA {j}");
    }
}

/// What ships is the weight average: the export, the best kept and a checkpoint read back for
/// `train export` all give the EMA's weights, not the trained generator's.
#[test]
fn the_export_is_the_weight_average() {
    let _one_at_a_time = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let data = toy_data();
    let run = tmp.path().join("run");
    let mut t = Trainer::open(tiny_run(2), &run, false, &data).unwrap();
    t.train(&data, |_| {}).unwrap();
    // early on the average is within rounding of the generator: make it a network of its own
    t.family.ema = tiny(8).init_generator(&Device::flex());
    let average = weights(&t.family.ema);
    assert_ne!(average, weights(&t.family.generator));
    let ganzoo::models::AnyGenerator::Stylegan(shipped) = t.export().1 else { panic!("a StyleGAN") };
    assert_eq!(weights(&shipped), average);
    t.save_checkpoint().unwrap();
    let (config, generator, _) = ganzoo::train::load_run(&run, false).unwrap();
    let ganzoo::models::AnyGenerator::Stylegan(read) = generator else { panic!("a StyleGAN, got {config:?}") };
    assert_eq!(weights(&read), average, "train export reads the average back from the checkpoint");
}

/// ADA's probability and its count of signs are part of a checkpoint: a run that adjusts p
/// after its resume repeats the uninterrupted one; and a run that evaluates keeps its best.
#[test]
fn an_augmented_run_resumes_with_its_probability_and_keeps_its_best_evaluation() {
    let _one_at_a_time = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(4);
    let images = (0..20).map(|_| rng.normals(3 * 16 * 16).into_iter().map(|v| v.clamp(-1.0, 1.0)).collect()).collect();
    let data = ImageDataset::from_images(images, 16, "toy".into());
    let run = |steps: usize| {
        let mut c = StyleGanTrainConfig::new(tiny(16), "toy".into());
        (c.run.steps, c.run.batch, c.run.sample_every, c.run.checkpoint_every, c.eval_every) = (steps, 4, 0, 0, 3);
        // p starts at 0.5 and moves by 16 images / 10 = 1.6 per interval of 4 steps: to 0 or 1
        (c.augment.p, c.augment.ada_kimg) = (0.5, 0.01);
        c
    };
    let straight = tmp.path().join("straight");
    Trainer::open(run(6), &straight, false, &data).unwrap().train(&data, |_| {}).unwrap();
    let split = tmp.path().join("split");
    Trainer::open(run(3), &split, false, &data).unwrap().train(&data, |_| {}).unwrap();
    let mut resumed = Trainer::open(run(6), &split, true, &data).unwrap();
    assert_eq!(resumed.family.augment.p, 0.5, "p not yet adjusted");
    assert_ne!(resumed.family.augment, ganzoo::train::augment::Augment::new(&run(6).augment), "ADA's counts of the first 3 steps restored");
    resumed.train(&data, |_| {}).unwrap();
    let (a, b) = (losses(&straight), losses(&split));
    let p: Vec<f32> = a.iter().map(|l| l["augment p"]).collect();
    assert_eq!(&p[..3], [0.5; 3]);
    assert!(p[3] == 0.0 || p[3] == 1.0, "adjusted after the 4th step: {p:?}");
    assert!(a[3].contains_key("r_t") && !a[2].contains_key("r_t"));
    assert_eq!(a, b, "a resumed run repeats the uninterrupted one, p and all");
    // evaluations at steps 3 and 6, the better kept in best/
    let evals = std::fs::read_to_string(split.join("eval.jsonl")).unwrap();
    assert_eq!(evals.lines().count(), 2, "{evals}");
    assert!(evals.contains("\"recall_features\"") && split.join("best/generator_ema.bpk").exists());
}

/// A checkpoint written before the augmentation was a checkpoint part has no `augment.bpk`, and
/// its config no augmentation fields: it resumes, without augmentation, as it was trained.
#[test]
fn a_checkpoint_from_before_the_augmentation_resumes() {
    let _one_at_a_time = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let data = toy_data();
    let old = |steps: usize| {
        let mut c = tiny_run(steps);
        c.augment = serde_json::from_str("{}").unwrap(); // what an old config.json reads as
        c
    };
    let straight = tmp.path().join("straight");
    Trainer::open(old(5), &straight, false, &data).unwrap().train(&data, |_| {}).unwrap();
    let split = tmp.path().join("split");
    Trainer::open(old(3), &split, false, &data).unwrap().train(&data, |_| {}).unwrap();
    let checkpoint = std::fs::read_dir(split.join("checkpoints")).unwrap().map(|e| e.unwrap().path()).find(|p| p.join("augment.bpk").exists()).unwrap();
    std::fs::remove_file(checkpoint.join("augment.bpk")).unwrap();
    let mut resumed = Trainer::open(old(5), &split, true, &data).expect("resumes without augment.bpk");
    resumed.train(&data, |_| {}).unwrap();
    assert_eq!(losses(&straight), losses(&split));
    assert!(losses(&split).iter().all(|l| !l.contains_key("augment p")), "no augmentation, none logged");
}
