//! The browser API (wasm32 only, thin): load a bundle, pick a device (WebGPU, else the CPU),
//! generate by seed. Fetching, caching and drawing are JavaScript's job (`www/ganzoo.js`).
//!
//! ```js
//! const g = await Generator.fromBytes(manifestBytes, weightsBytes, "auto");
//! g.backend();                       // "webgpu" or "cpu"; g.notice() says why when it fell back
//! const rgba = await g.generate(42); // Uint8ClampedArray, resolution² × 4
//! await g.generate(42, 0.7);         // with truncation ψ = 0.7
//! g.numStyles();                     // StyleGAN: style inputs (8 at 32 px); DCGAN: undefined
//! await g.mix([1, 2], [3, 4], 4);    // styles 0..4 from seeds 1, 2, the rest from 3, 4
//! await g.interpolate(1, 2, 24);     // 24 frames from seed 1 to seed 2
//! const [s, t] = [await g.styles([7]), await g.styles([3])]; // faces as styles, as a projection gives them
//! await g.drawStyles(s, 0.7); await g.mixStyles(s, t, 4); await g.interpolateStyles(s, t, 24);
//! encodeGif(frames, 32, 32, 24, 80, 4); // → the bytes of a looping GIF
//!
//! // a text-to-image bundle:
//! g.tokenize("five pink petals 🌸");    // {words, unknown, symbols, notices: ["ignored 1 symbol (🌸)"]}
//! await g.drawText("five pink petals", [0, 1, 2, 3]); // 4 flowers, concatenated RGBA
//! await g.interpolateText("a red flower", "a blue flower", 12, 0); // 12 frames, noise of seed 0
//!
//! // a translation bundle (CycleGAN, DiscoGAN): info().config names domain_a and domain_b
//! await g.translate(pngOrJpegBytes, "a-to-b"); // the picture in the other domain, RGBA
//!
//! // a PixelRNN bundle: pixels are integers below info().config.levels, C × H × W
//! const job = g.complete(pixels, 14 * 28, [0, 1, 2, 3]); // keep 14 rows, one completion per seed
//! while (!job.finished()) draw(job.advance(28));       // 28 more pixels of each, RGBA of all
//! await g.nll(job.values());                            // each completion's −ln p in nats
//! job.free();
//! ```

use std::cell::RefCell;
use std::rc::Rc;

use burn::prelude::*;
use js_sys::{Promise, Uint8ClampedArray};
use wasm_bindgen::prelude::*;
use serde::Serialize;
use wasm_bindgen_futures::future_to_promise;

use crate::bundle::{self, Manifest};
use crate::image::ImageBatch;
use crate::latent::latents_tensor;
use crate::models::pixelrnn::{self, CellSampler, Completion};
use crate::models::{Ability, AnyGenerator, Direction, Input, ModelConfig};

thread_local! {
    /// The WebGPU device, initialised once per page (or the reason it could not be).
    static WEBGPU: RefCell<Option<Result<Device, String>>> = const { RefCell::new(None) };
}

unsafe extern "C" {
    /// The linker's function that runs the static constructors (they fill cubecl's registries,
    /// which the WebGPU backend reads).
    fn __wasm_call_ctors();
}

/// Runs the static constructors, once per module. A module that never calls
/// `__wasm_call_ctors` itself is linked as a "command", and the linker then runs every
/// constructor again at the start of every call into the module: each `generate` and each
/// promise callback paid for it (measured: without the repeats, a StyleGAN-32 face on WebGPU
/// went from 1,119 to 112 ms and a DCGAN-32 face on the CPU got ~3× faster). Called from [`start`] and, for a host that
/// never runs the start function (the wasm-bindgen test runner), before WebGPU starts.
fn run_constructors_once() {
    static DONE: std::sync::Once = std::sync::Once::new();
    DONE.call_once(|| unsafe { __wasm_call_ctors() });
}

#[wasm_bindgen(start)]
pub fn start() {
    run_constructors_once();
    console_error_panic_hook::set_once();
}

fn has_navigator_gpu() -> bool {
    let global = js_sys::global();
    js_sys::Reflect::get(&global, &"navigator".into())
        .and_then(|n| js_sys::Reflect::get(&n, &"gpu".into()))
        .is_ok_and(|gpu| !gpu.is_undefined() && !gpu.is_null())
}

/// The page's WebGPU device, started on the first call and the same one after (WebGPU starts
/// once per page), or why this browser has none.
pub async fn webgpu_device() -> Result<Device, String> {
    if let Some(cached) = WEBGPU.with(|c| c.borrow().clone()) {
        return cached;
    }
    run_constructors_once();
    let result = if has_navigator_gpu() {
        Device::wgpu_options().init_async().await.map_err(|e| match e.to_string() {
            text if text.starts_with("No adapter") => {
                "this browser has WebGPU but no usable graphics adapter (disabled, blocklisted or no GPU)".to_string()
            }
            text => format!("WebGPU could not start ({text})"),
        })
    } else {
        Err("this browser exposes no WebGPU (navigator.gpu is missing)".to_string())
    };
    WEBGPU.with(|c| *c.borrow_mut() = Some(result.clone()));
    result
}

