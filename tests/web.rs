//! Browser tests (wasm32, headless Chromium through `wasm-pack test`): the shipped bundles on
//! WebGPU and on the CPU (Flex) in wasm, against the native outputs that scripts/test.sh writes
//! to test-results/native* with `train sample --raw` before this runs; StyleGAN's truncation,
//! mixing and interpolation on both backends.
#![cfg(target_arch = "wasm32")]

mod common;
use common::*;

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

const SG_MANIFEST: &[u8] = include_bytes!("../www/models/stylegan-faces32/manifest.json");
const SG_WEIGHTS: &[u8] = include_bytes!("../www/models/stylegan-faces32/generator.safetensors");
/// `train sample www/models/stylegan-faces32 --seeds 0-3 --psi 0.7 --raw`
const SG_NATIVE: [&[u8]; 4] = [
    include_bytes!("../test-results/native-stylegan/seed-0.f32"),
    include_bytes!("../test-results/native-stylegan/seed-1.f32"),
    include_bytes!("../test-results/native-stylegan/seed-2.f32"),
    include_bytes!("../test-results/native-stylegan/seed-3.f32"),
];

async fn load(backend: &str, weights: &[u8]) -> Result<Generator, String> {
    Generator::load(MANIFEST, weights, backend).await
}

async fn parity(backend: &str) {
    let g = load(backend, WEIGHTS).await.unwrap();
    assert_eq!(g.backend(), backend);
    check_native(&g, backend, None, &NATIVE, 1e-5).await; // measured ~1e-6
    let rgba = Uint8ClampedArray::from(JsFuture::from(g.generate(3.0, None)).await.unwrap());
    assert_eq!(rgba.length() as usize, g.resolution() * g.resolution() * 4);
}

/// Seeds 0–3 against the native outputs, within `tolerance`.
async fn check_native(g: &Generator, backend: &str, psi: Option<f32>, natives: &[&[u8]; 4], tolerance: f32) {
    let out = g.images(&[0.0, 1.0, 2.0, 3.0], psi).await.unwrap().data;
    let per = out.len() / 4;
    let mut worst = 0.0f32;
    for (i, native) in natives.iter().enumerate() {
        let native: Vec<f32> = native.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(native.len(), per, "the native outputs are stale: rerun scripts/test.sh");
        for (a, b) in out[i * per..(i + 1) * per].iter().zip(&native) {
            worst = worst.max((a - b).abs());
        }
    }
    web_sys_log(&format!("parity {backend} ψ {psi:?}: max |wasm − native| = {worst:e}"));
    assert!(worst < tolerance, "{backend} differs from native by {worst}, more than {tolerance}");
}

