//! The augmentation every image GAN's discriminator shares (`train/augment.rs`) and the face
#![cfg(not(target_arch = "wasm32"))]
//! measures (`train/fidelity.rs`), against cases computed by hand.

mod common;
use common::*;

use ganzoo::burn::prelude::*;
use ganzoo::latent::Rng;
use ganzoo::train::augment::{ADA_INTERVAL, Augment, AugmentConfig, augment};
use ganzoo::train::fidelity::{Images, Reference, Rows, precision_recall};

/// Two 8×8 images whose every value is its own, non-zero.
fn ramp() -> (Vec<f32>, Tensor<4>) {
    let ramp: Vec<f32> = (0..2 * 3 * 64).map(|i| 1.0 + i as f32).collect();
    let t = Tensor::<4>::from_data(TensorData::new(ramp.clone(), [2, 3, 8, 8]), &Device::flex());
    (ramp, t)
}

fn only(translate: f32, cutout: f32, color: bool) -> AugmentConfig {
    AugmentConfig { translate, cutout, color, p: 1.0, ..AugmentConfig::off() }
}

#[test]
fn at_p_zero_or_with_nothing_asked_the_images_pass_untouched_and_no_number_is_drawn() {
    let (ramp, images) = ramp();
    let mut rng = Rng::new(9);
    let all = AugmentConfig { p: 0.0, ..only(0.125, 0.5, true) };
    assert_eq!(values(augment(images.clone(), &all, 0.0, &mut rng)), ramp, "p = 0");
    assert_eq!(values(augment(images, &AugmentConfig::off(), 1.0, &mut rng)), ramp, "no operation");
    assert_eq!(rng, Rng::new(9), "the run's RNG is left where it was");
}

#[test]
fn translation_shifts_each_image_alone_and_fills_with_zero() {
    let (ramp, images) = ramp();
    let n = 64;
    let mut rng = Rng::new(9);
    let mut shifts = Vec::new();
    for _ in 0..10 {
        let out = values(augment(images.clone(), &only(0.25, 0.0, false), 1.0, &mut rng));
        for (k, img) in out.chunks(3 * n).enumerate() {
            // one shift per image, the same in every channel, within ±2 pixels
            let src = &ramp[k * 3 * n..(k + 1) * 3 * n];
            let shift = (-2..=2).flat_map(|dy| (-2..=2).map(move |dx| (dy, dx))).find(|&(dy, dx)| {
                (0..3 * n).all(|i| {
                    let (c, y, x) = (i / n, (i % n) / 8, i % 8);
                    let (sy, sx) = (y as i32 - dy, x as i32 - dx);
                    let want = if (0..8).contains(&sy) && (0..8).contains(&sx) { src[c * n + sy as usize * 8 + sx as usize] } else { 0.0 };
                    img[i] == want
                })
            });
            shifts.push(shift.unwrap_or_else(|| panic!("image {k} is a shifted copy of itself")));
        }
    }
    let distinct: std::collections::HashSet<_> = shifts.iter().collect();
    assert!(distinct.len() >= 8, "20 images, one draw each of 25 shifts: {shifts:?}");
    assert!(shifts.chunks(2).any(|pair| pair[0] != pair[1]), "the images of one batch move apart");
}

#[test]
fn cutout_zeroes_one_square_and_keeps_the_rest() {
    let (ramp, images) = ramp();
    let mut rng = Rng::new(4);
    for _ in 0..10 {
        let cut = values(augment(images.clone(), &only(0.0, 0.5, false), 1.0, &mut rng));
        for (img, src) in cut.chunks(3 * 64).zip(ramp.chunks(3 * 64)) {
            let zeros = img.iter().filter(|&&v| v == 0.0).count() / 3;
            assert!((4..=16).contains(&zeros), "a square of 4×4 cut out (less at an edge): {zeros}");
            assert!(img.iter().zip(src).all(|(a, b)| *a == 0.0 || a == b), "the rest in place");
        }
    }
}