/// The device for a backend request: `auto` (WebGPU, else CPU with a notice), `webgpu`, `cpu`.
pub(crate) async fn pick_device(backend: &str) -> Result<(Device, &'static str, Option<String>), String> {
    match backend {
        "cpu" => Ok((Device::flex(), "cpu", None)),
        "webgpu" => webgpu_device().await.map(|d| (d, "webgpu", None)),
        "auto" | "" => Ok(match webgpu_device().await {
            Ok(d) => (d, "webgpu", None),
            Err(why) => (Device::flex(), "cpu", Some(format!("{why}: running on the CPU instead."))),
        }),
        other => Err(format!("unknown backend `{other}`: use \"auto\", \"webgpu\" or \"cpu\"")),
    }
}

struct Inner {
    manifest: Manifest,
    model: AnyGenerator,
    device: Device,
    backend: &'static str,
    notice: Option<String>,
    /// A PixelRNN's sampler. It runs on the CPU whatever the device: a pixel is a few small
    /// matrix–vector products, each after the last, where a GPU's launch latency would dominate.
    sampler: Option<Rc<CellSampler>>,
}

/// A loaded generator on one device.
#[wasm_bindgen]
pub struct Generator {
    inner: Rc<Inner>,
}

fn seed_from_js(seed: f64) -> Result<u64, String> {
    if seed.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(&seed) {
        Ok(seed as u64)
    } else {
        Err(format!("seed must be a whole number from 0 to 2^53 − 1, got {seed}"))
    }
}

pub(crate) fn seeds_from_js(seeds: &[f64]) -> Result<Vec<u64>, String> {
    let seeds = seeds.iter().map(|&s| seed_from_js(s)).collect::<Result<Vec<_>, _>>()?;
    if seeds.is_empty() || seeds.len() > 256 {
        return Err("give between 1 and 256 seeds".into());
    }
    Ok(seeds)
}

/// ψ from JavaScript: absent means 1 (no truncation).
fn psi_from_js(psi: Option<f32>) -> Result<f32, String> {
    match psi {
        None => Ok(1.0),
        Some(p) if (0.0..=1.0).contains(&p) => Ok(p),
        Some(p) => Err(format!("truncation ψ must be between 0 and 1, got {p}")),
    }
}

/// A value as the plain object `JSON.parse` makes of its JSON (through serde_json, which the
/// bundle code compiles anyway; a second serializer straight to JS values was 8 kB of the
/// gzipped wasm).
fn to_js(value: &impl Serialize) -> Result<JsValue, JsError> {
    json_value(value).map_err(|e| JsError::new(&e))
}

/// [`to_js`] with the error as text (for a promise's rejection).
pub(crate) fn json_value(value: &impl Serialize) -> Result<JsValue, String> {
    let json = serde_json::to_string(value).map_err(|e| e.to_string())?;
    js_sys::JSON::parse(&json).map_err(|_| "the value serialized to invalid JSON".to_string())
}

/// Concatenated RGBA bytes of every image of a batch.
pub(crate) fn rgba_all(images: &ImageBatch) -> Uint8ClampedArray {
    let bytes: Vec<u8> = (0..images.n).flat_map(|i| images.rgba(i)).collect();
    Uint8ClampedArray::from(bytes.as_slice())
}

/// A tensor's values read back without blocking (a WebGPU page cannot wait for the GPU); `what`
/// names them in the error.
pub(crate) async fn read_floats<const D: usize>(t: Tensor<D>, what: &str) -> Result<Vec<f32>, String> {
    let data = t.into_data_async().await.map_err(|e| format!("reading {what} back failed: {e:?}"))?;
    data.convert::<f32>().try_to_vec::<f32>().map_err(|e| format!("{what}: {e:?}"))
}

/// Images `[N, 3, R, R]` read back without blocking (a WebGPU page cannot wait for the GPU).
pub(crate) async fn read_images(images: Tensor<4>) -> Result<ImageBatch, String> {
    let data = images.into_data_async().await.map_err(|e| format!("reading the image back failed: {e:?}"))?;
    ImageBatch::from_data(data)
}

impl Inner {
    async fn read(&self, images: Tensor<4>) -> Result<ImageBatch, String> {
        read_images(images).await
    }

    /// `Ok` when the model declares `ability`; else a message naming the bundle, the ability
    /// and the families that have it.
    fn require(&self, ability: Ability) -> Result<(), String> {
        self.manifest.config.require(ability).map_err(|e| format!("{}: {e}", self.manifest.name))
    }

    /// `Ok` when the caller's `given` inputs are all the model takes.
    fn require_inputs(&self, given: &[Input]) -> Result<(), String> {
        self.manifest.config.require_inputs(given).map_err(|e| format!("{}: {e}", self.manifest.name))
    }

