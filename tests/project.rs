//! Projection (`project.rs`) onto the shipped StyleGAN: a face the model drew is found again,
//! far closer than where the search starts; the styles move from one w to w+; what is refused;
//! and `train project` end to end.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;

use std::path::Path;

use ganzoo::burn::prelude::*;
use ganzoo::latent::latents_tensor;
use ganzoo::project::{self, ProjectConfig, Projection};

const BUNDLE: &str = "www/models/stylegan-faces32";

fn l1(a: Tensor<4>, b: Tensor<4>) -> f32 {
    max_mean(a, b).1
}

/// (max, mean) |a − b|.
fn max_mean(a: Tensor<4>, b: Tensor<4>) -> (f32, f32) {
    let (a, b) = (values(a), values(b));
    (max_abs_diff(&a, &b), a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32)
}

#[test]
fn a_face_the_model_drew_is_found_again() {
    let (manifest, g) = project::open_bundle(Path::new(BUNDLE)).unwrap();
    let device = Device::flex().autodiff();
    // the model's own face for seed 7 (ψ = 1, no noise), as the photo
    let w = g.mapping(Tensor::from_inner(latents_tensor(&[7], manifest.latent.unwrap(), &device.clone().inner())));
    let photo = g.synthesis(g.broadcast(w), ganzoo::models::stylegan::NoiseMode::Off).inner();
    let mut p = Projection::new(&g, Tensor::from_inner(photo.clone()), ProjectConfig::default()).unwrap();
    let start = l1(p.image(&g), photo.clone());
    let mut distances = Vec::new();
    while !p.finished() {
        distances.push(p.step(&g).into_scalar::<f32>());
        if p.steps_done() == 100 {
            // the w phase: one w for every layer
            let styles = values(p.styles(&g));
            let first = &styles[..g.w_dim];
            assert!(styles.chunks(g.w_dim).all(|layer| layer == first), "every layer's style is the one w until w+");
        }
    }
    let end = l1(p.image(&g), photo.clone());
    println!("seed 7 projected: L1 {start:.4} at the average face, {end:.4} after 200 steps (distance {:.4} → {:.4})", distances[0], distances[199]);
    assert_eq!(distances.len(), 200);
    assert_eq!(p.styles(&g).dims(), [1, g.num_ws(), g.w_dim], "w+ after the first half");
    // measured (2026-12-07): 0.4638 at the average face, 0.0265 after
    assert!(end < 0.07, "the projection ends {end} away from the face the model drew");
    assert!(end < start / 5.0, "the projection ends {end} away, the average face was {start}");

    // handed on: the bundle as the site loads it (gains folded) draws the projection's face from
    // its styles, and ψ = 0 pulls it to the average face, as it does every seed's
    let (_, shipped) = ganzoo::bundle::load_dir(Path::new(BUNDLE), &Device::flex()).unwrap();
    let styles = p.styles(&g);
    let drawn = shipped.from_styles(styles.clone(), 1.0).unwrap();
    let (worst, _) = max_mean(drawn, p.image(&g));
    println!("the projection's face drawn from its styles by the shipped generator: max |Δ| {worst:e}");
    assert!(worst < 1e-6, "the shipped generator draws the projection's styles {worst} away from the projection's face");
    let average = shipped.generate(latents_tensor(&[3], manifest.latent.unwrap(), &Device::flex()), 0.0).unwrap();
    let (worst, _) = max_mean(shipped.from_styles(styles, 0.0).unwrap(), average);
    println!("the projection at ψ = 0 against seed 3's: max |Δ| {worst:e}");
    assert!(worst < 1e-5, "ψ = 0 gives the average face for a projection too ({worst} away)");
}

#[test]
fn what_projection_refuses_it_says_why() {
    let err = project::open_bundle(Path::new("www/models/wildfaces-lsgan32")).err().unwrap();
    assert!(err.contains("only a stylegan bundle has"), "{err}");
    let (_, g) = project::open_bundle(Path::new(BUNDLE)).unwrap();
    let device = Device::flex().autodiff();
    let err = Projection::new(&g, Tensor::zeros([1, 3, 16, 16], &device), ProjectConfig::default()).err().unwrap();
    assert!(err.contains("3×32×32"), "{err}");
    let err = Projection::new(&g, Tensor::zeros([1, 3, 32, 32], &device), ProjectConfig { steps: 10, w_steps: 20, lr: 0.1 }).err().unwrap();
    assert!(err.contains("w steps ≤ steps"), "{err}");
}

#[test]
fn train_project_writes_the_face_and_says_how_far_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = train_cmd(&["sample", BUNDLE, "--seeds", "3", "--out", dir.path().to_str().unwrap()]);
    assert!(ok, "{out}");
    let photo = dir.path().join("seed-3.png");
    let result = dir.path().join("projected");
    let (ok, out) = train_cmd(&["project", BUNDLE, photo.to_str().unwrap(), "--steps", "40", "--out", result.to_str().unwrap(), "--raw"]);
    assert!(ok, "{out}");
    assert!(out.contains("L1 0.0"), "a face the model drew (at ψ 1, as a PNG) is found within 0.1: {out}");
    assert_eq!(std::fs::read(result.join("projected.f32")).unwrap().len(), 4 * 3 * 32 * 32);
    for png in ["projected.png", "photo.png"] {
        assert_eq!(image::open(result.join(png)).unwrap().width(), 32, "{png}");
    }
    let (ok, out) = train_cmd(&["project", BUNDLE, "Cargo.toml", "--out", result.to_str().unwrap()]);
    assert!(!ok && out.contains("not a readable PNG/JPEG image"), "{out}");
}