/// The StyleGAN controls on one backend: parity at ψ = 0.7, ψ = 0 gives one face for every
/// seed, mixing at the ends gives one source face, interpolation ends at the two faces.
async fn stylegan_controls(backend: &str) {
    let g = Generator::load(SG_MANIFEST, SG_WEIGHTS, backend).await.unwrap();
    assert_eq!(g.backend(), backend);
    check_native(&g, backend, Some(0.7), &SG_NATIVE, 1e-4).await; // measured ~1e-5

    let avg = g.images(&[5.0, 6.0, 7.0], Some(0.0)).await.unwrap();
    let per = avg.data.len() / 3;
    for i in 1..3 {
        let d = max_abs_diff(&avg.data[..per], &avg.data[i * per..(i + 1) * per]);
        assert!(d < 1e-4, "{backend}: ψ = 0 should give the average face for every seed, differs by {d}");
    }

    let layers = g.num_styles().expect("a StyleGAN has style inputs");
    let faces = g.images(&[10.0, 20.0], Some(0.8)).await.unwrap().data;
    let (a, b) = (&faces[..per], &faces[per..]);
    let all_b = g.mixed(&[10.0], &[20.0], 0, Some(0.8)).await.unwrap().data;
    let all_a = g.mixed(&[10.0], &[20.0], layers, Some(0.8)).await.unwrap().data;
    assert!(max_abs_diff(&all_b, b) < 1e-4, "{backend}: crossover 0 is face B");
    assert!(max_abs_diff(&all_a, a) < 1e-4, "{backend}: crossover at the last layer is face A");
    let half = g.mixed(&[10.0], &[20.0], layers / 2, Some(0.8)).await.unwrap().data;
    assert!(max_abs_diff(&half, a) > 1e-3 && max_abs_diff(&half, b) > 1e-3, "{backend}: a real mix is neither face");
    let err = g.mixed(&[10.0], &[20.0], layers + 1, None).await.unwrap_err();
    assert!(err.contains("crossover"), "{err}");

    let walk = g.interpolation(10.0, 20.0, 5, Some(0.8)).await.unwrap();
    assert_eq!(walk.n, 5);
    assert!(max_abs_diff(&walk.data[..per], a) < 1e-4 && max_abs_diff(&walk.data[4 * per..], b) < 1e-4, "{backend}: the walk ends at the faces");

    // the same faces given as styles (as a projection gives them): the same pictures
    let styles = g.seed_styles(&[10.0, 20.0]).await.unwrap();
    let one = styles.len() / 2;
    let manifest: serde_json::Value = serde_json::from_slice(SG_MANIFEST).unwrap();
    assert_eq!(one as u64, layers as u64 * manifest["config"]["w_dim"].as_u64().unwrap(), "one face's styles are L × W numbers");
    let (sa, sb) = (&styles[..one], &styles[one..]);
    let drawn = g.style_images(&styles, Some(0.8)).await.unwrap().data;
    let d = max_abs_diff(&drawn, &faces);
    web_sys_log(&format!("{backend}: faces from styles vs from seeds: {d:e}"));
    assert!(d < 1e-6, "{backend}: the styles of seeds 10 and 20 draw their faces (differ by {d})");
    let d = max_abs_diff(&g.mixed_styles(sa, sb, layers / 2, Some(0.8)).await.unwrap().data, &half);
    assert!(d < 1e-6, "{backend}: mixing styles is mixing seeds (differ by {d})");
    let d = max_abs_diff(&g.style_interpolation(sa, sb, 5, Some(0.8)).await.unwrap().data, &walk.data);
    assert!(d < 1e-6, "{backend}: the walk between styles is the walk between seeds (differ by {d})");
    // w+: layers from two faces are the mix of the two
    let plus: Vec<f32> = sa[..one / 2].iter().chain(&sb[one / 2..]).copied().collect();
    let d = max_abs_diff(&g.style_images(&plus, Some(0.8)).await.unwrap().data, &half);
    assert!(d < 1e-6, "{backend}: per-layer styles draw the mix (differ by {d})");
    let err = g.style_images(&styles[1..], None).await.unwrap_err();
    assert!(err.contains("numbers per face"), "{err}");
    let mut nan = styles.clone();
    nan[3] = f32::NAN;
    let err = g.style_images(&nan, None).await.unwrap_err();
    assert!(err.contains("finite") && err.contains("number 3"), "{err}");
    let err = g.style_interpolation(&styles, sb, 5, None).await.unwrap_err();
    assert!(err.contains("one face"), "{err}");
    let err = g.images(&[1.0], Some(1.5)).await.err().unwrap();
    assert!(err.contains("ψ"), "{err}");
}

#[wasm_bindgen_test]
async fn stylegan_on_cpu() {
    stylegan_controls("cpu").await;
}

#[wasm_bindgen_test]
async fn stylegan_on_webgpu() {
    stylegan_controls("webgpu").await;
}

#[wasm_bindgen_test]
async fn mixing_a_dcgan_is_refused_and_gifs_encode() {
    let g = load("cpu", WEIGHTS).await.unwrap();
    assert_eq!(g.num_styles(), None);
    let err = g.mixed(&[1.0], &[2.0], 1, None).await.unwrap_err();
    assert!(err.contains("wildfaces-lsgan32") && err.contains("no style mixing") && err.contains("stylegan model"), "{err}");
    let err = g.seed_styles(&[1.0]).await.unwrap_err();
    assert!(err.contains("no style mixing"), "{err}");
    let err = g.style_images(&[0.0; 8], None).await.unwrap_err();
    assert!(err.contains("no style mixing"), "{err}");
    let walk = g.interpolation(1.0, 2.0, 3, None).await.unwrap();
    let rgba: Vec<u8> = (0..walk.n).flat_map(|i| walk.rgba(i)).collect();
    let gif = ganzoo::web::encode_gif(&rgba, 32, 32, 3, 80, 2).unwrap_or_else(|_| panic!("GIF encoding failed"));
    assert_eq!(&gif[..6], b"GIF89a");
    assert!(ganzoo::web::encode_gif(&rgba[1..], 32, 32, 3, 80, 2).is_err(), "a short buffer is refused");
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
        let err = g.images(&[bad], None).await.err().unwrap();
        assert!(err.contains("seed must be"), "{err}");
    }
    // the JS entry point rejects its promise with an Error carrying the message
    let err = JsFuture::from(g.generate(-1.0, None)).await.unwrap_err();
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

