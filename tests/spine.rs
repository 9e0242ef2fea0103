//! The native spine end to end: bundles (round trip and every refusal), exact
//! resume, PyTorch import parity and the `train` binary itself.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;

use std::io::Write;
use std::path::Path;

use ganzoo::bundle::{self, BundleError, Manifest, Provenance, WeightDtype};
use ganzoo::burn::prelude::*;
use ganzoo::data::ImageDataset;
use ganzoo::latent::{Rng, latents_tensor};
use ganzoo::losses::GanLoss;
use ganzoo::models::dcgan::DcganConfig;
use ganzoo::models::{AnyGenerator, ModelConfig};
use ganzoo::train::dcgan::{DcganTrainConfig, Trainer};
use ganzoo::train::metrics;

fn tiny() -> DcganConfig {
    DcganConfig::new().with_resolution(16).with_width(8).with_latent(16)
}

fn generate(g: &AnyGenerator, seeds: &[u64], latent: usize) -> Vec<f32> {
    let device = Device::flex();
    let z = latents_tensor(seeds, latent, &device);
    g.generate(z, 1.0).unwrap().into_data().try_to_vec::<f32>().unwrap()
}

/// A generator whose batch norms have non-trivial running statistics (a few training steps).
fn trained_tiny_generator(dir: &Path) -> AnyGenerator {
    let mut config = DcganTrainConfig::new(tiny(), GanLoss::default(), "synthetic".into());
    (config.run.steps, config.run.batch, config.run.sample_every, config.run.checkpoint_every) = (2, 4, 0, 0);
    let data = synthetic_faces(8, 16);
    let mut t = Trainer::open(config, dir, false, &data).unwrap();
    t.train(&data, |_| {}).unwrap();
    t.export().1
}

fn synthetic_faces(n: usize, res: usize) -> ImageDataset {
    let mut rng = Rng::new(99);
    let images = (0..n).map(|_| rng.normals(3 * res * res).iter().map(|v| (v * 0.5).tanh()).collect()).collect();
    ImageDataset::from_images(images, res, "synthetic".into())
}

fn export(g: &AnyGenerator, dir: &Path, dtype: WeightDtype) -> Manifest {
    bundle::export(g, &ModelConfig::Dcgan(tiny()), Provenance::default(), dtype, dir).unwrap()
}

