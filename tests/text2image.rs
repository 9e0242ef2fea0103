//! Text-to-image: the tokenizer and text encoder (determinism, hostile strings), the joint
//! embedding loss, the three kinds of pairs, the networks' shapes, bundles, the procedural
//! flowers and their measurer, the captioned-data loaders, and with the shipped bundle: a colour
//! word changes the measured colour.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;

use std::path::Path;

use ganzoo::burn::prelude::*;
use ganzoo::bundle::{self, Provenance, WeightDtype};
use ganzoo::data::captioned;
use ganzoo::data::flowers::{self, Attributes, PETAL_COLOURS};
use ganzoo::latent::Rng;
use ganzoo::models::text2image::{Pairs, Text2ImageConfig, TextToImage, condition, mismatched, upsample};
use ganzoo::train::fidelity::high_frequency_power;
use ganzoo::train::text2image::probe_text;
use ganzoo::models::{AnyGenerator, ModelConfig};
use ganzoo::text::{self, Vocabulary};

fn vocabulary() -> Vocabulary {
    let captions: Vec<String> = (0..200).flat_map(flowers::captions).collect();
    Vocabulary::build(captions.iter().map(String::as_str))
}

fn tiny(res: usize) -> Text2ImageConfig {
    Text2ImageConfig::new(vocabulary().words).with_resolution(res).with_width(8).with_g_width(8).with_noise(10).with_text_dim(16).with_word_dim(8).with_text_channels(16).with_d_text(8)
}

#[test]
fn the_tokenizer_normalises_case_punctuation_digits_and_spelling() {
    let v = vocabulary();
    let plain = v.tokenize("this flower has five pink petals and a yellow center");
    assert!(plain.unknown.is_empty() && plain.notices().is_empty(), "{:?}", plain.notices());
    assert_eq!(plain.ids.first(), Some(&text::START));
    assert_eq!(plain.ids.last(), Some(&text::END));
    let shouted = v.tokenize("  THIS flower, has 5 Pink petals... and a YELLOW center!!!  ");
    assert_eq!(shouted.ids, plain.ids, "case, punctuation and digits do not change what is read");
    if v.id("color").is_some() {
        assert_eq!(v.tokenize("pink in colour").ids, v.tokenize("pink in color").ids);
    }
}

#[test]
fn hostile_prompts_are_read_safely_and_explained() {
    let v = vocabulary();
    let empty = v.tokenize("");
    assert_eq!(empty.ids, vec![text::START, text::END]);
    assert!(empty.notices().iter().any(|n| n.contains("noise alone")), "{:?}", empty.notices());

    let unknown = v.tokenize("a pink flowerz with zorblax petals");
    assert_eq!(unknown.unknown, vec!["flowerz", "zorblax"]);
    assert!(unknown.notices().iter().any(|n| n == "ignored 2 unknown words: “flowerz”, “zorblax”"), "{:?}", unknown.notices());

    let emoji = v.tokenize("pink 🌸 petals 👩‍👩‍👧 ✨");
    assert_eq!(emoji.words, vec!["pink", "petals"]);
    // 🌸, the family's three people (its zero-width joiners are not symbols of their own), ✨
    assert_eq!(emoji.symbols.len(), 5, "{:?}", emoji.symbols);
    assert!(emoji.notices().iter().any(|n| n.starts_with("ignored 5 symbols")), "{:?}", emoji.notices());

    let non_latin = v.tokenize("розовые лепестки 花 pink");
    assert_eq!(non_latin.words, vec!["pink"]);
    assert_eq!(non_latin.unknown, vec!["розовые", "лепестки", "花"]);

    let long = "pink petals ".repeat(100);
    let t = v.tokenize(&long);
    assert_eq!(t.cut_chars, long.chars().count() - text::MAX_CHARS);
    assert!(t.notices().iter().any(|n| n.starts_with("truncated at 200 characters")));
    // 200 characters: 16 × "pink petals " and "pink pet", whose last word is not in the vocabulary
    assert_eq!((t.words.len(), t.unknown.clone()), (33, vec!["pet".to_string()]));
    let many = v.tokenize(&"red ".repeat(45));
    assert_eq!((many.words.len(), many.cut_words), (text::MAX_WORDS, 5));

    let control = v.tokenize("pink\u{0}\u{7}\t\npetals\u{202e}");
    assert_eq!(control.words, vec!["pink", "petals"]);
}

