//! Training in the browser (wasm32 with the `web-train` feature: the second wasm build,
//! `www/pkg-train/`, which only the training page's worker and the faces page's projection
//! worker fetch; the site's main download does not include it). The DCGAN family of `train
//! dcgan` steps here on the run core as it does natively (`train/dcgan.rs`), on WebGPU or the
//! CPU: the same seed, data and settings give the same weights and losses (tests/web_train.rs).
//! Thin: pictures are decoded by `image.rs`, the weights drawn by `train::fresh`, the step is
//! the family's, the bundle `bundle.rs`'s, the projection `project.rs`'s; values are read back
//! without blocking, since a WebGPU page cannot wait for the GPU.
//!
//! ```js
//! const data = new Images(32);                 // pictures at the model's resolution
//! data.addSheet(pngBytes, 64);                 // the tiles of a sheet of 64-px tiles → how many
//! data.addFile(bytes);                         // one picture (throws, saying why, if unreadable)
//! const t = await Training.start({ width: 32, batch: 16, seed: 0 }, data, "auto"); // WebGPU, else CPU
//! await t.step();                              // {step: 1, losses: {D: …, G: …, "augment p": …}, ms}
//! await t.samples([0, 1, 2, 3]);               // 4 images, concatenated RGBA
//! await t.bundle("my-emoji");                  // {manifest, weights}: what `train sample` opens
//! ```
//!
//! And projection (`project.rs`): a photo's closest face of a StyleGAN bundle, by Adam on the
//! styles, shown as it converges:
//!
//! ```js
//! const p = await Projector.start(manifestBytes, weightsBytes, photoBytes, 200, "auto");
//! await p.steps(10);                           // {step: 10, distance: …, finished: false}
//! await p.image();                             // the face now, RGBA
//! await p.styles();                            // its styles, for Generator.drawStyles and the rest
//! ```
//!
//! Settings are `train dcgan`'s, named as in its `config.json` (`width`, `latent`, `batch_norm`,
//! `loss`, `batch`, `seed`, `lr`, `augment`), each with the same default.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use burn::module::{Module, ModuleMapper, Param};
use burn::prelude::*;
use js_sys::Promise;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::bundle::{self, WeightDtype};
use crate::data::ImageDataset;
use crate::image::ImageBatch;
use crate::losses::GanLoss;
use crate::models::AnyGenerator;
use crate::models::dcgan::DcganConfig;
use crate::models::stylegan::Generator as StyleGenerator;
use crate::project::{ProjectConfig, Projection};
use crate::train::augment::AugmentConfig;
use crate::train::dcgan::{Dcgan, DcganTrainConfig};
use crate::train::{Family, RunState, fresh, first_state};
use crate::web::{json_value, promise, read_floats as read};

/// The most pictures a page trains on. A DCGAN at 32 px learns the look of a few hundred
/// pictures in the minutes a visitor watches; more only costs memory (12 kB each at 32 px):
/// the first ones kept, the rest refused with a message.
pub const MAX_IMAGES: usize = 4096;

/// Pictures to train on, decoded and resized on the way in as `train` decodes files.
#[wasm_bindgen]
pub struct Images {
    images: Vec<Vec<f32>>,
    resolution: usize,
}

impl Images {
    /// No pictures yet, to be made `resolution` px square (the model's: a power of two, 8 to 64).
    pub fn empty(resolution: usize) -> Result<Images, String> {
        if !(8..=64).contains(&resolution) || !resolution.is_power_of_two() {
            return Err(format!("a model in the page is 8, 16, 32 or 64 px, not {resolution}"));
        }
        Ok(Images { images: Vec::new(), resolution })
    }

    fn room(&self) -> Result<usize, String> {
        match MAX_IMAGES.saturating_sub(self.images.len()) {
            0 => Err(format!("already {MAX_IMAGES} pictures, the most a page trains on: the rest are left out")),
            room => Ok(room),
        }
    }

    /// Adds one picture file (PNG or JPEG bytes).
    pub fn add(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.room()?;
        self.images.push(crate::image::decode_to_chw(bytes, self.resolution)?);
        Ok(())
    }