    /// The latent size of a model that takes a seed.
    fn latent(&self) -> usize {
        self.manifest.latent.expect("a model that takes a seed has a latent")
    }

    /// Images `[N, 3, R, R]` for the seeds, read back asynchronously.
    async fn images(&self, seeds: &[u64], psi: f32) -> Result<ImageBatch, String> {
        self.require_inputs(&[Input::Seed])?;
        if psi != 1.0 {
            self.require(Ability::Truncation)?;
        }
        let latents = latents_tensor(seeds, self.latent(), &self.device);
        self.read(self.model.generate(latents, psi)?).await
    }
}

pub(crate) fn promise<T: Into<JsValue>>(future: impl std::future::Future<Output = Result<T, String>> + 'static) -> Promise {
    future_to_promise(async move { future.await.map(Into::into).map_err(|e| JsError::new(&e).into()) })
}

// `Generator`'s methods by concern: each concern's Rust side (for Rust callers and the browser
// tests), then the JS methods that wrap it.

/// Loading: what `fromBytes` wraps, for Rust callers and the browser tests.
impl Generator {
    pub async fn load(manifest: &[u8], weights: &[u8], backend: &str) -> Result<Generator, String> {
        let manifest = Manifest::parse(manifest).map_err(|e| e.to_string())?;
        let (device, backend, notice) = pick_device(backend).await?;
        let model = bundle::load_generator(&manifest, weights, &device).map_err(|e| e.to_string())?;
        let model = if backend == "webgpu" { model.with_channels_last_weights() } else { model };
        let sampler = match &manifest.config {
            // the sampler reads the weights synchronously, which only the CPU device can do
            ModelConfig::Pixelrnn(_) if backend == "cpu" => Some(Rc::new(CellSampler::new(model.pixels()?))),
            ModelConfig::Pixelrnn(_) => {
                let on_cpu = bundle::load_generator(&manifest, weights, &Device::flex()).map_err(|e| e.to_string())?;
                Some(Rc::new(CellSampler::new(on_cpu.pixels()?)))
            }
            _ => None,
        };
        Ok(Generator { inner: Rc::new(Inner { manifest, model, device, backend, notice, sampler }) })
    }

    fn share(&self) -> Generator {
        Generator { inner: self.inner.clone() }
    }
}

/// Loading, and what the bundle is and runs on.
#[wasm_bindgen]
impl Generator {
    /// Loads a bundle from its `manifest.json` and weights bytes onto `backend`
    /// (`"auto"`, `"webgpu"` or `"cpu"`). Rejects with an `Error` saying what is wrong when
    /// the checksum, format or architecture does not match.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(manifest: Vec<u8>, weights: Vec<u8>, backend: String) -> Promise {
        promise(async move { Generator::load(&manifest, &weights, &backend).await })
    }

    /// `"webgpu"` or `"cpu"`.
    pub fn backend(&self) -> String {
        self.inner.backend.to_string()
    }

    /// Why `auto` fell back to the CPU, if it did.
    pub fn notice(&self) -> Option<String> {
        self.inner.notice.clone()
    }

    /// The bundle's manifest as a plain object.
    pub fn info(&self) -> Result<JsValue, JsError> {
        to_js(&self.inner.manifest)
    }

    /// Output side in pixels.
    pub fn resolution(&self) -> usize {
        self.inner.manifest.resolution
    }
}

/// Images by seed, from the seeds' latents: what `generate` and `generateRaw` wrap.
impl Generator {
    /// Images `[N, 3, R, R]` in [-1, 1] for the seeds (whole numbers 0 ≤ seed < 2^53), with
    /// truncation ψ (None: 1).
    pub async fn images(&self, seeds: &[f64], psi: Option<f32>) -> Result<ImageBatch, String> {
        self.inner.images(&seeds_from_js(seeds)?, psi_from_js(psi)?).await
    }
}

/// Images by seed (with truncation ψ).
#[wasm_bindgen]
impl Generator {
    /// The image a seed names, as RGBA bytes (`resolution² × 4`) for `new ImageData(...)`,
    /// with truncation ψ in [0, 1] (default 1: none; 0: the average face).
    pub fn generate(&self, seed: f64, psi: Option<f32>) -> Promise {
        let this = self.share();
        promise(async move { Ok(rgba_all(&this.images(&[seed], psi).await?)) })
    }

    /// Raw generator output for several seeds, `[N, 3, R, R]` floats in [-1, 1] (parity tests).
    #[wasm_bindgen(js_name = generateRaw)]
    pub fn generate_raw(&self, seeds: Vec<f64>, psi: Option<f32>) -> Promise {
        let this = self.share();
        promise(async move { Ok(js_sys::Float32Array::from(this.images(&seeds, psi).await?.data.as_slice())) })
    }
}