const T2I_MANIFEST: &[u8] = include_bytes!("../www/models/text2flower64/manifest.json");
const T2I_WEIGHTS: &[u8] = include_bytes!("../www/models/text2flower64/generator.safetensors");
/// `train prompt www/models/text2flower64 "<T2I_PROMPT>" --n 4 --raw …` (seeds 0–3)
const T2I_NATIVE: &[u8] = include_bytes!("../test-results/native-text2image.f32");
const T2I_PROMPT: &str = "this flower has five large pink petals and a yellow center";

/// A typed prompt becomes flowers that match the native run; hostile prompts draw too; the walk
/// between two prompts starts and ends at their flowers.
async fn text_to_flower(backend: &str) {
    let g = Generator::load(T2I_MANIFEST, T2I_WEIGHTS, backend).await.unwrap();
    assert_eq!(g.backend(), backend);
    let flowers = g.text_images(T2I_PROMPT, &[0.0, 1.0, 2.0, 3.0]).await.unwrap();
    assert_eq!((flowers.n, flowers.h), (4, 64));
    let native: Vec<f32> = T2I_NATIVE.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    let worst = max_abs_diff(&flowers.data, &native);
    web_sys_log(&format!("text to flower, {backend}: max |browser − native| = {worst:e}"));
    assert!(worst < 3e-5, "{backend}: browser and native flowers differ by {worst} (measured ~3e-6)");

    // hostile prompts read as the native tokenizer reads them (tests/text2image.rs): no word the
    // model knows is the empty prompt; case and punctuation are not words; a long one is cut
    let flower = |prompt: String| {
        let g = &g;
        async move { g.text_images(&prompt, &[5.0]).await.unwrap().data }
    };
    let empty = flower(String::new()).await;
    for prompt in ["🌸🌸🌸", "розовый 花", "\u{0}\u{202e}"] {
        let d = max_abs_diff(&flower(prompt.into()).await, &empty);
        assert!(d < 1e-6, "{backend}: {prompt:?} knows no word, so draws the empty prompt's flower: differs by {d}");
    }
    let pink = flower("pink petals".into()).await;
    assert!(max_abs_diff(&pink, &empty) > 1e-2, "{backend}: a known word changes the flower");
    assert!(max_abs_diff(&flower("PINK!!! petals???".into()).await, &pink) < 1e-6, "{backend}: case and punctuation are dropped");
    let cut = flower("pink ".repeat(ganzoo::text::MAX_WORDS)).await;
    assert!(max_abs_diff(&flower("pink ".repeat(1000)).await, &cut) < 1e-6, "{backend}: a long prompt is cut to its first words");
    let per = 3 * 64 * 64;
    let walk = g.text_interpolation("a red flower", "a blue flower", 3, 7.0).await.unwrap();
    let a = g.text_images("a red flower", &[7.0]).await.unwrap().data;
    let b = g.text_images("a blue flower", &[7.0]).await.unwrap().data;
    assert!(max_abs_diff(&walk.data[..per], &a) < 1e-4, "{backend}: the walk starts at the first prompt's flower");
    assert!(max_abs_diff(&walk.data[2 * per..], &b) < 1e-4, "{backend}: and ends at the second's");
    assert!(max_abs_diff(&walk.data[per..2 * per], &a) > 1e-2, "{backend}: the middle is neither");
}

#[wasm_bindgen_test]
async fn text_to_flower_on_cpu() {
    text_to_flower("cpu").await;
}