#[test]
fn the_text_encoder_gives_unit_features_that_know_word_order_and_ignore_padding() {
    let device = Device::flex();
    let config = tiny(16);
    let model = config.init_generator(&device);
    let v = config.vocabulary();
    let prompts = ["five pink petals and a yellow center", "five yellow petals and a pink center", "", "🌸🌸🌸"];
    let a = values(model.embed_prompts(&v, &prompts, &device).1);
    let d = config.text_dim;
    for row in a.chunks(d) {
        let norm: f32 = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "features are unit vectors, got norm {norm}");
    }
    assert_ne!(&a[..d], &a[d..2 * d], "swapping which colour goes with which part changes the feature");
    assert_eq!(&a[2 * d..3 * d], &a[3 * d..], "a prompt of symbols only reads as the empty prompt");
    // padding does not leak: a prompt alone and in a batch with a longer one give the same feature
    let (_, alone) = model.embed_prompts(&v, &["a red flower"], &device);
    let (_, batched) = model.embed_prompts(&v, &["a red flower", "a red flower with five large pointed petals and a small black center"], &device);
    let (alone, batched) = (values(alone), values(batched));
    for (x, y) in alone.iter().zip(&batched[..d]) {
        assert!((x - y).abs() < 1e-5);
    }
}

#[test]
fn the_joint_embedding_loss_is_zero_when_pairs_match_by_the_margin() {
    let device = Device::flex();
    let eye = Tensor::<2>::eye(3, &device);
    let zero = values(ganzoo::losses::joint_embedding(eye.clone(), eye.clone(), 0.2))[0];
    assert!(zero.abs() < 1e-7, "matching one-hot pairs with scores 1 vs 0 satisfy margin 0.2");
    // swap the captions of images 0 and 1, so F(v₀, t₀) = F(v₁, t₁) = 0, F(v₀, t₁) = F(v₁, t₀) = 1:
    // by hand, images 0 and 1 each pay 0.2 + 1 − 0 for the other's caption and 0.2 + 0 − 0 for
    // caption 2 (image 2 pays nothing: its own score 1 beats 0 by more than the margin), and
    // captions 0 and 1 pay the same towards images: 2 × (2 × 1.2 + 2 × 0.2) / (3 × 2) = 0.9333…
    let swapped = Tensor::<2>::from_floats([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], &device);
    let loss = values(ganzoo::losses::joint_embedding(eye, swapped, 0.2))[0];
    assert!((loss - 5.6 / 6.0).abs() < 1e-6, "got {loss}");
}

#[test]
fn the_three_kinds_of_pairs_are_built_right_on_a_tiny_batch() {
    let device = Device::flex();
    let mut rng = Rng::new(5);
    for n in 2..10 {
        for _ in 0..20 {
            let wrong = mismatched(n, &mut rng);
            assert!(wrong.iter().enumerate().all(|(i, &w)| w != i && w < n), "no image keeps its own caption: {wrong:?}");
        }
    }
    // image i is filled with i, caption i's feature with 10 + i, generated image i with 100 + i
    let b = 3;
    let fill = |v: &dyn Fn(usize) -> f32, per: usize| (0..b).flat_map(|i| vec![v(i); per]).collect::<Vec<f32>>();
    let real = Tensor::<4>::from_data(TensorData::new(fill(&|i| i as f32, 3 * 4 * 4), [b, 3, 4, 4]), &device);
    let fake = Tensor::<4>::from_data(TensorData::new(fill(&|i| 100.0 + i as f32, 3 * 4 * 4), [b, 3, 4, 4]), &device);
    let text = Tensor::<2>::from_data(TensorData::new(fill(&|i| 10.0 + i as f32, 2), [b, 2]), &device);
    let wrong = vec![2, 0, 1];
    let pairs = Pairs::new(real, fake, text, &wrong);
    let first = |t: Vec<f32>, per: usize| t.chunks(per).map(|c| c[0]).collect::<Vec<f32>>();
    assert_eq!(first(values(pairs.real_right.0.clone()), 48), vec![0.0, 1.0, 2.0]);
    assert_eq!(first(values(pairs.real_right.1.clone()), 2), vec![10.0, 11.0, 12.0]);
    assert_eq!(first(values(pairs.real_wrong.0.clone()), 48), vec![0.0, 1.0, 2.0]);
    assert_eq!(first(values(pairs.real_wrong.1.clone()), 2), vec![12.0, 10.0, 11.0], "real image i with caption wrong[i]");
    assert_eq!(first(values(pairs.fake_right.0.clone()), 48), vec![100.0, 101.0, 102.0]);
    assert_eq!(first(values(pairs.fake_right.1.clone()), 2), vec![10.0, 11.0, 12.0], "generated image i with the caption it came from");
}