#[test]
fn export_then_load_gives_identical_outputs() {
    let _rng = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let g = trained_tiny_generator(&tmp.path().join("run"));
    let before = generate(&g, &[0, 1, 2], 16);

    // a folder of bundles with an index.json (as www/models/ has): every export lists itself there
    std::fs::create_dir_all(tmp.path().join("models")).unwrap();
    std::fs::write(tmp.path().join("models/index.json"), r#"{"models": []}"#).unwrap();
    let m = export(&g, &tmp.path().join("models/f32"), WeightDtype::F32);
    // read back as trained: the inference loader folds batch norm, which rounds differently (tested below)
    let (loaded_m, loaded) = bundle::load_dir_as_trained(&tmp.path().join("models/f32"), &Device::flex()).unwrap();
    assert_eq!(loaded_m, m);
    assert_eq!(bundle::load_dir(&tmp.path().join("models/f32"), &Device::flex()).unwrap().0, m);
    assert_eq!(generate(&loaded, &[0, 1, 2], 16), before, "f32 bundle reproduces the model exactly");

    let m16 = export(&g, &tmp.path().join("models/f16"), WeightDtype::F16);
    let (_, loaded16) = bundle::load_dir_as_trained(&tmp.path().join("models/f16"), &Device::flex()).unwrap();
    let diff = max_abs_diff(&generate(&loaded16, &[0, 1, 2], 16), &before);
    println!("f16 bundle: max |f16 − f32| = {diff:e}");
    assert!(diff > 0.0 && diff < 3e-5, "f16 weights change outputs a little, not a lot: {diff} (measured 2.7e-6)");
    assert!(m16.weights.bytes * 10 < m.weights.bytes * 6, "f16 roughly halves the file: {} vs {}", m16.weights.bytes, m.weights.bytes);

    // the index lists both bundles for the model picker
    let index: serde_json::Value = serde_json::from_slice(&std::fs::read(tmp.path().join("models/index.json")).unwrap()).unwrap();
    let names: Vec<&str> = index["models"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["f16", "f32"]);
    // the 16-px DCGAN of width 8, latent 16, by hand: 4×4 transposed convs 16 → 16 (1×1 → 4×4)
    // and 16 → 8, batch norm after each (scale, shift and, as burn counts, the running mean and
    // variance), and 8 → RGB
    assert_eq!(m.parameters, 16 * 16 * 16 + 4 * 16 + 16 * 8 * 16 + 4 * 8 + 8 * 3 * 16);
    assert_eq!(m.resolution, 16);
}

fn bundle_dir(tmp: &Path) -> std::path::PathBuf {
    let g = AnyGenerator::Dcgan(tiny().init_generator(&Device::flex()).valid());
    let dir = tmp.join("models/tiny");
    export(&g, &dir, WeightDtype::F32);
    dir
}

#[test]
fn truncated_weights_are_refused_by_checksum() {
    let _rng = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let dir = bundle_dir(tmp.path());
    let w = dir.join(bundle::WEIGHTS_FILE);
    let bytes = std::fs::read(&w).unwrap();
    std::fs::write(&w, &bytes[..bytes.len() / 2]).unwrap();
    match bundle::load_dir(&dir, &Device::flex()) {
        Err(BundleError::Checksum(msg)) => assert!(msg.contains("truncated") && msg.contains("train export"), "{msg}"),
        other => panic!("expected a checksum error, got {:?}", other.map(|(m, _)| m.name)),
    }
}

#[test]
fn a_wrong_sha256_is_refused() {
    let _rng = one_at_a_time(); // bundle_dir draws a generator's weights
    let tmp = tempfile::tempdir().unwrap();
    let dir = bundle_dir(tmp.path());
    let path = dir.join(bundle::MANIFEST_FILE);
    let mut m: Manifest = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    m.weights.sha256 = "0".repeat(64);
    std::fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
    match bundle::load_dir(&dir, &Device::flex()) {
        Err(BundleError::Checksum(msg)) => assert!(msg.contains(&"0".repeat(64)) && msg.contains("download it again"), "{msg}"),
        other => panic!("expected a checksum error, got {:?}", other.map(|(m, _)| m.name)),
    }
}

#[test]
fn weights_of_another_architecture_are_refused() {
    let _rng = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let dir = bundle_dir(tmp.path());
    // Same file, but the manifest now claims width 16: every conv has the wrong shape.
    let path = dir.join(bundle::MANIFEST_FILE);
    let mut m: Manifest = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    m.config = ModelConfig::Dcgan(tiny().with_width(16));
    std::fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
    match bundle::load_dir(&dir, &Device::flex()) {
        Err(BundleError::Architecture(msg)) => assert!(msg.contains("dcgan-16") && msg.contains("re-export"), "{msg}"),
        other => panic!("expected an architecture error, got {:?}", other.map(|(m, _)| m.name)),
    }
    // A manifest that says 32 px while its config says 16 px was edited by hand.
    m.config = ModelConfig::Dcgan(tiny());
    m.resolution = 32;
    std::fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
    assert!(matches!(bundle::load_dir(&dir, &Device::flex()), Err(BundleError::Manifest(_))));
}

#[test]
fn garbage_manifests_and_non_safetensors_are_refused() {
    let _rng = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let dir = bundle_dir(tmp.path());
    let m: Manifest = serde_json::from_slice(&std::fs::read(dir.join(bundle::MANIFEST_FILE)).unwrap()).unwrap();
    assert!(matches!(Manifest::parse(b"{ not json"), Err(BundleError::Manifest(_))));
    let mut other = m.clone();
    other.format = "ganzoo-bundle/99".into();
    assert!(matches!(Manifest::parse(&serde_json::to_vec(&other).unwrap()), Err(BundleError::Manifest(_))));
    // right checksum, wrong content
    let junk = b"definitely not safetensors".to_vec();
    let mut lying = m.clone();
    lying.weights.sha256 = bundle::sha256_hex(&junk);
    assert!(matches!(bundle::load_generator(&lying, &junk, &Device::flex()), Err(BundleError::Weights(_))));
    assert!(matches!(bundle::load_dir(&tmp.path().join("nope"), &Device::flex()), Err(BundleError::Io(_))));
}

fn tiny_run(steps: usize) -> DcganTrainConfig {
    let mut config = DcganTrainConfig::new(tiny(), GanLoss::from_name("vanilla").unwrap(), "synthetic".into());
    (config.run.steps, config.run.batch, config.run.seed, config.run.sample_every, config.run.checkpoint_every) = (steps, 4, 3, 0, 3);
    config
}

#[test]
fn resume_continues_exactly_like_an_uninterrupted_run() {
    let _rng = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let data = synthetic_faces(12, 16);

    let straight = tmp.path().join("straight");
    Trainer::open(tiny_run(7), &straight, false, &data).unwrap().train(&data, |_| {}).unwrap();

    // Stop after 3 steps (a checkpoint), as if killed, then resume to 7.
    let split = tmp.path().join("split");
    Trainer::open(tiny_run(3), &split, false, &data).unwrap().train(&data, |_| {}).unwrap();
    // a torn metrics line from the "kill" must not break the resume
    std::fs::OpenOptions::new().append(true).open(split.join("metrics.jsonl")).unwrap().write_all(b"{\"step\":4,\"d_lo").unwrap();
    assert!(Trainer::open(tiny_run(7), &split, false, &data).err().unwrap().contains("--resume"));
    let mut resumed = Trainer::open(tiny_run(7), &split, true, &data).unwrap();
    assert_eq!(resumed.run.state.step, 3);
    resumed.train(&data, |_| {}).unwrap();

    // killed before its first checkpoint: --resume starts over and forgets the lost steps' metrics
    let early = tmp.path().join("early");
    std::fs::create_dir_all(&early).unwrap();
    std::fs::write(early.join("metrics.jsonl"), "{\"step\":1,\"losses\":{\"D\":1.0,\"G\":1.0},\"images_per_s\":1.0}\n").unwrap();
    assert_eq!(metrics::read(&early.join("metrics.jsonl")).len(), 1);
    let fresh = Trainer::open(tiny_run(2), &early, true, &data).unwrap();
    assert_eq!(fresh.run.state.step, 0);
    assert!(metrics::read(&early.join("metrics.jsonl")).is_empty());

    let a = metrics::read(&straight.join("metrics.jsonl"));
    let b = metrics::read(&split.join("metrics.jsonl"));
    assert_eq!(a.len(), 7);
    assert_eq!(b.len(), 7);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.step, y.step);
        assert_eq!(x.losses, y.losses, "step {}: a resumed run repeats the uninterrupted one exactly", x.step);
    }
    assert!(split.join("loss.png").exists() && split.join("samples.png").exists());
}