#[wasm_bindgen_test]
async fn text_to_flower_on_webgpu() {
    text_to_flower("webgpu").await;
}

#[wasm_bindgen_test]
async fn prompts_to_a_face_model_are_refused() {
    let g = load("cpu", WEIGHTS).await.unwrap();
    let err = g.text_images("a red flower", &[1.0]).await.unwrap_err();
    assert!(err.contains("takes seed") && err.contains("drives text2image models"), "{err}");
    // and a text-to-image model is not driven by a seed alone
    let t2i = Generator::load(T2I_MANIFEST, T2I_WEIGHTS, "cpu").await.unwrap();
    let err = t2i.images(&[1.0], None).await.unwrap_err();
    assert!(err.contains("text2flower64") && err.contains("takes text + seed"), "{err}");
    let err = t2i.text_interpolation("a", "b", 1, 0.0).await.unwrap_err();
    assert!(err.contains("2 to 120 frames"), "{err}");
}

const PR_MANIFEST: &[u8] = include_bytes!("../www/models/pixelrnn-mnist/manifest.json");
const PR_WEIGHTS: &[u8] = include_bytes!("../www/models/pixelrnn-mnist/generator.safetensors");
/// `train complete www/models/pixelrnn-mnist --data mnist --held-out 3 --rows 14 --seeds 5-6 --raw`
const PR_NATIVE: &[u8] = include_bytes!("../test-results/native-complete-pixelrnn-mnist/values.json");

/// The native completions of held-out image 3 cut at row 14, seeds 5 and 6: their pixel values
/// and −ln p.
fn native_completions(json: &[u8]) -> (Vec<Vec<u8>>, Vec<f32>) {
    let v: serde_json::Value = serde_json::from_slice(json).unwrap();
    let values = v["values"].as_array().unwrap().iter().map(|c| c.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u8).collect()).collect();
    let nll = v["nll"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
    (values, nll)
}

/// A seed's completion is the native one, pixel for pixel, drawn a few pixels at a time; its
/// −ln p matches; the probabilities give that −ln p; bad pixels are refused with reasons.
#[wasm_bindgen_test]
async fn pixelrnn_completions_are_the_native_ones_on_the_cpu() {
    let g = Generator::load(PR_MANIFEST, PR_WEIGHTS, "cpu").await.unwrap();
    let (native, native_nll) = native_completions(PR_NATIVE);
    let side = 28;
    let mut top = native[0].clone();
    top[14 * side..].fill(0); // the kept rows are the held-out image's
    let mut job = g.completions(&top, 14 * side, &[5.0, 6.0]).unwrap();
    let mut steps = 0;
    while !job.finished() {
        let rgba = job.advance(50);
        assert_eq!(rgba.length() as usize, 2 * side * side * 4);
        steps += 1;
    }
    assert_eq!(steps, (side * side).div_ceil(50), "the kept pixels are passed over in the steps too");
    let values = job.values();
    assert_eq!(values[..side * side], native[0][..], "seed 5");
    assert_eq!(values[side * side..], native[1][..], "seed 6");
    let nll = g.nll(&values).await.unwrap();
    let worst = max_abs_diff(&nll, &native_nll);
    web_sys_log(&format!("pixelrnn cpu: max |wasm − native| −ln p = {worst:e} nats"));
    assert!(worst < 2e-4, "−ln p differs from native by {worst} (measured 1.5e-5 in the page)");
    let p = g.probabilities(&values[..side * side]).await.unwrap(); // [1, 1, 1, S, S]: p of a 1
    let from_p: f64 = values[..side * side].iter().zip(&p).map(|(&v, &p)| -f64::from(if v == 1 { p } else { 1.0 - p }).ln()).sum();
    assert!((from_p - f64::from(native_nll[0])).abs() < 2e-3, "−Σ ln p {from_p} vs {}", native_nll[0]);

    let err = g.completions(&[0, 2, 0], 0, &[1.0]).err().unwrap();
    assert!(err.contains("expected 1 image of 1 × 28 × 28 pixel values (784 each), got 3"), "{err}");
    let mut bad = vec![0u8; side * side];
    bad[7] = 2;
    let err = g.completions(&bad, 0, &[1.0]).err().unwrap();
    assert!(err.contains("pixel value 7 is 2") && err.contains("0 to 1 (binary)"), "{err}");
    let err = g.completions(&top, side * side + 1, &[1.0]).err().unwrap();
    assert!(err.contains("known must be at most 784"), "{err}");
    let err = g.completions(&top, 0, &[]).err().unwrap();
    assert!(err.contains("between 1 and 256 seeds"), "{err}");
    // a face model completes nothing, and a PixelRNN draws no face from a seed alone
    let err = load("cpu", WEIGHTS).await.unwrap().completions(&top, 0, &[1.0]).err().unwrap();
    assert!(err.contains("takes seed") && err.contains("partial-image + seed"), "{err}");
    let err = g.images(&[1.0], None).await.unwrap_err();
    assert!(err.contains("pixelrnn-mnist") && err.contains("takes partial-image + seed"), "{err}");
}