#[test]
fn generator_and_discriminator_have_the_papers_shapes() {
    let device = Device::flex();
    for res in [16, 32, 64] {
        let config = tiny(res);
        let g = config.init_generator(&device);
        let d = config.init_discriminator(&device);
        let (_, text) = g.embed_prompts(&config.vocabulary(), &["a pink flower", "a blue flower"], &device);
        let images = g.forward(text.clone(), Tensor::<2>::zeros([2, config.noise], &device));
        assert_eq!(images.dims(), [2, 3, res, res]);
        assert_eq!(d.forward(images, text).dims(), [2, 1]);
    }
    // the paper's 256 numbers of text and 100 of noise into G, text first
    let full = Text2ImageConfig::new(vec!["a".into(), "b".into()]);
    let (g, d) = (full.init_drawer(&device), full.init_discriminator(&device));
    assert_eq!(g.project.weight.dims()[0], 356);
    assert_eq!(g.blocks.len(), 3, "4 → 8 → 16 → 32 by upsampling and 3×3 convs, then RGB at 64");
    assert!(g.blocks.iter().chain([&g.to_rgb]).all(|c| c.weight.dims()[2..] == [3, 3]), "3×3 convolutions, no transposed ones");
    // G is the bigger network, as Reed's is
    let (gp, dp) = (g.num_params(), d.num_params());
    assert!(gp > 3 * dp, "G {gp} parameters, D {dp}");
    // text and noise bring the same total variance to G's first layer
    let text = ganzoo::text::l2_normalize(Tensor::<2>::random([64, 256], ganzoo::burn::tensor::Distribution::Normal(0.0, 1.0), &device));
    let z = Tensor::<2>::ones([64, 100], &device);
    let joined = values(condition(text, z));
    let power = |range: std::ops::Range<usize>| joined.chunks(356).map(|row| row[range.clone()].iter().map(|v| v * v).sum::<f32>()).sum::<f32>() / 64.0;
    assert!((power(0..256) - 100.0).abs() < 1e-2 && (power(256..356) - 100.0).abs() < 1e-3, "{} {}", power(0..256), power(256..356));
}

#[test]
fn nearest_neighbour_upsampling_copies_each_pixel_to_a_2x2_block() {
    let device = Device::flex();
    let x = Tensor::<4>::from_floats([[[[1.0, 2.0], [3.0, 4.0]]]], &device);
    assert_eq!(values(upsample(x)), [1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 3.0, 3.0, 4.0, 4.0]);
}

#[test]
fn the_projection_discriminator_sees_the_text_through_both_paths() {
    let device = Device::flex();
    let config = tiny(16);
    let d = config.init_discriminator(&device);
    let images = Tensor::<4>::random([4, 3, 16, 16], ganzoo::burn::tensor::Distribution::Normal(0.0, 1.0), &device);
    let text = ganzoo::text::l2_normalize(Tensor::<2>::random([4, 16], ganzoo::burn::tensor::Distribution::Normal(0.0, 1.0), &device));
    let features = d.features(images.clone());
    assert_eq!(features.dims(), [4, 8 * 2, 4, 4], "the trunk ends at 4×4");
    let whole = values(d.forward(images, text.clone()));
    assert_eq!(values(d.judge(features.clone(), text.clone())), whole, "trunk then judge is the forward pass");
    // without the projection term the logits change: it is part of the score
    let mut no_projection = d.clone();
    no_projection.projection = ganzoo::burn::nn::LinearConfig::new(8, 16).with_bias(false).with_initializer(ganzoo::burn::nn::Initializer::Zeros).init(&device);
    let plain = values(no_projection.judge(features, text));
    assert!(whole.iter().zip(&plain).any(|(a, b)| (a - b).abs() > 1e-4), "{whole:?} vs {plain:?}");
}

