//! Text-to-image training: a short run on tiny procedural flowers moves both networks, resumes
//! exactly, and the CLI trains, exports, evaluates and draws prompts. One at a time: weight
//! initialisation draws from the device RNG, shared by the threads of one test binary.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;

use std::path::Path;

use ganzoo::data::captioned::{self, CaptionedDataset};
use ganzoo::train::text2image::{EvalPoint, Text2ImageTrainConfig, Trainer, best_point};

fn tiny_run(steps: usize) -> Text2ImageTrainConfig {
    let mut c = Text2ImageTrainConfig::new("flowers".into());
    c.model = c.model.with_resolution(16).with_width(8).with_g_width(8).with_noise(8).with_text_dim(16).with_word_dim(8).with_text_channels(16).with_d_text(8);
    (c.images, c.run.steps, c.run.batch, c.encoder_steps, c.run.sample_every, c.run.checkpoint_every) = (40, steps, 4, 3, 0, 0);
    c
}

fn data() -> (CaptionedDataset, CaptionedDataset) {
    let all = captioned::procedural_flowers(40, 16).unwrap();
    let train = all.subset(&all.train_indices());
    (all, train)
}

fn open(steps: usize, run: &Path, resume: bool) -> Trainer {
    let (all, train) = data();
    let mut t = Trainer::open(tiny_run(steps), run, resume, &train).unwrap();
    t.family.set_held_out(&all).unwrap();
    t
}

fn metrics(run: &Path) -> Vec<std::collections::BTreeMap<String, f32>> {
    ganzoo::train::metrics::read(&run.join("metrics.jsonl")).into_iter().map(|m| m.losses).collect()
}

#[test]
fn a_step_moves_both_networks_and_a_resumed_run_repeats_an_uninterrupted_one() {
    let _one_at_a_time = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let (_, train) = data();
    let mut t = open(1, &tmp.path().join("one"), false);
    assert_eq!(train.images.len, 36, "every tenth flower is held out");
    let f = &t.family;
    let (g0, d0, e0) = (values(f.generator.to_rgb.weight.val()), values(f.discriminator.joint.weight.val()), values(f.encoder.words.weight.val()));
    assert_eq!(g0, values(f.ema.to_rgb.weight.val()), "G's average starts as G");
    t.train(&train, |_| {}).unwrap();
    let f = &t.family;
    let (g1, ema1) = (values(f.generator.to_rgb.weight.val()), values(f.ema.to_rgb.weight.val()));
    assert_ne!(g0, g1, "G moved");
    // one step in, the average has a β of ½^(4 / (0.05 · 4)) ≈ 1e-6 (its half-life starts short):
    // it is G to within that and rounding
    assert_eq!(ganzoo::train::ema_beta(10.0, 0, 4), 0.5f32.powf(20.0));
    assert_eq!(ganzoo::train::ema_beta(10.0, 100_000, 64), 0.5f32.powf(64.0 / 10_000.0), "then 10 kimg");
    assert!(ema1.iter().zip(&g1).zip(&g0).all(|((e, g), g0)| (e - g).abs() <= 1e-3 * (g - g0).abs() + 1e-7), "the average follows G");
    assert_eq!(values(f.model().generator.to_rgb.weight.val()), ema1, "what ships is the average");
    assert_ne!(d0, values(f.discriminator.joint.weight.val()), "D's text-joining layer moved");
    assert_eq!(e0, values(f.encoder.words.weight.val()), "the text encoder stays frozen during GAN training");

    let straight = tmp.path().join("straight");
    open(5, &straight, false).train(&train, |_| {}).unwrap();
    let split = tmp.path().join("split");
    open(3, &split, false).train(&train, |_| {}).unwrap();
    let mut resumed = open(5, &split, true);
    assert_eq!(resumed.run.state.step, 3);
    resumed.train(&train, |_| {}).unwrap();
    let (a, b) = (metrics(&straight), metrics(&split));
    assert_eq!(a.len(), 5);
    let names: Vec<&String> = a[0].keys().collect();
    assert_eq!(names, ["D", "G", "GAN-INT", "R1", "mode seeking"], "every term of the step is logged by name");
    assert!(a[1].keys().all(|k| k != "R1") && a[4].contains_key("R1"), "R1 is lazy: every 4th step");
    // G's average lags G over more steps
    let (g, ema) = (values(resumed.family.generator.to_rgb.weight.val()), values(resumed.family.ema.to_rgb.weight.val()));
    assert!(g.iter().zip(&ema).any(|(a, b)| (a - b).abs() > 1e-6), "after 5 steps the average is not G");
    assert_eq!(a, b, "a resumed run repeats the uninterrupted one");
    let grid = image::open(straight.join("samples.png")).unwrap();
    assert_eq!(grid.width(), 8 * 16 + 9 * 2, "8 flowers per caption row");
}