/// Style controls, mixing and interpolation between seeds: what `mix` and `interpolate` wrap.
impl Generator {
    /// Style-mixed images: pair i takes styles `0..crossover` from `coarse[i]`, the rest from
    /// `fine[i]`.
    pub async fn mixed(&self, coarse: &[f64], fine: &[f64], crossover: usize, psi: Option<f32>) -> Result<ImageBatch, String> {
        let (coarse, fine) = (seeds_from_js(coarse)?, seeds_from_js(fine)?);
        if coarse.len() != fine.len() {
            return Err(format!("give as many coarse seeds as fine ones ({} vs {})", coarse.len(), fine.len()));
        }
        self.inner.require(Ability::Mixing)?;
        let z = self.inner.latent();
        let device = &self.inner.device;
        let images = self.inner.model.mix(latents_tensor(&coarse, z, device), latents_tensor(&fine, z, device), crossover, psi_from_js(psi)?)?;
        self.inner.read(images).await
    }

    /// `frames` images on the way from seed `a` to seed `b` (both ends included).
    pub async fn interpolation(&self, a: f64, b: f64, frames: usize, psi: Option<f32>) -> Result<ImageBatch, String> {
        if !(2..=120).contains(&frames) {
            return Err(format!("an interpolation has 2 to 120 frames, got {frames}"));
        }
        self.inner.require(Ability::Interpolation)?;
        let psi = psi_from_js(psi)?;
        let z = self.inner.latent();
        let (za, zb) = (crate::latent::latent_for_seed(seed_from_js(a)?, z), crate::latent::latent_for_seed(seed_from_js(b)?, z));
        let ts: Vec<f32> = (0..frames).map(|i| i as f32 / (frames - 1) as f32).collect();
        let mut all = Vec::new();
        // in chunks, so that long animations of large models do not need one huge batch
        for chunk in ts.chunks(16) {
            let images = self.inner.read(self.inner.model.interpolate(&za, &zb, chunk, psi, &self.inner.device)?).await?;
            all.extend(images.data);
        }
        let r = self.inner.manifest.resolution;
        Ok(ImageBatch { data: all, n: frames, h: r, w: r })
    }
}

/// Style controls: style mixing and interpolation between seeds (with truncation ψ).
#[wasm_bindgen]
impl Generator {
    /// Style inputs of a model that declares mixing (StyleGAN: two per resolution); undefined
    /// for the others (`info().abilities` says which can mix).
    #[wasm_bindgen(js_name = numStyles)]
    pub fn num_styles(&self) -> Option<usize> {
        self.inner.require(Ability::Mixing).and_then(|()| self.inner.model.num_styles()).ok()
    }

    /// Style mixing, pair by pair: styles `0..crossover` (coarse: pose, face shape) from
    /// `coarse[i]`, the rest (fine: colours, detail) from `fine[i]`. crossover 0 gives the fine
    /// face, `numStyles()` the coarse one. Concatenated RGBA images. StyleGAN only.
    pub fn mix(&self, coarse: Vec<f64>, fine: Vec<f64>, crossover: usize, psi: Option<f32>) -> Promise {
        let this = self.share();
        promise(async move { Ok(rgba_all(&this.mixed(&coarse, &fine, crossover, psi).await?)) })
    }

    /// `frames` images from seed `a` to seed `b`, concatenated RGBA (StyleGAN: through W;
    /// DCGAN: spherical in z).
    pub fn interpolate(&self, a: f64, b: f64, frames: usize, psi: Option<f32>) -> Promise {
        let this = self.share();
        promise(async move { Ok(rgba_all(&this.interpolation(a, b, frames, psi).await?)) })
    }
}

/// Faces as styles (StyleGAN): a face found by projecting a photo has no seed, so ψ, mixing and
/// the walk take styles too. What `styles`, `drawStyles`, `mixStyles` and `interpolateStyles` wrap.
impl Generator {
    /// Styles from JavaScript: `n × L × W` finite numbers (1 ≤ n ≤ 256), as `[n, L, W]`.
    fn styles_tensor(&self, values: &[f32]) -> Result<Tensor<3>, String> {
        self.inner.require(Ability::Mixing)?;
        let [l, d] = self.inner.model.style_shape()?;
        let n = values.len() / (l * d);
        if values.len() % (l * d) != 0 || !(1..=256).contains(&n) {
            return Err(format!("styles are {l} × {d} numbers per face, for 1 to 256 faces; got {} numbers", values.len()));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(format!("styles must be finite numbers; number {i} is {}", values[i]));
        }
        Ok(Tensor::from_data(TensorData::new(values.to_vec(), [n, l, d]), &self.inner.device))
    }

    /// The styles of the seeds' faces, `n × L × W` numbers (untruncated).
    pub async fn seed_styles(&self, seeds: &[f64]) -> Result<Vec<f32>, String> {
        self.inner.require(Ability::Mixing)?;
        let latents = latents_tensor(&seeds_from_js(seeds)?, self.inner.latent(), &self.inner.device);
        read_floats(self.inner.model.styles(latents)?, "the styles").await
    }