    /// Adds the tiles of a sheet (`image::sheet_to_chw`), as many as there is room for.
    pub fn add_tiles(&mut self, bytes: &[u8], tile: usize) -> Result<usize, String> {
        let room = self.room()?;
        let tiles = crate::image::sheet_to_chw(bytes, tile, self.resolution)?;
        let n = tiles.len().min(room);
        self.images.extend(tiles.into_iter().take(n));
        Ok(n)
    }
}

#[wasm_bindgen]
impl Images {
    /// [`Images::empty`].
    #[wasm_bindgen(constructor)]
    pub fn new(resolution: usize) -> Result<Images, JsError> {
        Images::empty(resolution).map_err(js_error)
    }

    /// Adds one picture; throws, saying why, for bytes that are not a PNG or JPEG picture.
    #[wasm_bindgen(js_name = addFile)]
    pub fn add_file(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        self.add(bytes).map_err(js_error)
    }

    /// Adds the non-blank `tile`-px tiles of a sheet, in reading order; returns how many.
    #[wasm_bindgen(js_name = addSheet)]
    pub fn add_sheet(&mut self, bytes: &[u8], tile: usize) -> Result<usize, JsError> {
        self.add_tiles(bytes, tile).map_err(js_error)
    }

    pub fn count(&self) -> usize {
        self.images.len()
    }

    /// The most pictures a page trains on ([`MAX_IMAGES`]).
    #[wasm_bindgen(js_name = maxCount)]
    pub fn max_count() -> usize {
        MAX_IMAGES
    }

    pub fn resolution(&self) -> usize {
        self.resolution
    }

    /// Picture `i` as RGBA bytes (resolution² × 4), as the model will see it.
    pub fn rgba(&self, i: usize) -> Result<Vec<u8>, JsError> {
        let image = self.images.get(i).ok_or_else(|| JsError::new(&format!("no picture {i}: there are {}", self.images.len())))?;
        Ok(ImageBatch { data: image.clone(), n: 1, h: self.resolution, w: self.resolution }.rgba(0))
    }
}

/// The settings a page may give, each `train dcgan`'s default when left out.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    width: Option<usize>,
    latent: Option<usize>,
    batch_norm: Option<bool>,
    /// vanilla, minimax, lsgan or lsgan-chi2 (`GanLoss::from_name`).
    loss: Option<String>,
    batch: Option<usize>,
    seed: Option<u64>,
    lr: Option<f64>,
    /// DiffAugment + ADA as `train dcgan` runs them by default; false: none.
    augment: Option<bool>,
    /// What the data is, for the bundle's provenance.
    data: Option<String>,
}

impl Settings {
    /// The run's whole configuration, as `train dcgan` would save it in `config.json`.
    pub fn config(&self, resolution: usize) -> Result<DcganTrainConfig, String> {
        let d = DcganConfig::new();
        let model = DcganConfig::new()
            .with_resolution(resolution)
            .with_width(self.width.unwrap_or(d.width))
            .with_latent(self.latent.unwrap_or(d.latent))
            .with_batch_norm(self.batch_norm.unwrap_or(d.batch_norm));
        let loss = GanLoss::from_name(self.loss.as_deref().unwrap_or("lsgan"))?;
        let mut c = DcganTrainConfig::new(model, loss, self.data.clone().unwrap_or_else(|| "pictures given in the page".into()));
        c.run.batch = self.batch.unwrap_or(c.run.batch);
        c.run.seed = self.seed.unwrap_or(c.run.seed);
        c.run.lr = self.lr.unwrap_or(c.run.lr);
        if self.augment == Some(false) {
            c.augment = AugmentConfig::off();
        }
        if c.run.batch == 0 {
            return Err("batch must be at least 1".into());
        }
        Ok(c)
    }
}

/// One step's report.
#[derive(Serialize)]
struct Report {
    step: usize,
    losses: serde_json::Map<String, serde_json::Value>,
    /// Wall time of the step in milliseconds, reading its losses back included.
    ms: f64,
}

/// A DCGAN learning in the page, on the CPU (Flex) or WebGPU.
pub struct Run {
    family: Dcgan,
    config: DcganTrainConfig,
    run: RunState,
    data: ImageDataset,
    backend: &'static str,
    notice: Option<String>,
}