#[test]
fn colour_is_brightness_then_saturation_then_contrast_as_computed_by_hand() {
    // one 1×2 image: pixel 0 = (r, g, b) = (0.2, -0.4, 0.6), pixel 1 = (-0.8, 0.0, 0.4)
    let x = [0.2f64, -0.8, -0.4, 0.0, 0.6, 0.4]; // CHW
    let images = Tensor::<4>::from_data(TensorData::new(x.iter().map(|&v| v as f32).collect::<Vec<_>>(), [1, 3, 1, 2]), &Device::flex());
    let mut rng = Rng::new(31);
    let out = values(augment(images, &only(0.0, 0.0, true), 1.0, &mut rng));
    // the draws, in the documented order: (hit, value) for brightness, saturation, contrast
    let mut r = Rng::new(31);
    let mut draw = || {
        assert!(r.uniform() < 1.0, "hit at p = 1");
        r.uniform()
    };
    let (b, s, c) = (draw() - 0.5, draw() * 2.0, draw() + 0.5);
    let mut y: Vec<f64> = x.iter().map(|v| v + b).collect();
    for p in 0..2 {
        let mean = (y[p] + y[2 + p] + y[4 + p]) / 3.0;
        for ch in 0..3 {
            y[2 * ch + p] = (y[2 * ch + p] - mean) * s + mean;
        }
    }
    let mean = y.iter().sum::<f64>() / 6.0;
    let want: Vec<f64> = y.iter().map(|v| (v - mean) * c + mean).collect();
    let worst = out.iter().zip(&want).map(|(a, b)| (*a as f64 - b).abs()).fold(0.0, f64::max);
    assert!(worst < 1e-6, "max |Δ| {worst:e}: {out:?} vs {want:?}"); // measured 6e-8
    assert_eq!(rng, r, "the same numbers drawn");
}

#[test]
fn each_operation_is_applied_to_about_a_share_p_of_the_images() {
    let device = Device::flex();
    let images = Tensor::<4>::ones([400, 3, 8, 8], &device);
    let mut rng = Rng::new(5);
    // translation of a constant image shows only as zeros at an edge; cutout as a zero square
    let out = values(augment(images, &only(0.25, 0.25, false), 0.3, &mut rng));
    let touched = out.chunks(3 * 64).filter(|img| img.contains(&0.0)).count();
    // P(translated with a non-zero shift or cut) = 1 − (1 − 0.3·24/25)(1 − 0.3) ≈ 0.498
    assert!((160..=240).contains(&touched), "{touched} of 400 images augmented at p = 0.3");
}

#[test]
fn gradients_flow_through_the_augmentation_to_the_images() {
    let device = Device::flex().autodiff();
    let x = Tensor::<4>::from_data(TensorData::new((0..2 * 3 * 64).map(|i| (1 + i % 7) as f32 / 7.0).collect::<Vec<_>>(), [2, 3, 8, 8]), &device).require_grad();
    // translation and cutout: d sum(y) / dx is 1 where a pixel lands inside and outside the cut, 0 elsewhere
    let mut rng = Rng::new(2);
    let y = augment(x.clone(), &only(0.25, 0.25, false), 1.0, &mut rng);
    let kept = values(y.clone().inner()).iter().filter(|&&v| v != 0.0).count() as f32;
    let grad = values(x.grad(&y.sum().backward()).unwrap());
    assert!(grad.iter().all(|&g| g == 0.0 || g == 1.0), "each pixel lands at most once");
    let landed = grad.iter().sum::<f32>();
    assert_eq!(landed, kept, "every output that is not a fill carries its pixel's gradient back");
    assert!(landed < (2 * 3 * 64) as f32, "some pixels shifted or cut out");
    // colour keeps the mean of each image (saturation and contrast scale about means), so
    // d sum(y) / dx = 1 + (the brightness term's 0) for every pixel
    let mut rng = Rng::new(3);
    let y = augment(x.clone(), &only(0.0, 0.0, true), 1.0, &mut rng);
    let grad = values(x.grad(&y.sum().backward()).unwrap());
    assert!(grad.iter().all(|&g| (g - 1.0).abs() < 1e-5), "{:?}", &grad[..8]);
}

#[test]
fn ada_moves_p_by_the_sign_of_r_t_minus_the_target_every_interval() {
    let config = AugmentConfig { ada_target: Some(0.6), ada_kimg: 1.0, p: 0.5, ..only(0.125, 0.5, true) };
    let mut a = Augment::new(&config);
    // D sure of every real image: r_t = 1 > 0.6, p rises by 4 steps × 10 images / 1,000
    for step in 1..=ADA_INTERVAL {
        let r = a.observe(&config, &[2.0; 10], 0.0, 10);
        assert_eq!(r.is_some(), step == ADA_INTERVAL, "adjusted once per interval");
    }
    assert!((a.p - 0.54).abs() < 1e-6, "p {}", a.p);
    // 3 of 10 above the LSGAN boundary 0.5, 7 below: r_t = −0.4 < 0.6, p falls
    let lsgan = [0.9, 0.8, 0.7, 0.1, 0.2, 0.3, 0.4, 0.0, 0.45, 0.49];
    let mut r_t = None;
    for _ in 0..ADA_INTERVAL {
        r_t = a.observe(&config, &lsgan, 0.5, 10).or(r_t);
    }
    assert!((r_t.unwrap() + 0.4).abs() < 1e-6 && (a.p - 0.50).abs() < 1e-6, "r_t {r_t:?}, p {}", a.p);
    // clamped to [0, 1], and nothing moves without a target
    let fixed = AugmentConfig { ada_target: None, ..config.clone() };
    assert_eq!(a.clone().observe(&fixed, &[1.0; 10], 0.0, 10), None);
    for _ in 0..400 {
        a.observe(&config, &[-1.0; 100], 0.0, 100);
    }
    assert_eq!(a.p, 0.0);
    // a PatchGAN's 49 outputs per image: p moves by the images (10 a step), not the outputs
    let mut patches = Augment::new(&config);
    for _ in 0..ADA_INTERVAL {
        patches.observe(&config, &[1.0; 490], 0.0, 10);
    }
    assert!((patches.p - 0.54).abs() < 1e-6, "p {}", patches.p);
}