#[test]
fn hinge_and_hard_negative_losses_match_hand_computations() {
    let device = Device::flex();
    let col = |v: &[f32]| Tensor::<2>::from_data(TensorData::new(v.to_vec(), [v.len(), 1]), &device);
    // D past every margin pays nothing; inside them, the mean shortfall of each kind
    let zero = values(ganzoo::losses::matching_aware_hinge(col(&[1.5, 2.0]), col(&[-1.0, -3.0]), col(&[-2.0, -1.5])))[0];
    assert_eq!(zero, 0.0);
    let loss = values(ganzoo::losses::matching_aware_hinge(col(&[0.5, 2.0]), col(&[0.0, -3.0]), col(&[1.0, -1.5])))[0];
    // real/right: (0.5 + 0) / 2; real/wrong: (1 + 0) / 2; fake/right: (2 + 0) / 2 → 0.25 + ½(0.5 + 1)
    assert!((loss - 1.0).abs() < 1e-6, "{loss}");
    assert_eq!(values(ganzoo::losses::hinge_generator(col(&[1.0, 3.0])))[0], -2.0);
    // hard negatives, margin 0.5: image [1, 0], caption [1, 0], its contrast [0.6, 0.8] scores
    // 0.6 against 1 (0.5 − 1 + 0.6 = 0.1 short) and has cosine 0.6 with the caption (above
    // 1 − 2·0.5 = 0 by 0.6); the second row is not kept
    let rows = |v: &[[f32; 2]]| Tensor::<2>::from_data(TensorData::new(v.concat(), [v.len(), 2]), &device);
    let images = rows(&[[1.0, 0.0], [0.0, 1.0]]);
    let texts = rows(&[[1.0, 0.0], [0.0, 1.0]]);
    let negatives = rows(&[[0.6, 0.8], [0.0, 1.0]]);
    let l = values(ganzoo::losses::hard_negatives(images.clone(), texts.clone(), negatives, col(&[1.0, 0.0]), 0.5))[0];
    assert!((l - 0.7).abs() < 1e-6, "{l}");
    let l = values(ganzoo::losses::hard_negatives(images, texts, rows(&[[0.0, 1.0], [1.0, 0.0]]), col(&[1.0, 1.0]), 0.2))[0];
    assert_eq!(l, 0.0, "orthogonal contrasts satisfy both margins");
}