#[test]
fn pytorch_import_matches_reference() {
    let _rng = one_at_a_time();
    let checkpoint = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/gan_face_generate/weights.tar");
    // the test command fetches the data first; without it this fails rather than passing unchecked
    assert!(checkpoint.exists(), "{} is absent: run scripts/fetch-data.sh", checkpoint.display());
    let device = Device::flex();
    let (config, g) = ganzoo::import::dcgan_from_pytorch(&checkpoint, "netG_state_dict", &device).unwrap();
    assert_eq!((config.latent, config.width, config.resolution, config.batch_norm), (100, 64, 64, true));

    let fixture = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pytorch_dcgan_reference.bin")).unwrap();
    let u32_at = |i: usize| u32::from_le_bytes(fixture[i..i + 4].try_into().unwrap()) as usize;
    let (n, z, res) = (u32_at(0), u32_at(4), u32_at(8));
    let floats: Vec<f32> = fixture[12..].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    let (latents, expected) = floats.split_at(n * z);
    assert_eq!(expected.len(), n * 3 * res * res);

    let out = g.forward(Tensor::from_data(TensorData::new(latents.to_vec(), [n, z]), &device));
    let got = out.into_data().try_to_vec::<f32>().unwrap();
    let diff = max_abs_diff(&got, expected);
    println!("PyTorch DCGAN import: max |ours − numpy reference| = {diff:e}");
    assert!(diff < 1e-5, "imported generator differs from the reference forward pass by {diff} (measured 1.5e-6)");

    // and the bundle made from it reproduces it within f16 precision
    let tmp = tempfile::tempdir().unwrap();
    let any = AnyGenerator::Dcgan(g);
    bundle::export(&any, &ModelConfig::Dcgan(config), Provenance::default(), WeightDtype::F16, &tmp.path().join("m")).unwrap();
    let (_, loaded) = bundle::load_dir(&tmp.path().join("m"), &device).unwrap();
    let again = loaded.generate(Tensor::from_data(TensorData::new(latents.to_vec(), [n, z]), &device), 1.0).unwrap();
    let f16_diff = max_abs_diff(&again.into_data().try_to_vec::<f32>().unwrap(), expected);
    println!("PyTorch DCGAN as an f16 bundle: max |ours − numpy reference| = {f16_diff:e}");
    assert!(f16_diff < 1e-2, "measured 2.5e-3");
}

