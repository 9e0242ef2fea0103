//! Training in the browser (wasm32 with the `web-train` feature, headless Chromium through
//! `wasm-pack test`): the page's DCGAN run against `train dcgan` of the same seed, data and
//! settings, which scripts/test.sh runs before this one:
//!   train dcgan --data www/held-out/held-out.png --res 32 --width 16 --batch 16 --steps 4
//!     --seed 0 --out test-results/native-train-dcgan   (then `train export --dtype f32`)
//! The losses of every step and the generator's weights after the last agree; the same run on the
//! page's WebGPU (SwiftShader here) agrees with its CPU. Also: what the page refuses.
#![cfg(all(target_arch = "wasm32", feature = "web-train"))]

use ganzoo::web_train::{Images, MAX_IMAGES, Run, Settings};
use safetensors::SafeTensors;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const SHEET: &[u8] = include_bytes!("../www/held-out/held-out.png");
const NATIVE_METRICS: &str = include_str!("../test-results/native-train-dcgan/metrics.jsonl");
const NATIVE_WEIGHTS: &[u8] = include_bytes!("../test-results/native-train-dcgan/bundle/generator.safetensors");
const STEPS: usize = 4;
/// A picture file (the digits sheet, taken whole as one picture).
const PNG_OF_ONE: &[u8] = include_bytes!("../www/held-out/mnist.png");

fn settings(json: &str) -> Settings {
    serde_json::from_str(json).unwrap()
}

fn emoji() -> Images {
    let mut images = Images::empty(32).unwrap();
    assert_eq!(images.add_tiles(SHEET, 64).unwrap(), 64, "the sheet's 64 emoji");
    images
}