const FA_MANIFEST: &[u8] = include_bytes!("../www/models/pixelcnn-fashion/manifest.json");
const FA_WEIGHTS: &[u8] = include_bytes!("../www/models/pixelcnn-fashion/generator.safetensors");
/// `train complete www/models/pixelcnn-fashion --data fashion-mnist --held-out 3 --rows 14 --seeds 5-6 --raw`
const FA_NATIVE: &[u8] = include_bytes!("../test-results/native-complete-pixelcnn-fashion/values.json");

/// The 8-bit PixelCNN: every pixel's 256 probabilities agree between WebGPU and the CPU, the −ln
/// p of each with the native run's, and a seed's completion is the native one on both.
#[wasm_bindgen_test]
async fn an_8_bit_pixelcnn_agrees_on_webgpu_the_cpu_and_natively() {
    let (native, native_nll) = native_completions(FA_NATIVE);
    let side = 28;
    let mut top = native[0].clone();
    top[14 * side..].fill(0);
    let pixels: Vec<u8> = native.concat();
    let mut probabilities = Vec::new();
    for backend in ["webgpu", "cpu"] {
        let g = Generator::load(FA_MANIFEST, FA_WEIGHTS, backend).await.unwrap();
        assert_eq!(g.backend(), backend);
        let mut job = g.completions(&top, 14 * side, &[5.0, 6.0]).unwrap();
        job.advance(side * side);
        assert_eq!(job.values(), pixels, "{backend}: seeds 5 and 6 complete as natively");
        let nll = g.nll(&pixels).await.unwrap();
        let worst = max_abs_diff(&nll, &native_nll);
        web_sys_log(&format!("pixelcnn-fashion {backend}: max |wasm − native| −ln p = {worst:e} nats"));
        assert!(worst < 1.5e-3, "{backend}: −ln p differs from native by {worst} (measured 1.2e-4 in the page)");
        let p = g.probabilities(&pixels).await.unwrap(); // [2, 1, 256, S, S]
        assert_eq!(p.len(), 2 * 256 * side * side);
        probabilities.push(p);
    }
    let worst = max_abs_diff(&probabilities[0], &probabilities[1]);
    web_sys_log(&format!("pixelcnn-fashion: max |webgpu − cpu| probability = {worst:e}"));
    assert!(worst < 1e-5, "WebGPU and CPU probabilities differ by {worst}");
}

/// Values in [−0.5, 0.5) from a fixed linear congruential sequence.
fn lcg_values(state: &mut u32, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| {
            *state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (*state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        })
        .collect()
}