#[test]
fn an_augmentation_state_saved_before_images_were_counted_loads() {
    use ganzoo::train::PartState;
    let config = AugmentConfig { ada_target: Some(0.6), ada_kimg: 1.0, ..only(0.125, 0.5, true) };
    let mut a = Augment::new(&config);
    a.load(br#"{"p":0.25,"signs":8.0,"seen":8,"steps":3}"#).unwrap();
    assert_eq!(a.p, 0.25);
    // the fourth step completes the interval: 12 images of 12 positive outputs, p up by 12 / 1,000
    assert_eq!(a.observe(&config, &[1.0; 4], 0.0, 4), Some(1.0));
    assert!((a.p - 0.262).abs() < 1e-6, "p {}", a.p);
    assert!(a.load(b"{}").unwrap_err().contains("not an augmentation state"));
}

#[test]
fn an_old_text_to_image_config_reads_as_the_augmentation_it_was_trained_with() {
    // before augment.rs, text2image saved only translate and cutout, and applied both always
    let old: AugmentConfig = serde_json::from_str(r#"{"translate": 0.125, "cutout": 0.25, "steps": 10}"#).unwrap();
    assert_eq!(old, AugmentConfig::always(0.125, 0.25));
    let stylegan_before: AugmentConfig = serde_json::from_str(r#"{"steps": 10}"#).unwrap();
    assert!(!stylegan_before.any(), "a run saved before augmentation resumes without it");
    assert!(AugmentConfig { p: 1.5, ..AugmentConfig::off() }.check().unwrap_err().contains("--augment-p"));
}

#[test]
fn precision_and_recall_follow_the_k_nearest_neighbour_balls() {
    // 1-D, k = 1: real {0, 1, 10, 11}, each ball of radius 1; fake {0.5, 0.8, 5}, balls of
    // radius 0.3, 0.3 and 4.2
    let rows = |v: &[f32]| Rows { values: v.to_vec(), n: v.len(), d: 1 };
    let (p, r) = precision_recall(&rows(&[0.0, 1.0, 10.0, 11.0]), &rows(&[0.5, 0.8, 5.0]), 1, &Device::flex());
    // precision: 0.5 lies in 0's ball, 0.8 in 1's, 5 in none; recall: only 1 lies in a fake's
    // ball (0.8's); 0 is 0.5 from 0.5, 10 is 5 from 5
    assert!((p - 2.0 / 3.0).abs() < 1e-12 && r == 0.25, "precision {p}, recall {r}");
}

#[test]
fn the_training_images_measured_as_samples_score_full_marks_and_trip_the_copy_guard() {
    // 64 images of 16 px: smooth random blobs from our RNG
    let mut rng = Rng::new(8);
    let n = 64;
    let values: Vec<f32> = (0..n * 3 * 256).map(|_| rng.uniform() as f32 * 2.0 - 1.0).collect();
    let train = Images { values: &values, n, resolution: 16 };
    let device = Device::flex();
    let reference = Reference::new(&train, &device).unwrap();
    let m = reference.measure(&train, &device);
    assert_eq!((m.precision_pixels, m.recall_pixels, m.precision_features, m.recall_features), (1.0, 1.0, 1.0, 1.0));
    assert!(m.copies() && m.nearest < 1e-3, "samples that are the training images: nearest {}", m.nearest);
    assert!((m.spread - m.spread_real).abs() < 1e-9);
    // noise unlike the training images: nearly no precision, far from every image
    let other: Vec<f32> = (0..n * 3 * 256).map(|i| if (i / 256) % 2 == 0 { 0.9 } else { -0.9 }).collect();
    let m = reference.measure(&Images { values: &other, n, resolution: 16 }, &device);
    assert!(m.precision_pixels < 0.05 && !m.copies(), "{m:?}");
    assert!(Reference::new(&Images { values: &values[..8 * 768], n: 8, resolution: 16 }, &device).err().unwrap().contains("≥ 16"));
}