/// Every tensor's values of a safetensors file by name (f32).
fn tensors(bytes: &[u8]) -> Vec<(String, Vec<f32>)> {
    let st = SafeTensors::deserialize(bytes).unwrap();
    let mut out: Vec<(String, Vec<f32>)> = st
        .tensors()
        .into_iter()
        .map(|(name, view)| (name, view.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[wasm_bindgen_test]
async fn the_cpu_run_in_the_page_is_the_native_run() {
    let mut t = Run::start(&settings(r#"{"width": 16, "batch": 16, "seed": 0}"#), emoji(), "cpu").await.unwrap();
    let native: Vec<serde_json::Value> = NATIVE_METRICS.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(native.len(), STEPS);
    let mut worst_loss = 0f32;
    for step in 0..STEPS {
        let losses = t.step().await.unwrap();
        for (name, value) in &losses {
            let theirs = native[step]["losses"][*name].as_f64().unwrap_or_else(|| panic!("native step {} has no loss {name}", step + 1)) as f32;
            worst_loss = worst_loss.max((value - theirs).abs());
        }
        assert_eq!(losses.len(), native[step]["losses"].as_object().unwrap().len(), "the same losses at step {}", step + 1);
    }
    let (mine, theirs) = (tensors(&t.bundle_bytes("web").await.unwrap().1), tensors(NATIVE_WEIGHTS));
    assert_eq!(mine.iter().map(|(n, v)| (n, v.len())).collect::<Vec<_>>(), theirs.iter().map(|(n, v)| (n, v.len())).collect::<Vec<_>>(), "the same tensors");
    let worst_weight = mine.iter().zip(&theirs).flat_map(|((_, a), (_, b))| a.iter().zip(b).map(|(x, y)| (x - y).abs())).fold(0f32, f32::max);
    wasm_bindgen_test::console_log!("browser CPU vs native, {STEPS} steps: losses within {worst_loss:.2e}, weights within {worst_weight:.2e}");
    // ~10× what was measured (2026-12-07): losses 1.8e-7, weights 3.7e-6 (wasm's convs sum in
    // another order than native's; Adam's first steps, about lr · sign(g), carry the rounding of
    // gradients near zero into the weights). A run drawn from another seed is ~1e-1 away.
    assert!(worst_loss < 2e-6, "the losses differ from native by {worst_loss}");
    assert!(worst_weight < 4e-5, "the weights differ from native by {worst_weight}");
}

#[wasm_bindgen_test]
async fn another_seed_is_another_run() {
    let mut a = Run::start(&settings(r#"{"width": 16, "batch": 16, "seed": 0}"#), emoji(), "cpu").await.unwrap();
    let mut b = Run::start(&settings(r#"{"width": 16, "batch": 16, "seed": 1}"#), emoji(), "cpu").await.unwrap();
    let (la, lb) = (a.step().await.unwrap(), b.step().await.unwrap());
    assert!((la[0].1 - lb[0].1).abs() > 1e-3, "seeds 0 and 1 gave first D losses {} and {}", la[0].1, lb[0].1);
}

#[wasm_bindgen_test]
async fn the_webgpu_run_in_the_page_is_the_cpu_run() {
    let s = settings(r#"{"width": 16, "batch": 16, "seed": 0}"#);
    let (mut cpu, mut gpu) = (Run::start(&s, emoji(), "cpu").await.unwrap(), Run::start(&s, emoji(), "webgpu").await.unwrap());
    let mut worst_loss = 0f32;
    for _ in 0..STEPS {
        let (a, b) = (cpu.step().await.unwrap(), gpu.step().await.unwrap());
        assert_eq!(a.iter().map(|l| l.0).collect::<Vec<_>>(), b.iter().map(|l| l.0).collect::<Vec<_>>());
        worst_loss = a.iter().zip(&b).map(|(x, y)| (x.1 - y.1).abs()).fold(worst_loss, f32::max);
    }
    let (a, b) = (tensors(&cpu.bundle_bytes("cpu").await.unwrap().1), tensors(&gpu.bundle_bytes("gpu").await.unwrap().1));
    let worst_weight = a.iter().zip(&b).flat_map(|((_, x), (_, y))| x.iter().zip(y).map(|(p, q)| (p - q).abs())).fold(0f32, f32::max);
    let (pa, pb) = (cpu.images(&[0, 1]).await.unwrap(), gpu.images(&[0, 1]).await.unwrap());
    let worst_pixel = pa.data.iter().zip(&pb.data).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
    wasm_bindgen_test::console_log!("browser WebGPU vs CPU, {STEPS} steps: losses within {worst_loss:.2e}, weights within {worst_weight:.2e}, samples within {worst_pixel:.2e}");
    // ~10× what was measured (2026-12-07, SwiftShader): losses 1.6e-7, weights 2.0e-6, samples 8.2e-8
    assert!(worst_loss < 2e-6, "the losses differ by {worst_loss}");
    assert!(worst_weight < 2e-5, "the weights differ by {worst_weight}");
    assert!(worst_pixel < 1e-6, "the samples differ by {worst_pixel}");
}

#[wasm_bindgen_test]
async fn what_the_page_refuses_it_says_why() {
    let none = Images::empty(32).unwrap();
    let err = Run::start(&Settings::default(), none, "cpu").await.err().unwrap();
    assert!(err.contains("no pictures to train on"), "{err}");
    assert!(Images::empty(48).is_err(), "48 px is not a power of two");
    let mut images = Images::empty(32).unwrap();
    let err = images.add(b"GIF89a not really").unwrap_err();
    assert!(err.contains("not a readable PNG/JPEG image"), "{err}");
    assert!(serde_json::from_str::<Settings>(r#"{"widht": 16}"#).is_err(), "a misspelt setting is refused");
    let err = Run::start(&settings(r#"{"loss": "wasserstein"}"#), emoji(), "cpu").await.err().unwrap();
    assert!(err.contains("wasserstein"), "{err}");
    // the most pictures a page keeps: a sheet past it is cut, then nothing more goes in
    let mut many = Images::empty(8).unwrap();
    many.add(PNG_OF_ONE).unwrap();
    while many.count() + 64 <= MAX_IMAGES {
        assert_eq!(many.add_tiles(SHEET, 64).unwrap(), 64);
    }
    assert_eq!(many.add_tiles(SHEET, 64).unwrap(), 63, "the last sheet cut to the room left");
    assert_eq!(many.count(), MAX_IMAGES);
    let err = many.add_tiles(SHEET, 64).unwrap_err();
    assert!(err.contains("the most a page trains on"), "{err}");
}