    /// The faces of `styles` (`n × L × W` numbers) with truncation ψ.
    pub async fn style_images(&self, styles: &[f32], psi: Option<f32>) -> Result<ImageBatch, String> {
        let psi = psi_from_js(psi)?;
        self.inner.read(self.inner.model.from_styles(self.styles_tensor(styles)?, psi)?).await
    }

    /// [`Self::mixed`] of styles: as many coarse faces as fine ones.
    pub async fn mixed_styles(&self, coarse: &[f32], fine: &[f32], crossover: usize, psi: Option<f32>) -> Result<ImageBatch, String> {
        let (coarse, fine) = (self.styles_tensor(coarse)?, self.styles_tensor(fine)?);
        if coarse.dims()[0] != fine.dims()[0] {
            return Err(format!("give as many coarse faces as fine ones ({} vs {})", coarse.dims()[0], fine.dims()[0]));
        }
        self.inner.read(self.inner.model.mix_styles(coarse, fine, crossover, psi_from_js(psi)?)?).await
    }

    /// [`Self::interpolation`] from the face of styles `a` to that of `b` (one face each).
    pub async fn style_interpolation(&self, a: &[f32], b: &[f32], frames: usize, psi: Option<f32>) -> Result<ImageBatch, String> {
        if !(2..=120).contains(&frames) {
            return Err(format!("an interpolation has 2 to 120 frames, got {frames}"));
        }
        let psi = psi_from_js(psi)?;
        let (a, b) = (self.styles_tensor(a)?, self.styles_tensor(b)?);
        if a.dims()[0] != 1 || b.dims()[0] != 1 {
            return Err("an interpolation goes from one face's styles to one other's".into());
        }
        let ts: Vec<f32> = (0..frames).map(|i| i as f32 / (frames - 1) as f32).collect();
        let mut all = Vec::new();
        for chunk in ts.chunks(16) {
            let images = self.inner.read(self.inner.model.interpolate_styles(a.clone(), b.clone(), chunk, psi)?).await?;
            all.extend(images.data);
        }
        let r = self.inner.manifest.resolution;
        Ok(ImageBatch { data: all, n: frames, h: r, w: r })
    }
}

/// Faces as styles (StyleGAN), e.g. a projection's (`Projector.styles()`).
#[wasm_bindgen]
impl Generator {
    /// The styles of the seeds' faces: a Float32Array of `n × numStyles() × W` numbers.
    pub fn styles(&self, seeds: Vec<f64>) -> Promise {
        let this = self.share();
        promise(async move { Ok(js_sys::Float32Array::from(this.seed_styles(&seeds).await?.as_slice())) })
    }

    /// The faces of `styles` (`n × numStyles() × W` numbers) with truncation ψ, concatenated RGBA.
    #[wasm_bindgen(js_name = drawStyles)]
    pub fn draw_styles(&self, styles: Vec<f32>, psi: Option<f32>) -> Promise {
        let this = self.share();
        promise(async move { Ok(rgba_all(&this.style_images(&styles, psi).await?)) })
    }

    /// `mix` of faces given as styles (as many coarse faces as fine ones).
    #[wasm_bindgen(js_name = mixStyles)]
    pub fn mix_styles(&self, coarse: Vec<f32>, fine: Vec<f32>, crossover: usize, psi: Option<f32>) -> Promise {
        let this = self.share();
        promise(async move { Ok(rgba_all(&this.mixed_styles(&coarse, &fine, crossover, psi).await?)) })
    }

    /// `interpolate` from the face of styles `a` to that of `b`, concatenated RGBA.
    #[wasm_bindgen(js_name = interpolateStyles)]
    pub fn interpolate_styles(&self, a: Vec<f32>, b: Vec<f32>, frames: usize, psi: Option<f32>) -> Promise {
        let this = self.share();
        promise(async move { Ok(rgba_all(&this.style_interpolation(&a, &b, frames, psi).await?)) })
    }
}

/// Text to image: what `drawText`, `drawTextRaw` and `interpolateText` wrap.
impl Generator {
    /// The text-to-image model and its vocabulary, or why this bundle has none.
    fn text_model(&self) -> Result<(&crate::models::text2image::TextToImage, crate::text::Vocabulary), String> {
        self.inner.require_inputs(&[Input::Text, Input::Seed])?;
        let ModelConfig::Text2image(c) = &self.inner.manifest.config else { unreachable!("only text-to-image models take text") };
        Ok((self.inner.model.text()?, c.vocabulary()))
    }

    /// One flower per seed for `prompt` (any string: see [`crate::text::Tokens::notices`]).
    pub async fn text_images(&self, prompt: &str, seeds: &[f64]) -> Result<ImageBatch, String> {
        let (model, vocabulary) = self.text_model()?;
        let seeds = seeds_from_js(seeds)?;
        let prompts = vec![prompt; seeds.len()];
        let (_, images) = model.draw(&vocabulary, &prompts, &seeds, self.inner.latent(), &self.inner.device);
        self.inner.read(images).await
    }