#[test]
fn a_non_dcgan_pytorch_file_is_refused_clearly() {
    let _rng = one_at_a_time(); // building or loading a network draws from the shared device RNG
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("junk.pt");
    std::fs::write(&path, b"not a zip").unwrap();
    let err = ganzoo::import::dcgan_from_pytorch(&path, "netG_state_dict", &Device::flex()).unwrap_err();
    assert!(err.contains("cannot read PyTorch checkpoint"), "{err}");
}

#[test]
fn the_train_binary_trains_exports_and_samples() {
    let _rng = one_at_a_time(); // building or loading a network draws from the shared device RNG
    let exe = env!("CARGO_BIN_EXE_train");
    let tmp = tempfile::tempdir().unwrap();
    let images = tmp.path().join("images");
    std::fs::create_dir(&images).unwrap();
    let mut rng = Rng::new(1);
    for i in 0..6 {
        let img = image::RgbImage::from_fn(20, 20, |_, _| image::Rgb([(rng.next_u64() % 256) as u8, 90, 200]));
        img.save(images.join(format!("{i}.png"))).unwrap();
    }
    std::fs::write(images.join("corrupt.jpg"), b"\xff\xd8\xff junk").unwrap();
    let run = tmp.path().join("run");
    let cmd = |args: &[&str]| {
        let out = std::process::Command::new(exe).args(args).output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
    };
    let (ok, log) = cmd(&[
        "dcgan", "--data", images.to_str().unwrap(), "--loss", "lsgan", "--res", "16", "--width", "8", "--latent", "16",
        "--steps", "3", "--batch", "4", "--sample-every", "2", "--out", run.to_str().unwrap(),
    ]);
    assert!(ok, "{log}");
    assert!(log.contains("skipped 1 unreadable"), "{log}");
    assert!(run.join("samples/step-00000002.png").exists() && run.join("loss.png").exists());
    let models = tmp.path().join("www/models/tiny");
    let (ok, log) = cmd(&["export", run.to_str().unwrap(), "--out", models.to_str().unwrap()]);
    assert!(ok, "{log}");
    let (ok, log) = cmd(&["sample", models.to_str().unwrap(), "--seeds", "4,5", "--out", tmp.path().join("s").to_str().unwrap()]);
    assert!(ok, "{log}");
    let png = image::open(tmp.path().join("s/seed-4.png")).unwrap();
    assert_eq!((png.width(), png.height()), (16, 16));
    // sampling the run and the bundle gives the same image for a seed (up to f16 weights)
    let (ok, _) = cmd(&["sample", run.to_str().unwrap(), "--seeds", "4", "--out", tmp.path().join("r").to_str().unwrap()]);
    assert!(ok);
    let a = image::open(tmp.path().join("r/seed-4.png")).unwrap().to_rgb8();
    let b = png.to_rgb8();
    let worst = a.pixels().zip(b.pixels()).flat_map(|(p, q)| (0..3).map(move |c| (p.0[c] as i32 - q.0[c] as i32).abs())).max().unwrap();
    assert!(worst <= 3, "run and f16 bundle differ by {worst}/255");
    // errors are messages, not panics
    let (ok, log) = cmd(&["sample", models.to_str().unwrap(), "--seeds", "x", "--out", "/tmp/none"]);
    assert!(!ok && log.contains("bad seed") && !log.contains("panicked"), "{log}");
    let (ok, log) = cmd(&["dcgan", "--data", "/no/such/dir", "--out", tmp.path().join("x").to_str().unwrap()]);
    assert!(!ok && log.contains("no dataset") && !log.contains("panicked"), "{log}");
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn resuming_keeps_the_flags_given_and_the_run_names_its_family() {
    let _rng = one_at_a_time(); // building or loading a network draws from the shared device RNG
    let tmp = tempfile::tempdir().unwrap();
    let images = tmp.path().join("images");
    std::fs::create_dir(&images).unwrap();
    for i in 0..6u8 {
        image::RgbImage::from_pixel(16, 16, image::Rgb([40 * i, 90, 200])).save(images.join(format!("{i}.png"))).unwrap();
    }
    let data = images.to_str().unwrap();
    let flags = ["--res", "16", "--width", "8", "--latent", "8", "--batch", "4", "--seed", "7", "--lr", "0.001", "--checkpoint-every", "1", "--sample-every", "0"];
    let train = |steps: &str, extra: &[&str]| {
        let mut args = vec!["dcgan", "--data", data, "--out", "run", "--steps", steps];
        args.extend_from_slice(extra);
        train_cmd_in(tmp.path(), &args)
    };
    // an earlier start's best generator (killed before its first checkpoint) is not this run's
    std::fs::create_dir_all(tmp.path().join("run/best")).unwrap();
    let (ok, log) = train("2", &flags);
    assert!(ok, "{log}");
    assert!(!tmp.path().join("run/best").exists(), "starting over drops the old best generator");
    let config = read_json(&tmp.path().join("run/config.json"));
    assert_eq!(config["family"], "dcgan", "a run names its family");
    // a run whose config.json was lost, resumed with flags: the flags are kept, not the defaults
    std::fs::remove_file(tmp.path().join("run/config.json")).unwrap();
    let (ok, log) = train("3", &[&["--resume"], &flags[..]].concat());
    assert!(ok && log.contains("no config.json: its model, loss and data are taken from the flags given here"), "{log}");
    let config = read_json(&tmp.path().join("run/config.json"));
    assert_eq!((config["batch"].as_u64(), config["seed"].as_u64(), config["lr"].as_f64()), (Some(4), Some(7), Some(0.001)));
    // a resume without flags keeps the saved run's
    let (ok, log) = train("4", &["--resume"]);
    assert!(ok && log.contains("resuming"), "{log}");
    let config = read_json(&tmp.path().join("run/config.json"));
    assert_eq!((config["batch"].as_u64(), config["seed"].as_u64(), config["steps"].as_u64()), (Some(4), Some(7), Some(4)));
    // neither config.json nor flags: the defaults are said, and the checkpoint of a smaller model refused
    let saved = std::fs::read(tmp.path().join("run/config.json")).unwrap();
    std::fs::remove_file(tmp.path().join("run/config.json")).unwrap();
    let (ok, log) = train("5", &["--resume"]);
    assert!(!ok && log.contains("defaults where none is given") && log.contains("does not fit the model"), "{log}");
    std::fs::write(tmp.path().join("run/config.json"), saved).unwrap();
    // --resume of a folder that holds no run starts one, and says so
    let (ok, log) = train_cmd_in(tmp.path(), &[&["dcgan", "--data", data, "--out", "new", "--steps", "1", "--resume"], &flags[..]].concat());
    assert!(ok && log.contains("holds no run yet: --resume starts a new one"), "{log}");

    // another family's run is refused with the command that resumes it
    std::fs::create_dir(tmp.path().join("sg")).unwrap();
    std::fs::write(tmp.path().join("sg/config.json"), r#"{"family": "stylegan", "data": "wildfaces"}"#).unwrap();
    let (ok, log) = train_cmd_in(tmp.path(), &["dcgan", "--data", data, "--out", "sg", "--resume"]);
    assert!(!ok && log.contains("holds a stylegan run") && log.contains("train stylegan --resume --out sg"), "{log}");
    // a config.json without a family is an error that says so, never a silent DCGAN
    std::fs::write(tmp.path().join("sg/config.json"), r#"{"data": "wildfaces"}"#).unwrap();
    let (ok, log) = train_cmd_in(tmp.path(), &["export", "sg", "--out", "x"]);
    assert!(!ok && log.contains("names no family"), "{log}");
    std::fs::write(tmp.path().join("sg/config.json"), r#"{"family": "pix2pix"}"#).unwrap();
    let (ok, log) = train_cmd_in(tmp.path(), &["sample", "sg", "--out", "x"]);
    assert!(!ok && log.contains("`pix2pix`") && log.contains("dcgan, stylegan, text2image"), "{log}");

    // a model card goes into the manifest; a card file without this bundle's card writes nothing
    std::fs::write(tmp.path().join("cards.json"), r#"{"carded": {"model": "m", "data": "d", "measured": "x", "limits": "l", "licence": "c"}}"#).unwrap();
    let (ok, log) = train_cmd_in(tmp.path(), &["export", "run", "--out", "uncarded", "--card", "cards.json"]);
    assert!(!ok && log.contains("no card for `uncarded`") && !tmp.path().join("uncarded").exists(), "{log}");
    let (ok, log) = train_cmd_in(tmp.path(), &["export", "run", "--out", "carded", "--card", "cards.json"]);
    assert!(ok, "{log}");
    assert_eq!(read_json(&tmp.path().join("carded/manifest.json"))["card"]["limits"], "l");

    // export into a relative folder of one component; an index.json is written only where one is
    let (ok, log) = train_cmd_in(tmp.path(), &["export", "run", "--out", "faces"]);
    assert!(ok, "{log}");
    assert!(tmp.path().join("faces/manifest.json").exists() && !tmp.path().join("index.json").exists());
    std::fs::create_dir(tmp.path().join("models")).unwrap();
    std::fs::write(tmp.path().join("models/index.json"), r#"{"models": []}"#).unwrap();
    let (ok, log) = train_cmd_in(tmp.path(), &["export", "run", "--out", "models/a"]);
    assert!(ok, "{log}");
    let index = read_json(&tmp.path().join("models/index.json"));
    assert_eq!(index["models"][0]["name"], "a");
    assert_eq!(index["models"][0]["inputs"], serde_json::json!(["seed"]));
    let (ok, log) = train_cmd_in(tmp.path(), &["export", "run", "--out", "elsewhere/b", "--index", "elsewhere"]);
    assert!(ok && read_json(&tmp.path().join("elsewhere/index.json"))["models"][0]["name"] == "b", "{log}");
    // a DCGAN cannot mix styles: the CLI says which models can
    let (ok, log) = train_cmd_in(tmp.path(), &["mix", "faces", "--out", "m.png"]);
    assert!(!ok && log.contains("no style mixing") && log.contains("stylegan"), "{log}");
}

#[test]
fn a_directory_is_replaced_whole_and_a_kill_between_the_renames_keeps_the_old_one() {
    let _rng = one_at_a_time(); // building or loading a network draws from the shared device RNG
    use ganzoo::files::{read_swapped_dir, replace_dir_atomic};
    let tmp = tempfile::tempdir().unwrap();
    let best = tmp.path().join("best");
    assert_eq!(read_swapped_dir(&best), None);
    replace_dir_atomic(&best, &[("a", b"1".to_vec()), ("b", b"2".to_vec())]).unwrap();
    replace_dir_atomic(&best, &[("a", b"3".to_vec())]).unwrap();
    assert_eq!(std::fs::read(best.join("a")).unwrap(), b"3");
    assert!(!best.join("b").exists(), "the new directory holds exactly the new files");
    let mut names: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["best"], "no .new or .old left behind");
    // a kill after `best/` became `best.old/` and before `best.new/` became `best/`
    std::fs::rename(&best, tmp.path().join("best.old")).unwrap();
    std::fs::create_dir(tmp.path().join("best.new")).unwrap();
    assert_eq!(read_swapped_dir(&best), Some(tmp.path().join("best.old")));
    replace_dir_atomic(&best, &[("a", b"4".to_vec())]).unwrap();
    assert_eq!(std::fs::read(best.join("a")).unwrap(), b"4");
    assert_eq!(read_swapped_dir(&best), Some(best.clone()));
}

/// sha256 of little-endian f32 values.
fn f32_digest(values: &[f32]) -> String {
    bundle::sha256_hex(&values.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>())
}

/// Regression pins, not checks of the networks (each shipped bundle is checked against an
/// independent ONNX graph by scripts/onnx-check.sh, and by the measures of its model): a change
/// that moves a pixel of a shipped model fails here and must say why. What the shipped bundles
/// drew before the run core, the capabilities and the CLI reshape landed: the sha256 of the raw outputs `train sample --raw` (seeds 0-3) and `train prompt --raw`
/// wrote at commit 7eb8005. The reshape changed no pixel. (text2flower64 and stylegan-faces32
/// were retrained since: their digests are regression pins of the current bundles, taken from
/// their own output; what those models draw is checked by their measures, `tests/stylegan.rs`'s
/// `the_shipped_faces_measure_as_the_readme_says` and the flower evaluation.)
/// Batch norm is folded into the convs when a bundle loads for inference, which moves outputs
/// by rounding: the digests are of the networks as trained. StyleGAN's digests are those of its
/// upsampling as a matrix product (`models::resample`), which rounds each ¾a + ¼b once where the
/// shifted copies it replaced rounded twice: the same faces, other last bits. StyleGAN's and
/// the flower's are also those of the CPU's convs as one product per run of images
/// (vendor/burn-flex's conv_runs.rs, checked against a direct loop in tests/conv_gradients.rs),
/// whose sums round differently from the per-image path; the DCGANs' transposed convs through
/// the same change drew the same bits.
#[test]
fn regression_pins_the_shipped_bundles_draw_the_bits_they_drew_when_pinned() {
    let _rng = one_at_a_time(); // building or loading a network draws from the shared device RNG
    let device = Device::flex();
    let www = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models");
    let mut got = Vec::new();
    for (name, psi, _) in REGRESSION_PINS {
        let (m, g) = bundle::load_dir_as_trained(&www.join(name), &device).unwrap();
        let z = latents_tensor(&[0, 1, 2, 3], m.latent.unwrap(), &device);
        let out = g.generate(z, psi).unwrap().into_data().try_to_vec::<f32>().unwrap();
        got.push(format!("{name} at ψ {psi}: {}", f32_digest(&out)));
    }
    let (m, g) = bundle::load_dir(&www.join("text2flower64"), &device).unwrap();
    let ModelConfig::Text2image(config) = &m.config else { panic!("text2flower64 is a text-to-image bundle") };
    let prompts = [T2I_REGRESSION_PIN.0; 4];
    let (_, images) = g.text().unwrap().draw(&config.vocabulary(), &prompts, &[0, 1, 2, 3], config.noise, &device);
    got.push(format!("text2flower64: {}", f32_digest(&images.into_data().try_to_vec::<f32>().unwrap())));
    let want: Vec<String> = REGRESSION_PINS.iter().map(|(name, psi, d)| format!("{name} at ψ {psi}: {d}")).chain([format!("text2flower64: {}", T2I_REGRESSION_PIN.1)]).collect();
    assert_eq!(got, want);
}

/// Folding batch norm into the convs before it (what every bundle loads as for inference) moves
/// the shipped models' outputs by rounding only, and takes the norms out of the network.
#[test]
fn batch_norm_folded_at_load_changes_outputs_by_rounding_only() {
    let device = Device::flex();
    let www = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models");
    // measured: 1.3e-6, 2.1e-6, 3.4e-6
    for (name, tolerance) in [("wildfaces-lsgan32", 1e-5), ("pytorch-faces64", 2e-5), ("discogan-emoji64", 3e-5)] {
        let (m, trained) = bundle::load_dir_as_trained(&www.join(name), &device).unwrap();
        let (_, folded) = bundle::load_dir(&www.join(name), &device).unwrap();
        let norms = |g: &AnyGenerator| format!("{g:?}").matches("BatchNorm").count();
        assert!(norms(&trained) > 0, "{name} has batch norm as trained");
        assert_eq!(norms(&folded), 0, "{name}: every batch norm folded");
        let run = |g: &AnyGenerator| -> Vec<f32> {
            match &m.config {
                ModelConfig::Discogan(_) => {
                    let images = Tensor::<4>::random([2, 3, 64, 64], ganzoo::burn::tensor::Distribution::Uniform(-1.0, 1.0), &device);
                    g.translate(images.clone(), ganzoo::models::Direction::AToB).unwrap().into_data().try_to_vec::<f32>().unwrap().into_iter()
                        .chain(g.translate(images, ganzoo::models::Direction::BToA).unwrap().into_data().try_to_vec::<f32>().unwrap())
                        .collect()
                }
                _ => g.generate(latents_tensor(&[0, 1, 2, 3], m.latent.unwrap(), &device), 1.0).unwrap().into_data().try_to_vec::<f32>().unwrap(),
            }
        };
        let _rng = one_at_a_time(); // the same random images for both
        device.seed(5);
        let a = run(&trained);
        device.seed(5);
        let b = run(&folded);
        let diff = max_abs_diff(&a, &b);
        println!("{name}: max |folded − as trained| = {diff:e}");
        assert!(diff > 0.0 && diff < tolerance, "{name}: folding moved outputs by {diff}");
    }
}

/// WebGPU loads the weights channels-last (`with_channels_last_weights`): the same values behind
/// the same shapes, so the same outputs bit for bit (here on the CPU, whose convs read the
/// weights back in order).
#[test]
fn channels_last_weights_draw_the_same_bits() {
    let _rng = one_at_a_time(); // building or loading a network draws from the shared device RNG
    let device = Device::flex();
    let www = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models");
    for name in ["wildfaces-lsgan32", "stylegan-faces32", "discogan-emoji64"] {
        let (m, g) = bundle::load_dir(&www.join(name), &device).unwrap();
        let run = |g: &AnyGenerator| -> Vec<f32> {
            let out = match m.latent {
                Some(latent) => g.generate(latents_tensor(&[0, 1], latent, &device), 1.0).unwrap(),
                None => g.translate(latents_tensor(&[0, 1], 3 * 64 * 64, &device).reshape([2, 3, 64, 64]).tanh(), ganzoo::models::Direction::AToB).unwrap(),
            };
            out.into_data().try_to_vec::<f32>().unwrap()
        };
        let before = run(&g);
        assert_eq!(run(&g.with_channels_last_weights()), before, "{name}");
    }
}

const REGRESSION_PINS: [(&str, f32, &str); 5] = [
    ("wildfaces-lsgan32", 1.0, "76b9f91e5886ae4302cc50e2c07e07190c36e18dfefd53c273568820bb0b09de"),
    ("wildfaces-lsgan32", 0.7, "037903fbbcad9cda1f572f0faab1e9a336fc951980efdff2985aabf2ca5eb73d"),
    ("stylegan-faces32", 0.7, "096f8ba83714279f3bacc7aae8d736dad5d8f9e9db00c423b4698526d6dc0c05"),
    ("stylegan-faces32", 1.0, "cc9655f20aee0546f245e0ea3cf82de4bcf00ad4ccc320faa5d92bed4027a21d"),
    ("pytorch-faces64", 1.0, "d4fc7ed6215b171c08e140ec04d1857dbdbf162cadc0f02776e2b072912fcb80"),
];
const T2I_REGRESSION_PIN: (&str, &str) =
    ("this flower has five large pink petals and a yellow center", "33502f5a613d55cce06f826b1c98963e4e5c7c260936ca98c90d6acd1be7c2db");

/// The generator's step runs the discriminator without its weight gradients (`no_grad` on a
/// copy): both networks still learn at every step, from the first one on.
#[test]
fn both_networks_learn_at_every_step() {
    let _rng = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let mut config = DcganTrainConfig::new(tiny(), GanLoss::default(), "synthetic".into());
    (config.run.batch, config.run.sample_every, config.run.checkpoint_every) = (4, 0, 0);
    let data = synthetic_faces(8, 16);
    let mut t = Trainer::open(config, tmp.path(), false, &data).unwrap();
    // the weights only: batch norm's running statistics change on every training-mode forward,
    // whether or not an optimizer steps
    let networks = |t: &Trainer| [("generator", weights(&t.family.generator)), ("discriminator", weights(&t.family.discriminator))];
    let mut before = networks(&t);
    for step in 1..=3 {
        t.step(&data);
        let after = networks(&t);
        for ((name, a), (_, b)) in after.iter().zip(&before) {
            let moved = a.iter().zip(b).filter(|(x, y)| x != y).count();
            // measured: every weight of both moves at every step (Adam's first steps are ±lr)
            assert!(moved > a.len() / 2, "{name}: {moved} of {} weights moved at step {step}", a.len());
        }
        before = after;
    }
}

/// Every shipped bundle carries its model card, the one docs/model-cards.json keeps (what the
/// credits page and the README read); a card file that lacks a bundle or a field is refused.
#[test]
fn every_shipped_bundle_has_its_model_card() {
    let _rng = one_at_a_time(); // building or loading a network draws from the shared device RNG
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cards = root.join("docs/model-cards.json");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(root.join("www/models")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join(bundle::MANIFEST_FILE).exists() {
            continue;
        }
        let name = dir.file_name().unwrap().to_str().unwrap().to_string();
        let manifest = Manifest::parse(&std::fs::read(dir.join(bundle::MANIFEST_FILE)).unwrap()).unwrap();
        let card = manifest.card.unwrap_or_else(|| panic!("{name} has no model card: train export … --card docs/model-cards.json"));
        assert_eq!(card, bundle::ModelCard::from_file(&cards, &name).unwrap(), "{name}'s card differs from docs/model-cards.json");
        for field in [&card.model, &card.data, &card.measured, &card.limits, &card.licence] {
            assert!(field.len() > 40, "{name}: a card's fields are sentences: {field:?}");
        }
        names.push(name);
    }
    assert!(names.len() >= 8, "{names:?}");
    let err = bundle::ModelCard::from_file(&cards, "nope").unwrap_err();
    assert!(err.contains("no card for `nope`"), "{err}");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("c.json"), r#"{"model": "m", "data": "d", "measured": "x", "limits": "l"}"#).unwrap();
    let err = bundle::ModelCard::from_file(&tmp.path().join("c.json"), "any").unwrap_err();
    assert!(err.contains("licence"), "{err}");
}