#[test]
fn the_cli_trains_exports_evaluates_and_draws_prompts() {
    let _one_at_a_time = one_at_a_time();
    let exe = env!("CARGO_BIN_EXE_train");
    let tmp = tempfile::tempdir().unwrap();
    let p = |name: &str| tmp.path().join(name).to_str().unwrap().to_string();
    let cmd = |args: &[&str]| {
        let out = std::process::Command::new(exe).args(args).output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
    };
    let (ok, log) = cmd(&[
        "text2image", "--images", "30", "--res", "16", "--width", "8", "--encoder-steps", "2", "--steps", "2", "--batch", "4",
        "--eval-every", "1", "--out", &p("run"),
    ]);
    assert!(ok && log.contains("27 for training, 3 held out") && log.contains("text encoder"), "{log}");
    assert!(log.contains("captions of 3 held-out flowers") && log.contains("step 2: held-out petal colour"), "{log}");
    // every evaluation is logged; best/ holds the top-scoring one, which `export --best` ships
    let evals = |run: &str| -> Vec<EvalPoint> {
        std::fs::read_to_string(tmp.path().join(run).join("eval.jsonl")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let logged = evals("run");
    assert_eq!(logged.iter().map(|e| e.step).collect::<Vec<_>>(), [1, 2]);
    let best = best_point(&tmp.path().join("run")).expect("a best generator is kept");
    let top = logged.iter().map(|e| e.score).fold(f64::MIN, f64::max);
    assert_eq!(best.score, top, "best/ holds the highest score");
    assert_eq!(best, *logged.iter().find(|e| e.score == top).unwrap(), "and the first step that reached it");
    let (ok, log) = cmd(&["export", &p("run"), "--best", "--out", &p("models/best")]);
    assert!(ok, "{log}");
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(p("models/best/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["provenance"]["steps"], best.step);
    let notes = manifest["provenance"]["notes"].as_str().unwrap();
    assert!(notes.contains(&format!("best of the run's evaluations (step {}", best.step)) && notes.contains("R1 γ 1 every 4") && notes.contains("weight average"), "{notes}");
    let (ok, log) = cmd(&["export", &p("run"), "--out", &p("models/t2i")]);
    assert!(ok && log.contains("text2image-16"), "{log}");
    let (ok, log) = cmd(&["eval", "text2image", &p("models/t2i"), "--images", "20", "--json", &p("eval.json")]);
    assert!(ok && log.contains("petal colour") && log.contains("real (ceiling)"), "{log}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(p("eval.json")).unwrap()).unwrap();
    assert_eq!(report["captions"], 12, "2 test flowers × 6 captions");
    assert_eq!(report["colour"][0][1], 12);
    let (ok, log) = cmd(&["prompt", &p("models/t2i"), "five red petals", "a blue flower 🌸 zorblax", "--n", "3", "--out", &p("p.png")]);
    assert!(ok && log.contains("ignored 1 unknown word: “zorblax”") && log.contains("ignored 1 symbol"), "{log}");
    let grid = image::open(p("p.png")).unwrap();
    assert_eq!((grid.width(), grid.height()), (3 * 16 + 4 * 2, 2 * 16 + 3 * 2));
    // the same steps on the same data: a resumed run's saved config is reused
    let (ok, log) = cmd(&["text2image", "--steps", "3", "--out", &p("run"), "--resume"]);
    assert!(ok && log.contains("resuming"), "{log}");
    assert_eq!(evals("run").iter().map(|e| e.step).collect::<Vec<_>>(), [1, 2, 3], "a resumed run keeps evaluating");
    // a kill between the two renames that replace best/ leaves the previous best as best.old/
    let kept = best_point(&tmp.path().join("run")).unwrap();
    std::fs::rename(tmp.path().join("run/best"), tmp.path().join("run/best.old")).unwrap();
    let (ok, log) = cmd(&["export", &p("run"), "--best", "--out", &p("models/after-kill")]);
    assert!(ok, "{log}");
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(p("models/after-kill/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["provenance"]["steps"], kept.step);
    std::fs::remove_dir_all(tmp.path().join("run").join("best.old")).unwrap();
    let (ok, log) = cmd(&["export", &p("run"), "--best", "--out", &p("models/none")]);
    assert!(!ok && log.contains("no best generator"), "{log}");
    // refusals
    let (ok, log) = cmd(&["text2image", "--images", "30", "--res", "16", "--out", &p("run")]);
    assert!(!ok && log.contains("--resume"), "{log}");
    let (ok, log) = cmd(&["text2image", "--res", "24", "--out", &p("other")]);
    assert!(!ok && log.contains("divides"), "{log}");
    let (ok, log) = cmd(&["eval", "text2image", &p("nothing-here")]);
    assert!(!ok && log.contains("config.json"), "{log}");
}