/// Flex's matrix products in wasm (the kernels patched in vendor/gemm-*) against a triple loop:
/// sizes that leave remainders of every tile size, and operands stored transposed or not, so
/// every stride case the kernels branch on, not just what the models happen to use.
#[wasm_bindgen_test]
fn cpu_matrix_products_match_a_triple_loop() {
    use burn::prelude::*;
    use burn::tensor::TensorData;
    let device = Device::flex();
    let mut state = 7u32;
    let mut random = |n: usize| lcg_values(&mut state, n);
    // a rows × cols matrix; `transposed`: stored as cols × rows and transposed back, so the
    // kernels see the other strides
    let matrix = |values: &[f32], rows: usize, cols: usize, transposed: bool| {
        let stored = if transposed { [cols, rows] } else { [rows, cols] };
        let t = Tensor::<2>::from_data(TensorData::new(values.to_vec(), stored), &device);
        if transposed { t.transpose() } else { t }
    };
    let mut worst = 0.0f32;
    for (m, k, n) in [(1, 1, 1), (3, 7, 5), (8, 9, 4), (13, 17, 5), (16, 512, 40), (33, 9, 64), (130, 33, 70), (64, 300, 3)] {
        for (a_transposed, b_transposed) in [(false, false), (true, false), (false, true), (true, true)] {
            let (a, b) = (random(m * k), random(k * n));
            let got = matrix(&a, m, k, a_transposed).matmul(matrix(&b, k, n, b_transposed));
            let got = got.into_data().try_into_vec::<f32>().unwrap();
            let at = |i: usize, p: usize| if a_transposed { a[p * m + i] } else { a[i * k + p] };
            let bt = |p: usize, j: usize| if b_transposed { b[j * k + p] } else { b[p * n + j] };
            for i in 0..m {
                for j in 0..n {
                    let want: f32 = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
                    worst = worst.max((got[i * n + j] - want).abs());
                }
            }
        }
    }
    web_sys_log(&format!("matmul in wasm: max |Flex − triple loop| = {worst:e}"));
    // measured 0: each output is the same sequence of f32 multiplies and adds over k (no
    // fused multiply-add in wasm SIMD, k within one block), so any difference is a wrong
    // element, not rounding
    assert_eq!(worst, 0.0, "Flex's matmul in wasm is off by {worst}");
}

/// Flex's 2-D convolutions in wasm (the paths added in vendor/burn-flex/src/ops/conv_rows.rs:
/// stride 1 with ≥ 16 input channels by kernel taps, the rest by a patch matrix) against a
/// direct loop in f64: strides, paddings, dilations, odd sizes, both paths, with and without
/// bias, two images in a batch. Each weight tensor is used on two inputs, then dropped and
/// replaced by new values of the same shape: gemm packs the weights on the first call and reads
/// what it kept on the next (vendor/burn-flex/src/ops/kept_weights.rs), so the second call
/// checks the kept panels and the third that they belong to the tensor, not to its shape or
/// its address.
#[wasm_bindgen_test]
fn cpu_convolutions_match_a_direct_loop() {
    use burn::prelude::*;
    use burn::tensor::TensorData;
    use burn::tensor::module::conv2d;
    use burn::tensor::ops::ConvOptions;
    let device = Device::flex();
    let mut state = 11u32;
    let mut random = |n: usize| lcg_values(&mut state, n);
    let mut worst = 0.0f64;
    // (batch, c_in, h, w, c_out, kernel, stride, padding, dilation)
    let cases = [
        (2, 3, 9, 7, 5, 3, 1, 1, 1),    // patch matrix: few input channels
        (1, 16, 8, 8, 8, 3, 1, 1, 1),   // taps
        (2, 20, 5, 6, 3, 3, 1, 0, 1),   // taps, no padding, 3 outputs
        (1, 32, 7, 7, 16, 7, 1, 3, 1),  // taps, 7×7
        (1, 4, 11, 10, 6, 4, 2, 1, 1),  // patch matrix, stride 2 (a DCGAN discriminator's)
        (1, 17, 6, 9, 4, 3, 2, 1, 1),   // patch matrix, stride 2, many channels
        (1, 5, 9, 9, 3, 3, 1, 2, 2),    // patch matrix, dilation 2
    ];
    for (i, &(batch, c_in, h, w, c_out, k, stride, pad, dilation)) in cases.iter().enumerate() {
        let bias = random(c_out);
        let with_bias = i % 2 == 0;
        let (first, second) = (random(c_out * c_in * k * k), random(c_out * c_in * k * k));
        let mut kept = Some(Tensor::<4>::from_data(TensorData::new(first.clone(), [c_out, c_in, k, k]), &device));
        for pass in 0..3 {
            // the third pass: new values in a tensor made after the first one is dropped (in its
            // storage, as like as not), which must not find the panels packed from the first
            let (weight_tensor, weight) = match pass {
                0 => (kept.clone().unwrap(), &first),
                1 => (kept.take().unwrap(), &first),
                _ => (Tensor::<4>::from_data(TensorData::new(second.clone(), [c_out, c_in, k, k]), &device), &second),
            };
            let x = random(batch * c_in * h * w);
            let got = conv2d(
                Tensor::<4>::from_data(TensorData::new(x.clone(), [batch, c_in, h, w]), &device),
                weight_tensor,
                with_bias.then(|| Tensor::<1>::from_data(TensorData::new(bias.clone(), [c_out]), &device)),
                ConvOptions::new([stride, stride], [pad, pad], [dilation, dilation], 1),
            );
            let [_, _, oh, ow] = got.dims();
            assert_eq!([oh, ow], [(h + 2 * pad - dilation * (k - 1) - 1) / stride + 1, (w + 2 * pad - dilation * (k - 1) - 1) / stride + 1]);
            let got = got.into_data().try_into_vec::<f32>().unwrap();
            for b in 0..batch {
                for co in 0..c_out {
                    for oy in 0..oh {
                        for ox in 0..ow {
                            let mut want = if with_bias { bias[co] as f64 } else { 0.0 };
                            for c in 0..c_in {
                                for ky in 0..k {
                                    for kx in 0..k {
                                        let iy = (oy * stride + ky * dilation) as isize - pad as isize;
                                        let ix = (ox * stride + kx * dilation) as isize - pad as isize;
                                        if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w {
                                            let xv = x[((b * c_in + c) * h + iy as usize) * w + ix as usize] as f64;
                                            want += xv * weight[((co * c_in + c) * k + ky) * k + kx] as f64;
                                        }
                                    }
                                }
                            }
                            let at = ((b * c_out + co) * oh + oy) * ow + ox;
                            worst = worst.max((got[at] as f64 - want).abs());
                        }
                    }
                }
            }
        }
    }
    web_sys_log(&format!("conv2d in wasm: max |Flex − direct loop in f64| = {worst:e}"));
    // f32 sums of up to 1,568 products of numbers in ±½ against f64: rounding only (measured
    // 1.8e-6; a wrong tap or a misplaced row is off by ~0.1)
    assert!(worst < 1e-5, "Flex's conv2d in wasm is off by {worst}");
}