    /// `frames` flowers on the way from prompt `a` to prompt `b`, all with the noise of `seed`.
    pub async fn text_interpolation(&self, a: &str, b: &str, frames: usize, seed: f64) -> Result<ImageBatch, String> {
        let (model, vocabulary) = self.text_model()?;
        self.inner.require(Ability::TextWalk)?;
        if !(2..=120).contains(&frames) {
            return Err(format!("an interpolation has 2 to 120 frames, got {frames}"));
        }
        let seed = seed_from_js(seed)?;
        let ts: Vec<f32> = (0..frames).map(|i| i as f32 / (frames - 1) as f32).collect();
        let mut all = Vec::new();
        for chunk in ts.chunks(16) {
            let images = model.interpolate(&vocabulary, a, b, chunk, seed, self.inner.latent(), &self.inner.device);
            all.extend(self.inner.read(images).await?.data);
        }
        let r = self.inner.manifest.resolution;
        Ok(ImageBatch { data: all, n: frames, h: r, w: r })
    }
}

/// Text to image: the tokenizer's reading of a prompt, flowers by prompt and seed, walks between prompts.
#[wasm_bindgen]
impl Generator {
    /// What a text-to-image model will read of `prompt`: `{words, unknown, symbols, cut_chars,
    /// cut_words, ids, notices}`; the notices are sentences for the page ("ignored 2 unknown
    /// words: …", "truncated at 200 characters (35 cut)").
    pub fn tokenize(&self, prompt: String) -> Result<JsValue, JsError> {
        let (_, vocabulary) = self.text_model().map_err(|e| JsError::new(&e))?;
        let tokens = vocabulary.tokenize(&prompt);
        let notices = tokens.notices();
        to_js(&serde_json::json!({ "tokens": tokens, "notices": notices }))
    }

    /// One flower per seed for `prompt`, concatenated RGBA (text-to-image models).
    #[wasm_bindgen(js_name = drawText)]
    pub fn draw_text(&self, prompt: String, seeds: Vec<f64>) -> Promise {
        let this = self.share();
        promise(async move { Ok(rgba_all(&this.text_images(&prompt, &seeds).await?)) })
    }

    /// Raw generator output for the seeds, `[N, 3, R, R]` floats in [-1, 1] (parity tests, the
    /// benchmark's comparison with ONNX Runtime).
    #[wasm_bindgen(js_name = drawTextRaw)]
    pub fn draw_text_raw(&self, prompt: String, seeds: Vec<f64>) -> Promise {
        let this = self.share();
        promise(async move { Ok(js_sys::Float32Array::from(this.text_images(&prompt, &seeds).await?.data.as_slice())) })
    }

    /// `frames` flowers from prompt `a` to prompt `b` with the noise of `seed`, concatenated RGBA.
    #[wasm_bindgen(js_name = interpolateText)]
    pub fn interpolate_text(&self, a: String, b: String, frames: usize, seed: f64) -> Promise {
        let this = self.share();
        promise(async move { Ok(rgba_all(&this.text_interpolation(&a, &b, frames, seed).await?)) })
    }
}

/// Translation of an image file: what `translate`, `roundTrip` and `translateRaw` wrap.
impl Generator {
    /// An image file (PNG or JPEG; cropped to a square, scaled to the model's resolution,
    /// transparency on white: the path training reads images through) translated `direction`
    /// (`a-to-b` or `b-to-a`), `[1, 3, R, R]`.
    pub async fn translated(&self, file: &[u8], direction: &str) -> Result<ImageBatch, String> {
        let (images, direction) = self.to_translate(file, direction)?;
        self.inner.read(self.inner.model.translate(images, direction)?).await
    }

    /// As [`Self::translated`], and that translation translated back: `[2, 3, R, R]` (there, back).
    pub async fn round_trip(&self, file: &[u8], direction: &str) -> Result<ImageBatch, String> {
        let (images, direction) = self.to_translate(file, direction)?;
        let there = self.inner.model.translate(images, direction)?; // [1, 3, R, R]
        let back = self.inner.model.translate(there.clone(), direction.opposite())?;
        self.inner.read(Tensor::cat(vec![there, back], 0)).await
    }

    fn to_translate(&self, file: &[u8], direction: &str) -> Result<(Tensor<4>, Direction), String> {
        self.inner.require_inputs(&[Input::Image])?;
        let direction = Direction::from_name(direction)?;
        let r = self.inner.manifest.resolution;
        let chw = crate::image::decode_to_chw(file, r).map_err(|e| format!("cannot translate this file: {e}"))?;
        Ok((Tensor::<4>::from_data(TensorData::new(chw, [1, 3, r, r]), &self.inner.device), direction)) // [1, 3, R, R]
    }
}

