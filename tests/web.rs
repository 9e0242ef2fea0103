//! Browser tests (wasm32, headless Chromium through `wasm-pack test`): the shipped bundle on
//! WebGPU and on the CPU (Flex) in wasm, against the native outputs that scripts/test.sh writes
//! to test-results/native with `train sample --raw` before this runs.
#![cfg(target_arch = "wasm32")]

use ganzoo::latent::latent_for_seed;
use ganzoo::web::Generator;
use js_sys::Uint8ClampedArray;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const MANIFEST: &[u8] = include_bytes!("../www/models/wildfaces-lsgan32/manifest.json");
const WEIGHTS: &[u8] = include_bytes!("../www/models/wildfaces-lsgan32/generator.safetensors");
const NATIVE: [&[u8]; 4] = [
    include_bytes!("../test-results/native/seed-0.f32"),
    include_bytes!("../test-results/native/seed-1.f32"),
    include_bytes!("../test-results/native/seed-2.f32"),
    include_bytes!("../test-results/native/seed-3.f32"),
];

async fn load(backend: &str, weights: &[u8]) -> Result<Generator, String> {
    Generator::load(MANIFEST, weights, backend).await
}

async fn parity(backend: &str) {
    let g = load(backend, WEIGHTS).await.unwrap();
    assert_eq!(g.backend(), backend);
    let out = g.images(&[0.0, 1.0, 2.0, 3.0]).await.unwrap().data;
    let per = out.len() / 4;
    let mut worst = 0.0f32;
    for (i, native) in NATIVE.iter().enumerate() {
        let native: Vec<f32> = native.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(native.len(), per, "the native outputs are stale: rerun scripts/test.sh");
        for (a, b) in out[i * per..(i + 1) * per].iter().zip(&native) {
            worst = worst.max((a - b).abs());
        }
    }
    web_sys_log(&format!("parity {backend}: max |wasm − native| = {worst:e}"));
    assert!(worst < 1e-3, "{backend} differs from native by {worst}");

    let rgba = Uint8ClampedArray::from(JsFuture::from(g.generate(3.0)).await.unwrap());
    assert_eq!(rgba.length() as usize, g.resolution() * g.resolution() * 4);
}

fn web_sys_log(s: &str) {
    wasm_bindgen_test::console_log!("{}", s);
}

#[wasm_bindgen_test]
async fn cpu_matches_native() {
    parity("cpu").await;
}

#[wasm_bindgen_test]
async fn webgpu_matches_native() {
    parity("webgpu").await;
}

#[wasm_bindgen_test]
async fn refusals_are_errors_with_reasons() {
    let err = load("cpu", &WEIGHTS[..WEIGHTS.len() / 2]).await.err().unwrap();
    assert!(err.contains("checksum"), "{err}");
    let err = load("tpu", WEIGHTS).await.err().unwrap();
    assert!(err.contains("unknown backend"), "{err}");
    let g = load("cpu", WEIGHTS).await.unwrap();
    for bad in [-1.0, 0.5, f64::NAN, 1e300] {
        let err = g.images(&[bad]).await.err().unwrap();
        assert!(err.contains("seed must be"), "{err}");
    }
    // the JS entry point rejects its promise with an Error carrying the message
    let err = JsFuture::from(g.generate(-1.0)).await.unwrap_err();
    let msg = String::from(err.dyn_into::<js_sys::Error>().unwrap().message());
    assert!(msg.contains("seed must be"), "{msg}");
}

#[wasm_bindgen_test]
fn latents_are_bit_identical_to_native() {
    // the same pinned numbers as tests/models.rs asserts natively
    let pinned = [-1.8839084f32, 0.86450684, 0.22760794, -0.042112686];
    let z = latent_for_seed(0, 4);
    for (a, b) in z.iter().zip(pinned) {
        assert_eq!(a.to_bits(), b.to_bits(), "{z:?}");
    }
}