/// `module` with every float tensor (parameters and running statistics) read back into `device`,
/// one tensor at a time, without blocking.
async fn read_module<M: Module>(module: M, device: &Device) -> Result<M, String> {
    struct Place<'a>(std::vec::IntoIter<Vec<f32>>, &'a Device);
    impl ModuleMapper for Place<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let values = self.0.next().expect("the module's tensors, gathered in the same order");
            param.map(|p| Tensor::from_data(TensorData::new(values, p.shape()), self.1))
        }
    }
    let tensors = crate::train::flat_floats(&module);
    let mut values = Vec::with_capacity(tensors.len());
    for t in tensors {
        values.push(read(t, "a tensor").await?);
    }
    Ok(module.map(&mut Place(values.into_iter(), device)))
}

impl Run {
    /// A fresh run on `data` with `settings` on `backend` ("auto": WebGPU, else the CPU with a
    /// notice; "webgpu"; "cpu"): the weights drawn from the seed on the CPU as `train dcgan`
    /// draws them, then copied to the device.
    pub async fn start(settings: &Settings, data: Images, backend: &str) -> Result<Run, String> {
        if data.images.is_empty() {
            return Err("no pictures to train on: add a sheet or some picture files first".into());
        }
        let mut config = settings.config(data.resolution)?;
        let data = ImageDataset::from_images(data.images, data.resolution, config.data.clone());
        let (device, backend, notice) = crate::web::pick_device(backend).await?;
        let device = device.autodiff();
        let seed = config.run.seed;
        let family = fresh::<Dcgan>(&mut config, &device, backend == "cpu", &data, seed)?;
        let run = RunState { dir: PathBuf::new(), state: first_state::<Dcgan>(seed), device };
        Ok(Run { family, config, run, data, backend, notice })
    }

    /// One D and one G step; the losses by name.
    pub async fn step(&mut self) -> Result<crate::train::Losses, String> {
        let step = self.family.step_pending(&mut self.run, &self.config, &self.data);
        self.run.state.step += 1; // the optimizers have stepped, whatever the reads below do
        let (d, g, real) = (read(step.d_loss, "D's loss").await?, read(step.g_loss, "G's loss").await?, read(step.real_out, "D's outputs").await?);
        Ok(self.family.finish(&self.config, d[0], g[0], &real, step.images))
    }

    pub fn steps_done(&self) -> usize {
        self.run.state.step
    }

    /// The generator's pictures for `seeds` (inference mode).
    pub async fn images(&self, seeds: &[u64]) -> Result<ImageBatch, String> {
        crate::web::read_images(self.family.sample_tensor(&self.config, seeds, &self.run.device.clone().inner())).await
    }

    /// The bundle `train export --dtype f32` would write of this run: manifest and weights.
    pub async fn bundle_bytes(&self, name: &str) -> Result<(bundle::Manifest, Vec<u8>), String> {
        let (config, AnyGenerator::Dcgan(generator)) = self.family.export(&self.config) else { unreachable!("a DCGAN exports a DCGAN") };
        let generator = read_module(generator, &Device::flex()).await?;
        let mut provenance = Dcgan::provenance(&self.config, Path::new(""), false);
        provenance.steps = self.run.state.step;
        provenance.tool = format!("ganzoo in the browser {}", crate::train::VERSION);
        Ok(bundle::in_memory(&AnyGenerator::Dcgan(generator), &config, provenance, WeightDtype::F32, name))
    }
}

fn js_error(e: String) -> JsError {
    JsError::new(&e)
}

/// A DCGAN learning in the page (JS handle of a [`Run`]): one call at a time.
#[wasm_bindgen]
pub struct Training {
    run: Rc<RefCell<Run>>,
}

/// Why a call found the run in use.
const BUSY: &str = "the training is busy with another call (a step, the samples or the bundle): await each call before making the next";

impl Training {
    /// The run, to read.
    fn run(&self) -> Result<std::cell::Ref<'_, Run>, JsError> {
        self.run.try_borrow().map_err(|_| JsError::new(BUSY))
    }
}