/// burn-cubecl's transposed convolution on WebGPU (the strip kernel added in
/// vendor/burn-cubecl) against the definition, a scatter loop in f64.
#[wasm_bindgen_test]
async fn webgpu_transposed_convolutions_match_the_definition() {
    let device = ganzoo::web::webgpu_device().await.expect("these tests run in a browser with WebGPU");
    let worst = transposed_convolutions_against_the_definition(&device).await;
    web_sys_log(&format!("conv_transpose2d on WebGPU: max |burn-cubecl − definition in f64| = {worst:e}"));
    assert!(worst < 1e-5, "burn-cubecl's transposed convolution on WebGPU is off by {worst}");
}

/// Flex's transposed convolution in wasm against the same definition; its weights are packed
/// for gemm once and kept (vendor/burn-flex/src/ops/kept_weights.rs), which the second and third
/// call of each case check.
#[wasm_bindgen_test]
async fn cpu_transposed_convolutions_match_the_definition() {
    let worst = transposed_convolutions_against_the_definition(&burn::prelude::Device::flex()).await;
    web_sys_log(&format!("conv_transpose2d in wasm: max |Flex − definition in f64| = {worst:e}"));
    assert!(worst < 1e-5, "Flex's transposed convolution in wasm is off by {worst}");
}