#[test]
fn a_caption_contrast_changes_one_stated_attribute() {
    let mut rng = Rng::new(3);
    let caption = "this flower has five pink petals and a yellow center against a blue sky";
    let mut kinds = std::collections::BTreeSet::new();
    for _ in 0..200 {
        let c = captioned::contrast(caption, &mut rng).expect("a number and colours to change");
        let (a, b): (Vec<&str>, Vec<&str>) = (caption.split(' ').collect(), c.split(' ').collect());
        assert_eq!(a.len(), b.len(), "{c}");
        let changed: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        assert!(c.ends_with("against a blue sky"), "the sky's colour is not the flower's: {c}");
        match changed.as_slice() {
            [2] => unreachable!("“has” is not an attribute: {c}"),
            [3] => {
                assert!(["three", "four", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"].contains(&b[3]), "{c}");
                kinds.insert("number");
            }
            [4] | [8] => {
                let i = changed[0];
                let own: &[&str] = if i == 4 { &["pink", "rose"] } else { &["yellow", "golden"] };
                assert!(!own.contains(&b[i]), "never a synonym: {c}");
                assert!(flowers::PETAL_COLOURS.iter().chain(flowers::CENTRE_COLOURS).any(|n| n.words.contains(&b[i])), "{c}");
                kinds.insert("colour");
            }
            [4, 8] => {
                assert_eq!((b[4], b[8]), ("yellow", "pink"), "{c}");
                kinds.insert("swap");
            }
            other => panic!("changed words {other:?}: {c}"),
        }
    }
    assert_eq!(kinds.len(), 3, "every kind of edit is drawn: {kinds:?}");
    assert_eq!(captioned::contrast("a flower with round petals", &mut rng), None);
    assert_eq!(captioned::contrast("golden and yellow petals", &mut rng).map(|c| c.contains("golden") && c.contains("yellow")), Some(false), "synonyms are not swapped, a colour is changed");
}

#[test]
fn high_frequency_power_is_where_checkerboards_are() {
    let res = 16;
    let image = |f: &dyn Fn(usize, usize) -> f32| (0..3 * res * res).map(|i| f((i % (res * res)) / res, i % res)).collect::<Vec<f32>>();
    let flat = high_frequency_power(&image(&|_, _| 0.5), res);
    // one period of a diagonal wave across the image (a DFT sees the image as periodic)
    let smooth = high_frequency_power(&image(&|y, x| (std::f32::consts::TAU * (x + y) as f32 / res as f32).sin()), res);
    let checker = high_frequency_power(&image(&|y, x| if (x + y) % 2 == 0 { 0.1 } else { -0.1 }), res);
    let stripes = high_frequency_power(&image(&|_, x| if x % 2 == 0 { 0.1 } else { -0.1 }), res);
    assert!(flat < 1e-20, "{flat}");
    // a ±0.1 checkerboard is one Nyquist component of power (0.1 · 256)² / 256, averaged over the
    // 16² − 9² = 175 bins with either frequency above a quarter of the sampling rate (5…11 of 16)
    assert!((checker / (0.01 * 256.0 / 175.0) - 1.0).abs() < 1e-6, "{checker}");
    assert!((stripes / checker - 1.0).abs() < 1e-6, "stripes along one axis count as much: {stripes}");
    assert!(smooth < 1e-12, "a low frequency has no high-frequency power: {smooth}");
}

fn export_tiny(dir: &Path) -> (Text2ImageConfig, AnyGenerator) {
    let device = Device::flex();
    let config = tiny(16);
    let model = AnyGenerator::Text2image(config.init_generator(&device));
    bundle::export(&model, &ModelConfig::Text2image(config.clone()), Provenance::default(), WeightDtype::F32, dir).unwrap();
    (config, model)
}

#[test]
fn a_bundle_round_trips_with_its_vocabulary() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("models/t2i");
    let (config, model) = export_tiny(&dir);
    let device = Device::flex();
    let (manifest, loaded) = bundle::load_dir(&dir, &device).unwrap();
    assert_eq!(manifest.kind, "text2image");
    let ModelConfig::Text2image(c) = &manifest.config else { panic!("kind") };
    assert_eq!(c.vocabulary, config.vocabulary, "the vocabulary travels in the manifest");
    let (AnyGenerator::Text2image(a), AnyGenerator::Text2image(b)) = (&model, &loaded) else { panic!("kind") };
    let v = config.vocabulary();
    let seeds = [1, 2];
    let (_, x) = a.draw(&v, &["five red petals", "a white flower"], &seeds, config.noise, &device);
    let (_, y) = b.draw(&v, &["five red petals", "a white flower"], &seeds, config.noise, &device);
    assert_eq!(values(x), values(y));

    // a vocabulary of another size does not fit the weights; an unsorted one is refused
    let manifest_path = dir.join(bundle::MANIFEST_FILE);
    let json = std::fs::read_to_string(&manifest_path).unwrap();
    let mut m: serde_json::Value = serde_json::from_str(&json).unwrap();
    m["config"]["vocabulary"].as_array_mut().unwrap().push("zzzz".into());
    std::fs::write(&manifest_path, serde_json::to_vec(&m).unwrap()).unwrap();
    let err = bundle::load_dir(&dir, &device).unwrap_err().to_string();
    assert!(err.contains("weights do not fit") && err.contains("words.weight"), "{err}");
    m["config"]["vocabulary"].as_array_mut().unwrap().swap(0, 1);
    std::fs::write(&manifest_path, serde_json::to_vec(&m).unwrap()).unwrap();
    let err = bundle::load_dir(&dir, &device).unwrap_err().to_string();
    assert!(err.contains("sorted"), "{err}");
}

#[test]
fn flowers_are_deterministic_varied_and_captioned() {
    assert_eq!(flowers::render(7), flowers::render(7));
    assert_ne!(flowers::render(7), flowers::render(8));
    let attrs: Vec<Attributes> = (0..400).map(Attributes::of).collect();
    for a in &attrs {
        assert!((flowers::MIN_PETALS..=flowers::MAX_PETALS).contains(&a.petals));
        assert_ne!(a.colour, a.second);
    }
    let petals: std::collections::BTreeSet<usize> = attrs.iter().map(|a| a.petals).collect();
    let colours: std::collections::BTreeSet<usize> = attrs.iter().map(|a| a.colour).collect();
    assert_eq!(petals.len(), 10, "every count from 3 to 12 occurs");
    assert_eq!(colours.len(), PETAL_COLOURS.len());
    for i in 0..100 {
        let caps = flowers::captions(i);
        assert_eq!(caps.len(), flowers::CAPTIONS_PER_IMAGE);
        let a = &attrs[i];
        for c in &caps {
            let named = PETAL_COLOURS[a.colour].words.iter().any(|w| c.split(|ch: char| !ch.is_alphanumeric()).any(|x| x == *w));
            assert!(named, "caption {c:?} names the petal colour {}", PETAL_COLOURS[a.colour].name());
        }
        assert!(caps.iter().collect::<std::collections::HashSet<_>>().len() > 1, "paraphrases differ");
    }
    assert!(Attributes::is_test(9) && !Attributes::is_test(10));
}

#[test]
fn the_measurer_reads_the_drawn_attributes() {
    let (mut colour, mut count) = (0, 0);
    let n = 120;
    for i in 0..n {
        let a = Attributes::of(i);
        let m = flowers::measure(&flowers::render(i), flowers::RESOLUTION);
        colour += (m.colour == Some(a.colour)) as usize;
        count += (m.petals.abs_diff(a.petals) <= 1) as usize;
    }
    assert!(colour * 100 >= n * 90, "petal colour read right on {colour}/{n} drawn flowers");
    assert!(count * 100 >= n * 80, "petal count within one on {count}/{n} drawn flowers");
    // a plain image has no flower
    let flat = vec![0.2; 3 * 64 * 64];
    assert_eq!(flowers::measure(&flat, 64).colour, None);
}

fn write_jpg(path: &Path, shade: u8) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::RgbImage::from_pixel(20, 16, image::Rgb([shade, 100, 50])).save(path).unwrap();
}