#[wasm_bindgen]
impl Training {
    /// Starts a run (a Promise of a `Training`): `settings` a plain object (see [`Settings`]),
    /// `data` the pictures (copied), `backend` "auto", "webgpu" or "cpu".
    pub fn start(settings: JsValue, data: &Images, backend: String) -> Result<Promise, JsError> {
        let json = if settings.is_undefined() || settings.is_null() {
            "{}".to_string()
        } else {
            js_sys::JSON::stringify(&settings).map_err(|_| JsError::new("settings must be a plain object"))?.as_string().unwrap_or_default()
        };
        let settings: Settings = serde_json::from_str(&json).map_err(|e| JsError::new(&format!("settings: {e}")))?;
        let images = Images { images: data.images.clone(), resolution: data.resolution };
        Ok(promise(async move { Run::start(&settings, images, &backend).await.map(|run| Training { run: Rc::new(RefCell::new(run)) }) }))
    }

    /// One training step: a Promise of `{step, losses: {D, G, "augment p", …}, ms}`.
    pub fn step(&self) -> Promise {
        let run = self.run.clone();
        promise(async move {
            let mut run = run.try_borrow_mut().map_err(|_| BUSY.to_string())?;
            let t0 = js_sys::Date::now();
            let losses = run.step().await?;
            let losses = losses.into_iter().map(|(name, v)| (name.to_string(), serde_json::Value::from(v as f64))).collect();
            let report = Report { step: run.steps_done(), losses, ms: js_sys::Date::now() - t0 };
            json_value(&report)
        })
    }

    /// Steps taken.
    #[wasm_bindgen(js_name = stepsDone)]
    pub fn steps_done(&self) -> Result<usize, JsError> {
        self.run().map(|r| r.steps_done())
    }

    /// `"webgpu"` or `"cpu"`.
    pub fn backend(&self) -> Result<String, JsError> {
        self.run().map(|r| r.backend.to_string())
    }

    /// Why `auto` fell back to the CPU, if it did.
    pub fn notice(&self) -> Result<Option<String>, JsError> {
        self.run().map(|r| r.notice.clone())
    }

    pub fn resolution(&self) -> Result<usize, JsError> {
        self.run().map(|r| r.data.resolution)
    }

    /// The generator's pictures for `seeds` (whole numbers below 2^53): a Promise of their
    /// concatenated RGBA (a Uint8ClampedArray).
    pub fn samples(&self, seeds: Vec<f64>) -> Promise {
        let run = self.run.clone();
        promise(async move {
            let seeds = crate::web::seeds_from_js(&seeds)?;
            let run = run.try_borrow().map_err(|_| BUSY.to_string())?;
            Ok(crate::web::rgba_all(&run.images(&seeds).await?))
        })
    }

    /// A Promise of `{manifest, weights}`: the bytes of `manifest.json` and
    /// `generator.safetensors`, a bundle named `name` that `train sample` and the faces page open.
    pub fn bundle(&self, name: String) -> Promise {
        let run = self.run.clone();
        promise(async move {
            let run = run.try_borrow().map_err(|_| BUSY.to_string())?;
            let (manifest, weights) = run.bundle_bytes(&name).await?;
            let manifest = serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?;
            let out = js_sys::Object::new();
            js_sys::Reflect::set(&out, &"manifest".into(), &js_sys::Uint8Array::from(manifest.as_slice()))
                .and_then(|_| js_sys::Reflect::set(&out, &"weights".into(), &js_sys::Uint8Array::from(weights.as_slice())))
                .map_err(|_| "cannot build the bundle object".to_string())?;
            Ok(JsValue::from(out))
        })
    }
}

/// A photo being projected onto a StyleGAN bundle's faces in the page (`project.rs`).
pub struct Projecting {
    generator: StyleGenerator,
    projection: Projection,
    backend: &'static str,
    notice: Option<String>,
}