/// Translation of an image file to the other domain (and back).
#[wasm_bindgen]
impl Generator {
    /// An image file (PNG, JPEG) in the other domain (`"a-to-b"` or `"b-to-a"`), RGBA
    /// (`resolution² × 4`). Translation bundles only.
    pub fn translate(&self, file: Vec<u8>, direction: String) -> Promise {
        let this = self.share();
        promise(async move { Ok(rgba_all(&this.translated(&file, &direction).await?)) })
    }

    /// The translation and the way back (`direction`, then the opposite one): two RGBA images.
    #[wasm_bindgen(js_name = roundTrip)]
    pub fn round_trip_js(&self, file: Vec<u8>, direction: String) -> Promise {
        let this = self.share();
        promise(async move { Ok(rgba_all(&this.round_trip(&file, &direction).await?)) })
    }

    /// The raw translation, `[1, 3, R, R]` floats in [-1, 1] (parity tests).
    #[wasm_bindgen(js_name = translateRaw)]
    pub fn translate_raw(&self, file: Vec<u8>, direction: String) -> Promise {
        let this = self.share();
        promise(async move { Ok(js_sys::Float32Array::from(this.translated(&file, &direction).await?.data.as_slice())) })
    }
}

/// PixelRNN completion and likelihood: what `complete`, `nll` and `probabilities` wrap.
impl Generator {
    /// A PixelRNN's config, or why this bundle is not one.
    fn pixel_config(&self) -> Result<&pixelrnn::PixelRnnConfig, String> {
        self.inner.require_inputs(&[Input::PartialImage, Input::Seed])?;
        let ModelConfig::Pixelrnn(c) = &self.inner.manifest.config else { unreachable!("only PixelRNNs take a partial image") };
        Ok(c)
    }

    /// `pixels`, `count` images `[C, H, W]` of integers below the model's levels, as floats; an
    /// error says which pixel is out of range or how many values were expected.
    fn pixel_values(&self, pixels: &[u8], count: Option<usize>) -> Result<Vec<f32>, String> {
        let c = self.pixel_config()?;
        let plane = c.colours * c.resolution * c.resolution;
        let n = pixels.len() / plane.max(1);
        if pixels.is_empty() || pixels.len() % plane != 0 || count.is_some_and(|k| k != n) {
            let images = count.map_or("whole images".to_string(), |k| format!("{k} image{}", if k == 1 { "" } else { "s" }));
            return Err(format!("expected {images} of {} × {} × {} pixel values ({plane} each), got {} values", c.colours, c.resolution, c.resolution, pixels.len()));
        }
        if let Some((i, v)) = pixels.iter().enumerate().find(|(_, v)| **v as usize >= c.levels) {
            return Err(format!("pixel value {i} is {v}, but this model's pixels are integers from 0 to {} ({})", c.levels - 1, if c.levels == 2 { "binary" } else { "8-bit" }));
        }
        Ok(pixels.iter().map(|&v| v as f32).collect())
    }

    /// One completion of `pixels` (one image `[C, H, W]`) per seed, keeping its first `known`
    /// pixels in raster order; nothing is drawn until [`Completions::advance`].
    pub fn completions(&self, pixels: &[u8], known: usize, seeds: &[f64]) -> Result<Completions, String> {
        let image = self.pixel_values(pixels, Some(1))?;
        let c = self.pixel_config()?;
        let total = c.resolution * c.resolution;
        if known > total {
            return Err(format!("known must be at most {total} (every pixel of a {0}×{0} image), got {known}", c.resolution));
        }
        let sampler = self.inner.sampler.clone().expect("a PixelRNN bundle has its sampler");
        let jobs = seeds_from_js(seeds)?.into_iter().map(|seed| sampler.start(&image, c.resolution, known, crate::latent::Rng::new(seed))).collect();
        Ok(Completions { sampler, jobs, colours: c.colours, levels: c.levels, total })
    }

    /// −ln p of each image of `pixels` in nats, from a full pass of the network on the device.
    pub async fn nll(&self, pixels: &[u8]) -> Result<Vec<f32>, String> {
        let x = self.pixel_tensor(pixels)?;
        let nats = crate::losses::pixel_nll(self.inner.model.pixels()?.forward(x.clone()), x);
        read_floats(nats, "the likelihood").await
    }

    /// The distribution of every pixel given those before it, `[N, C, L, H, W]` (L = 1: the
    /// probability of a 1; else the probabilities of the L values), from a full pass on the device.
    pub async fn probabilities(&self, pixels: &[u8]) -> Result<Vec<f32>, String> {
        let logits = self.inner.model.pixels()?.forward(self.pixel_tensor(pixels)?);
        let p = if logits.dims()[2] == 1 { burn::tensor::activation::sigmoid(logits) } else { burn::tensor::activation::softmax(logits, 2) };
        read_floats(p, "the probabilities").await
    }