#[test]
fn the_oxford102_layout_loads_with_reeds_captions() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    for (i, class) in [(1, 1), (2, 1), (3, 2)] {
        write_jpg(&root.join(format!("jpg/image_{i:05}.jpg")), 40 * i as u8);
        let dir = root.join(format!("text_c10/class_{class:05}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("image_{i:05}.txt")), format!("caption one of {i}\ncaption two of {i}\n\n")).unwrap();
    }
    write_jpg(&root.join("jpg/image_00004.jpg"), 200); // no caption: skipped
    std::fs::write(root.join("jpg/image_00005.jpg"), b"not a jpeg").unwrap(); // unreadable: skipped
    std::fs::write(root.join("testclasses.txt"), "class_00002\n").unwrap();
    let ds = captioned::open(root.to_str().unwrap(), 8, 0).unwrap();
    assert_eq!(ds.images.len, 3);
    assert_eq!(ds.captions[0], vec!["caption one of 1", "caption two of 1"]);
    assert_eq!(ds.captions[2][1], "caption two of 3");
    assert_eq!(ds.test, vec![false, false, true], "Reed's test classes are held out");
    assert_eq!(ds.images.skipped.len(), 2);
    assert_eq!(ds.images.resolution, 8);
}

#[test]
fn an_image_folder_loads_with_caption_files_or_a_captions_list() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    for i in 0..12 {
        write_jpg(&root.join(format!("f{i:02}.jpg")), i * 10);
    }
    std::fs::write(root.join("f00.txt"), "a red flower\n").unwrap();
    let list: String = (1..11).map(|i| format!("f{i:02}.jpg\tflower number {i}\n")).collect();
    std::fs::write(root.join("captions.txt"), list).unwrap();
    let ds = captioned::open(root.to_str().unwrap(), 8, 0).unwrap();
    assert_eq!(ds.images.len, 11, "f11 has no caption and is skipped");
    assert_eq!(ds.captions[0], vec!["a red flower"]);
    assert_eq!(ds.captions[3], vec!["flower number 3"]);
    assert_eq!(ds.test_indices(), vec![9]);

    std::fs::write(root.join("captions.txt"), "f01.jpg\ta red flower\n\nf02.jpg has no tab\n").unwrap();
    let err = captioned::open(root.to_str().unwrap(), 8, 0).err().unwrap();
    assert!(err.contains("line 3") && err.contains("<TAB>"), "blank lines count: {err}");
    let empty = tempfile::tempdir().unwrap();
    write_jpg(&empty.path().join("x.jpg"), 1);
    let err = captioned::open(empty.path().to_str().unwrap(), 8, 0).err().unwrap();
    assert!(err.contains("has a caption"), "{err}");
    assert!(captioned::open("no/such/dir", 8, 0).err().unwrap().contains("flowers"));
}

