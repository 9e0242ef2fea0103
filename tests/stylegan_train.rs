//! StyleGAN training: a short run, exact resume, the weight average, the CLI. Apart from the
//! other tests and one at a time: weight initialisation draws from the device RNG, which tests
//! running in parallel threads of one binary would share.
#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;

use ganzoo::burn::prelude::*;
use ganzoo::data::ImageDataset;
use ganzoo::latent::Rng;
use ganzoo::models::stylegan::StyleGanConfig;
use ganzoo::train::GanTrainer;
use ganzoo::train::stylegan::{StyleGanTrainConfig, Trainer};

fn tiny(res: usize) -> StyleGanConfig {
    StyleGanConfig::new().with_resolution(res).with_channel_base(64).with_channel_max(16).with_z_dim(8).with_w_dim(8).with_mapping_layers(2)
}

static RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

fn toy_data() -> ImageDataset {
    let mut rng = Rng::new(3);
    let images = (0..12).map(|_| rng.normals(3 * 8 * 8).into_iter().map(|v| v.clamp(-1.0, 1.0)).collect()).collect();
    ImageDataset::from_images(images, 8, "toy".into())
}

fn tiny_run(steps: usize) -> StyleGanTrainConfig {
    let mut c = StyleGanTrainConfig::new(tiny(8), "toy".into());
    (c.steps, c.batch, c.r1_every, c.sample_every, c.checkpoint_every) = (steps, 4, 2, 0, 0);
    c
}

fn losses(run: &Path) -> Vec<(f32, f32)> {
    ganzoo::train::metrics::read(&run.join("metrics.jsonl")).iter().map(|m| (m.d_loss, m.g_loss)).collect()
}

#[test]
fn training_runs_resumes_exactly_and_exports_the_average() {
    let _one_at_a_time = RNG.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let data = toy_data();
    let straight = tmp.path().join("straight");
    Trainer::open(tiny_run(5), &straight, false).unwrap().run(&data, |_| {}).unwrap();
    let split = tmp.path().join("split");
    Trainer::open(tiny_run(3), &split, false).unwrap().run(&data, |_| {}).unwrap();
    let mut resumed = Trainer::open(tiny_run(5), &split, true).unwrap();
    assert_eq!(resumed.state.step, 3);
    resumed.run(&data, |_| {}).unwrap();
    let (a, b) = (losses(&straight), losses(&split));
    assert_eq!(a.len(), 5);
    assert!(a.iter().all(|(d, g)| d.is_finite() && g.is_finite()));
    assert_eq!(a, b, "a resumed run repeats the uninterrupted one");
    assert!(straight.join("samples.png").exists() && straight.join("loss.png").exists());
    // the average is not the raw generator, and its w average has moved off zero
    let w_avg = values(resumed.ema.w_avg.val());
    assert!(w_avg.iter().any(|v| v.abs() > 1e-4));
    assert_ne!(values(resumed.ema.constant.val()), values(resumed.generator.constant.val().inner()));
}

#[test]
fn one_step_moves_the_parameters_of_both_networks() {
    let _one_at_a_time = RNG.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let data = toy_data();
    let mut t = Trainer::open(tiny_run(1), &tmp.path().join("run"), false).unwrap();
    let g = &t.generator;
    let before_g = [values(g.mapping[1].weight.val()), values(g.constant.val()), values(g.blocks[1].layer1.conv.as_ref().unwrap().weight.val()), values(g.blocks[1].to_rgb.weight.val()), values(g.blocks[0].layer0.style.weight.val())];
    let before_d = values(t.discriminator.from_rgb.weight.val());
    t.step(&data);
    let g = &t.generator;
    let after_g = [values(g.mapping[1].weight.val()), values(g.constant.val()), values(g.blocks[1].layer1.conv.as_ref().unwrap().weight.val()), values(g.blocks[1].to_rgb.weight.val()), values(g.blocks[0].layer0.style.weight.val())];
    for (i, (b, a)) in before_g.iter().zip(&after_g).enumerate() {
        assert_ne!(b, a, "generator parameter {i} did not move");
    }
    assert_ne!(before_d, values(t.discriminator.from_rgb.weight.val()));
}

#[test]
fn the_cli_trains_exports_mixes_and_animates_a_stylegan() {
    let _one_at_a_time = RNG.lock().unwrap_or_else(|e| e.into_inner());
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