/// The largest difference between `conv_transpose2d` on `device` and a scatter loop in f64: a
/// DCGAN's layers (1×1 input, stride 2 with padding 1, 3 output channels), odd sizes, output
/// padding, a stride past the kernel, dilation, groups, rows shorter than a strip, two images
/// with bias. Each weight tensor is used on two inputs, then dropped and replaced by new values
/// of the same shape.
async fn transposed_convolutions_against_the_definition(device: &burn::prelude::Device) -> f64 {
    use burn::tensor::TensorData;
    use burn::tensor::module::conv_transpose2d;
    use burn::tensor::ops::ConvTransposeOptions;
    use burn::prelude::*;
    let mut state = 13u32;
    let mut random = |n: usize| lcg_values(&mut state, n);
    let mut worst = 0.0f64;
    // (batch, c_in, h, w, c_out per group, kernel, stride, padding, output padding, dilation, groups)
    let cases = [
        (1, 16, 1, 1, 32, 4, 1, 0, 0, 1, 1),  // a DCGAN's first layer
        (2, 32, 4, 4, 16, 4, 2, 1, 0, 1, 1),  // a DCGAN's middle layer, two images
        (1, 64, 8, 8, 3, 4, 2, 1, 0, 1, 1),   // the last layer: 3 channels, no vectors
        (1, 8, 5, 7, 4, 4, 2, 1, 1, 1, 1),    // odd sizes, output padding
        (1, 4, 6, 5, 8, 3, 1, 1, 0, 1, 1),    // stride 1, a 3×3 kernel
        (1, 4, 3, 4, 4, 2, 3, 0, 0, 1, 1),    // stride past the kernel: some outputs get nothing
        (1, 4, 4, 5, 4, 3, 2, 1, 0, 2, 1),    // dilation 2
        (1, 8, 2, 3, 4, 4, 2, 1, 0, 1, 1),    // rows shorter than a strip
        (1, 8, 4, 4, 4, 3, 2, 1, 1, 1, 2),    // two groups
        (2, 12, 3, 9, 6, 5, 2, 2, 1, 1, 1),   // 5×5 kernel, wide rows
    ];
    for (i, &(batch, c_in, h, w, c_out_g, k, stride, pad, out_pad, dilation, groups)) in cases.iter().enumerate() {
        let c_out = c_out_g * groups;
        let bias = random(c_out);
        let with_bias = i % 2 == 1;
        let (first, second) = (random(c_in * c_out_g * k * k), random(c_in * c_out_g * k * k));
        let mut kept = Some(Tensor::<4>::from_data(TensorData::new(first.clone(), [c_in, c_out_g, k, k]), device));
        for pass in 0..3 {
            let (weight_tensor, weight) = match pass {
                0 => (kept.clone().unwrap(), &first),
                1 => (kept.take().unwrap(), &first),
                _ => (Tensor::<4>::from_data(TensorData::new(second.clone(), [c_in, c_out_g, k, k]), device), &second),
            };
            let x = random(batch * c_in * h * w);
            let got = conv_transpose2d(
                Tensor::<4>::from_data(TensorData::new(x.clone(), [batch, c_in, h, w]), device),
                weight_tensor,
                with_bias.then(|| Tensor::<1>::from_data(TensorData::new(bias.clone(), [c_out]), device)),
                ConvTransposeOptions::new([stride, stride], [pad, pad], [out_pad, out_pad], [dilation, dilation], groups),
            );
            let [_, _, oh, ow] = got.dims();
            let size = |n: usize| (n - 1) * stride + dilation * (k - 1) + out_pad + 1 - 2 * pad;
            assert_eq!([oh, ow], [size(h), size(w)], "case {i}: output size");
            let got = got.into_data_async().await.unwrap().try_into_vec::<f32>().unwrap();
            let mut want: Vec<f64> = (0..batch * c_out * oh * ow).map(|at| if with_bias { bias[(at / (oh * ow)) % c_out] as f64 } else { 0.0 }).collect();
            for b in 0..batch {
                for ci in 0..c_in {
                    let g = ci / (c_in / groups);
                    for y in 0..h {
                        for xx in 0..w {
                            let v = x[((b * c_in + ci) * h + y) * w + xx] as f64;
                            for co in 0..c_out_g {
                                for ky in 0..k {
                                    for kx in 0..k {
                                        let oy = (y * stride + ky * dilation) as isize - pad as isize;
                                        let ox = (xx * stride + kx * dilation) as isize - pad as isize;
                                        if oy >= 0 && ox >= 0 && (oy as usize) < oh && (ox as usize) < ow {
                                            let at = ((b * c_out + g * c_out_g + co) * oh + oy as usize) * ow + ox as usize;
                                            want[at] += v * weight[((ci * c_out_g + co) * k + ky) * k + kx] as f64;
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            for (a, e) in got.iter().zip(&want) {
                worst = worst.max((*a as f64 - e).abs());
            }
        }
    }
    worst
}