fn shipped(device: &Device) -> (Text2ImageConfig, TextToImage) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models/text2flower64");
    let (manifest, model) = bundle::load_dir(&dir, device).unwrap();
    let (AnyGenerator::Text2image(model), ModelConfig::Text2image(config)) = (model, manifest.config) else { panic!("kind") };
    (config, model)
}

/// Probe accuracy of colour, count and centre, and the count variants' cosine bound.
const PROBE: (f64, f64, f64, f64) = (0.98, 0.98, 0.98, 0.56);

/// The shipped text encoder's feature holds what a caption states: a linear probe fitted on
/// training captions reads the petal colour, the exact petal count and the centre colour of the
/// 1,200 held-out captions, and a caption with only its number changed lands well away from
/// itself. The bars sit under what the shipped encoder measures (README).
#[test]
fn the_shipped_text_feature_encodes_colour_count_and_centre() {
    let device = Device::flex();
    let (config, model) = shipped(&device);
    let report = probe_text(&model.encoder, &config.vocabulary(), 2000, 200, &device);
    eprintln!("{}", report.table());
    let rate = |(a, b): (usize, usize)| a as f64 / b as f64;
    assert_eq!((report.colour.1, report.count.1, report.centre.1), (1200, 720, 831), "the held-out captions and those stating a count, a centre");
    assert!(rate(report.colour) >= PROBE.0 && rate(report.count) >= PROBE.1 && rate(report.centre) >= PROBE.2, "{report:?}");
    assert!(report.count_variants < PROBE.3, "captions differing only in the number: cosine {}", report.count_variants);
}

/// Four noises of one held-out caption give four different flowers; at least one of each four,
/// and `TOLD` of all 16, measure the colour the caption states.
/// Different: mean |Δ| per channel in [-1, 1] above this.
const APART: f32 = 0.04;
/// Of the 16 flowers, how many at least measure the colour they were told (the shipped model: 11;
/// its weakest prompt is the purple one with white tips, 1 of 4).
const TOLD: usize = 10;