    fn pixel_tensor(&self, pixels: &[u8]) -> Result<Tensor<4>, String> {
        let values = self.pixel_values(pixels, None)?;
        let c = self.pixel_config()?;
        let n = values.len() / (c.colours * c.resolution * c.resolution);
        Ok(Tensor::from_data(TensorData::new(values, [n, c.colours, c.resolution, c.resolution]), &self.inner.device)) // [N, C, H, W]
    }
}

/// PixelRNN completion of a partial image, and likelihoods.
#[wasm_bindgen]
impl Generator {
    /// One completion per seed of `pixels` (one image, `C × H × W` integers below the model's
    /// levels, row by row), keeping its first `known` pixels in raster order (the page keeps
    /// whole rows: `rows × width`). Draw them with `advance`; `free()` it when done. PixelRNN
    /// bundles only.
    pub fn complete(&self, pixels: Vec<u8>, known: usize, seeds: Vec<f64>) -> Result<Completions, JsError> {
        self.completions(&pixels, known, &seeds).map_err(|e| JsError::new(&e))
    }

    /// −ln p in nats of each image of `pixels` (`N × C × H × W` integers), a Float32Array; on
    /// the device (WebGPU or the CPU).
    #[wasm_bindgen(js_name = nll)]
    pub fn nll_js(&self, pixels: Vec<u8>) -> Promise {
        let this = self.share();
        promise(async move { Ok(js_sys::Float32Array::from(this.nll(&pixels).await?.as_slice())) })
    }

    /// Every pixel's distribution given those before it, `[N, C, L, H, W]` floats (parity tests).
    #[wasm_bindgen(js_name = probabilities)]
    pub fn probabilities_js(&self, pixels: Vec<u8>) -> Promise {
        let this = self.share();
        promise(async move { Ok(js_sys::Float32Array::from(this.probabilities(&pixels).await?.as_slice())) })
    }
}

/// PixelRNN completions under way, one per seed (`Generator.complete`), drawn on the CPU.
#[wasm_bindgen]
pub struct Completions {
    sampler: Rc<CellSampler>,
    jobs: Vec<Completion>,
    colours: usize,
    levels: usize,
    total: usize,
}

#[wasm_bindgen]
impl Completions {
    /// Draws up to `pixels` more pixels of every completion (raster order) and returns all of
    /// them as they stand, RGBA one after another (pixels not drawn yet show as they were given).
    pub fn advance(&mut self, pixels: usize) -> Uint8ClampedArray {
        for job in &mut self.jobs {
            self.sampler.advance(job, pixels);
        }
        self.rgba()
    }

    /// The completions as they stand, RGBA one after another.
    pub fn rgba(&self) -> Uint8ClampedArray {
        let side = self.jobs[0].width;
        let values: Vec<f32> = self.jobs.iter().flat_map(|j| j.image.iter().copied()).collect();
        rgba_all(&ImageBatch { data: pixelrnn::as_rgb(&values, self.colours, self.levels, side * side), n: self.jobs.len(), h: side, w: side })
    }

    /// The completions' pixel values, `N × C × H × W` integers (for `nll`, and the tests).
    pub fn values(&self) -> Vec<u8> {
        self.jobs.iter().flat_map(|j| j.image.iter().map(|&v| v as u8)).collect()
    }

    /// Pixels done of each (raster order, the kept ones included).
    pub fn done(&self) -> usize {
        self.jobs[0].done()
    }

    /// Pixels of each image.
    pub fn total(&self) -> usize {
        self.total
    }

    pub fn finished(&self) -> bool {
        self.jobs[0].finished()
    }
}

/// A looping animated GIF from `count` RGBA frames of `width`×`height` (concatenated), each
/// enlarged `scale`× and shown `delay_ms` milliseconds.
#[wasm_bindgen(js_name = encodeGif)]
pub fn encode_gif(rgba: &[u8], width: u32, height: u32, count: usize, delay_ms: u32, scale: u32) -> Result<Vec<u8>, JsError> {
    let size = (width * height * 4) as usize;
    if count == 0 || rgba.len() != size * count {
        return Err(JsError::new(&format!("expected {count} frames of {width}×{height} RGBA ({} bytes), got {} bytes", size * count, rgba.len())));
    }
    let frames: Vec<image::RgbaImage> =
        rgba.chunks(size).map(|f| image::RgbaImage::from_raw(width, height, f.to_vec()).expect("chunk has the frame size")).collect();
    crate::image::animated_gif(&frames, delay_ms, scale).map_err(|e| JsError::new(&e))
}

/// The latent vector a seed names (`z` numbers), the same natively and in every browser.
#[wasm_bindgen(js_name = latentForSeed)]
pub fn latent_for_seed(seed: f64, z: usize) -> Result<Vec<f32>, JsError> {
    let seed = seed_from_js(seed).map_err(|e| JsError::new(&e))?;
    if z == 0 || z > 1 << 20 {
        return Err(JsError::new("z must be between 1 and 2^20"));
    }
    Ok(crate::latent::latent_for_seed(seed, z))
}