impl Projecting {
    /// Starts projecting `photo` (PNG or JPEG bytes, cropped to its centre square and resized
    /// to the model's side) onto the faces of the StyleGAN bundle (`manifest`, `weights`), in
    /// `steps` steps, on `backend` ("auto", "webgpu" or "cpu").
    pub async fn start(manifest: &[u8], weights: &[u8], photo: &[u8], steps: usize, backend: &str) -> Result<Projecting, String> {
        let manifest = bundle::Manifest::parse(manifest).map_err(|e| e.to_string())?;
        if !matches!(manifest.config, crate::models::ModelConfig::Stylegan(_)) {
            return Err(format!("{} is a {} model: projection finds a StyleGAN's styles, which only a StyleGAN has", manifest.name, manifest.kind));
        }
        let res = manifest.resolution;
        let photo = crate::image::decode_to_chw(photo, res).map_err(|e| format!("the photo: {e}"))?;
        let (device, backend, notice) = crate::web::pick_device(backend).await?;
        let device = device.autodiff();
        let AnyGenerator::Stylegan(generator) = bundle::load_as_trained(&manifest, weights, &device).map_err(|e| e.to_string())? else {
            unreachable!("a StyleGAN config loads a StyleGAN")
        };
        let generator = generator.no_grad();
        let photo = Tensor::<4>::from_data(TensorData::new(photo, [1, 3, res, res]), &device);
        let projection = Projection::new(&generator, photo, ProjectConfig::with_steps(steps))?;
        Ok(Projecting { generator, projection, backend, notice })
    }

    /// Up to `n` more steps; the distance (L1 at full and half resolution) before the last one.
    pub async fn steps(&mut self, n: usize) -> Result<f32, String> {
        let mut last = None;
        for _ in 0..n {
            if self.projection.finished() {
                break;
            }
            last = Some(self.projection.step(&self.generator));
        }
        match last {
            Some(loss) => Ok(read(loss, "the distance").await?[0]),
            None => Err("the projection has taken all its steps".into()),
        }
    }

    /// The face the styles draw now.
    pub async fn image(&self) -> Result<ImageBatch, String> {
        crate::web::read_images(self.projection.image(&self.generator)).await
    }
}

/// A projection in the page (JS handle of a [`Projecting`]): one call at a time.
#[wasm_bindgen]
pub struct Projector {
    inner: Rc<RefCell<Projecting>>,
}

#[wasm_bindgen]
impl Projector {
    /// A Promise of a `Projector` of `photo` (file bytes) onto the StyleGAN bundle's faces.
    pub fn start(manifest: Vec<u8>, weights: Vec<u8>, photo: Vec<u8>, steps: usize, backend: String) -> Promise {
        promise(async move {
            let p = Projecting::start(&manifest, &weights, &photo, steps, &backend).await?;
            Ok(Projector { inner: Rc::new(RefCell::new(p)) })
        })
    }

    /// A Promise of `{step, distance, finished}` after up to `n` more steps.
    pub fn steps(&self, n: usize) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let mut p = inner.try_borrow_mut().map_err(|_| BUSY.to_string())?;
            let distance = p.steps(n).await?;
            #[derive(Serialize)]
            struct Progress {
                step: usize,
                distance: f32,
                finished: bool,
            }
            json_value(&Progress { step: p.projection.steps_done(), distance, finished: p.projection.finished() })
        })
    }

    /// A Promise of the face the styles draw now, as RGBA.
    pub fn image(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let p = inner.try_borrow().map_err(|_| BUSY.to_string())?;
            Ok(crate::web::rgba_all(&p.image().await?))
        })
    }

    /// A Promise of the styles now, a Float32Array of `numStyles × W` numbers: the face, for the
    /// faces page's `Generator.drawStyles`, `mixStyles` and `interpolateStyles`.
    pub fn styles(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let p = inner.try_borrow().map_err(|_| BUSY.to_string())?;
            Ok(js_sys::Float32Array::from(read(p.projection.styles(&p.generator), "the styles").await?.as_slice()))
        })
    }

    /// `"webgpu"` or `"cpu"`.
    pub fn backend(&self) -> Result<String, JsError> {
        self.inner.try_borrow().map(|p| p.backend.to_string()).map_err(|_| JsError::new(BUSY))
    }

    /// Why `auto` fell back to the CPU, if it did.
    pub fn notice(&self) -> Result<Option<String>, JsError> {
        self.inner.try_borrow().map(|p| p.notice.clone()).map_err(|_| JsError::new(BUSY))
    }
}