#[test]
fn the_shipped_bundle_draws_four_different_flowers_per_caption_most_of_the_stated_colour() {
    let device = Device::flex();
    let (config, model) = shipped(&device);
    let mut told_right = 0;
    let prompts = [
        ("this flower has five large pink petals and a yellow center", "pink"),
        ("a blue flower with twelve thin petals and a small yellow middle", "blue"),
        ("a red flower with three round petals and a black center", "red"),
        ("the petals of this flower are purple with white tips", "purple"),
    ];
    for (prompt, colour) in prompts {
        let (_, images) = model.draw(&config.vocabulary(), &[prompt; 4], &[0, 1, 2, 3], config.noise, &device);
        let images = ganzoo::image::ImageBatch::from_data(images.into_data()).unwrap();
        let size = 3 * images.h * images.w;
        let flower = |i: usize| &images.data[i * size..(i + 1) * size];
        let told = PETAL_COLOURS.iter().position(|c| c.name() == colour).unwrap();
        let right = (0..4).filter(|&i| flowers::measure(flower(i), images.h).colour == Some(told)).count();
        let apart: Vec<f32> = (0..4)
            .flat_map(|a| (a + 1..4).map(move |b| (a, b)))
            .map(|(a, b)| flower(a).iter().zip(flower(b)).map(|(x, y)| (x - y).abs()).sum::<f32>() / size as f32)
            .collect();
        eprintln!("“{prompt}”: {right}/4 measure {colour}; pairwise mean |Δ| {apart:?}");
        assert!(right >= 1, "“{prompt}”: {right}/4 flowers measure {colour}");
        assert!(apart.iter().all(|&d| d > APART), "“{prompt}”: some noises give flowers under {APART} apart (mean |Δ| in [-1, 1])");
        told_right += right;
    }
    assert!(told_right >= TOLD, "{told_right}/16 flowers measure the colour they were told");
}

/// With the shipped bundle, over the whole palette: the prompt "this flower has five COLOUR
/// petals and a yellow center" for each of the 11 colours, with the same 8 noises. The measured
/// petal colour must be the word's in at least `PAINTED` of the 88 flowers (chance: 8), the
/// colours the model paints best must come out in most of their flowers, and changing only the
/// colour word must change the measured colour. The bars sit a little under what the shipped
/// model does (README: petal colour by name), so a worse model fails them.
#[test]
fn the_shipped_bundle_paints_the_colour_it_is_told() {
    const PAINTED: usize = 60;
    const BEST: [&str; 6] = ["red", "pink", "yellow", "blue", "magenta", "peach"];
    let device = Device::flex();
    let (config, model) = shipped(&device);
    let v = config.vocabulary();
    let seeds: Vec<u64> = (0..8).collect();
    let measured: Vec<Vec<Option<usize>>> = PETAL_COLOURS
        .iter()
        .map(|colour| {
            let prompt = format!("this flower has five {} petals and a yellow center", colour.name());
            let prompts = vec![prompt.as_str(); seeds.len()];
            let (_, images) = model.draw(&v, &prompts, &seeds, config.noise, &device);
            let images = ganzoo::image::ImageBatch::from_data(images.into_data()).unwrap();
            let size = 3 * images.h * images.w;
            (0..images.n).map(|i| flowers::measure(&images.data[i * size..(i + 1) * size], images.h).colour).collect()
        })
        .collect();
    let hits: Vec<usize> = measured.iter().enumerate().map(|(k, m)| m.iter().filter(|c| **c == Some(k)).count()).collect();
    let report: Vec<String> = PETAL_COLOURS.iter().zip(&hits).map(|(c, h)| format!("{} {h}/8", c.name())).collect();
    eprintln!("measured as told: {}", report.join(", "));
    let total: usize = hits.iter().sum();
    assert!(total >= PAINTED, "the colour word is painted in {total}/88 flowers, under {PAINTED}: {report:?}");
    for name in BEST {
        let k = PETAL_COLOURS.iter().position(|c| c.name() == name).unwrap();
        assert!(hits[k] >= 6, "“{name}” petals measure {name} in {}/8 flowers: {:?}", hits[k], measured[k]);
    }
    // the same noise, only the colour word changed: how many different colours each noise gives
    let distinct: Vec<usize> = (0..seeds.len())
        .map(|s| measured.iter().map(|m| m[s]).collect::<std::collections::HashSet<_>>().len())
        .collect();
    assert!(distinct.iter().all(|&d| d >= 5), "measured colours per noise over the 11 words: {distinct:?}");
}
