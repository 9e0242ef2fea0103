//! Every kind of training data: the loaders on small fixtures made here (every layout a user
//! brings), and on the real data `scripts/fetch-data.sh` fetches (which must be there: a missing
//! dataset fails, it is never skipped).
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::path::Path;

use ganzoo::data::likelihood::{self, Depth, LikelihoodImages};
use ganzoo::data::unpaired::{self, Split, UnpairedDomains, UnpairedSource};
use ganzoo::data::{ImageDataset, image_folder, matfile, wildfaces};
use ganzoo::latent::Rng;

/// A MATLAB level-5 file with one compressed uint8 matrix `X` (column-major), as MATLAB writes.
fn mat_file(name: &str, rows: usize, cols: usize, value: impl Fn(usize, usize) -> u8) -> Vec<u8> {
    fn element(ty: u32, payload: &[u8]) -> Vec<u8> {
        let mut e = Vec::new();
        e.extend(ty.to_le_bytes());
        e.extend((payload.len() as u32).to_le_bytes());
        e.extend(payload);
        e.resize(e.len().div_ceil(8) * 8, 0);
        e
    }
    let mut matrix = Vec::new();
    matrix.extend(element(6, &[9, 0, 0, 0, 0, 0, 0, 0])); // flags: class uint8 (9)
    matrix.extend(element(5, &[(rows as i32).to_le_bytes(), (cols as i32).to_le_bytes()].concat()));
    matrix.extend(element(1, name.as_bytes()));
    let data: Vec<u8> = (0..cols).flat_map(|c| (0..rows).map(move |r| (r, c))).map(|(r, c)| value(r, c)).collect();
    matrix.extend(element(2, &data));
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&element(14, &matrix)).unwrap();
    let mut file = b"MATLAB 5.0 MAT-file, test fixture".to_vec();
    file.resize(124, b' ');
    file.extend([0x00, 0x01, b'I', b'M']);
    file.extend(element(15, &z.finish().unwrap()));
    file
}

#[test]
fn wildfaces_layout_is_decoded_column_major() {
    // 2 faces; pixel (y, x, c) of face n = X[n, c·1600 + x·40 + y]; encode y, x, c, n in the value.
    let value = |n: usize, col: usize| {
        let (c, x, y) = (col / 1600, (col % 1600) / 40, col % 40);
        ((y + 2 * x + 50 * c + 7 * n) % 256) as u8
    };
    let faces = wildfaces::decode(&mat_file("X", 2, 4800, value)).unwrap();
    assert_eq!(faces.len(), 2);
    for n in 0..2 {
        for (x, y) in [(0, 0), (5, 17), (39, 2), (21, 39)] {
            let px = faces[n].get_pixel(x as u32, y as u32).0;
            for c in 0..3 {
                assert_eq!(px[c], value(n, c * 1600 + x * 40 + y), "face {n} ({x},{y}) channel {c}");
            }
        }
    }
    assert!(wildfaces::decode(&mat_file("Y", 2, 4800, value)).unwrap_err().contains("`X`"));
    assert!(wildfaces::decode(&mat_file("X", 2, 100, value)).is_err());
    let good = mat_file("X", 2, 4800, value);
    assert!(matfile::read_mat(&good[..good.len() - 40]).is_err(), "a truncated file is an error, not a panic");
    assert!(matfile::read_mat(b"PK\x03\x04 not a mat file").is_err());
}

#[test]
fn image_folder_crops_resizes_and_skips_broken_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // a 30×20 landscape image: left third red, middle green, right third blue
    let img = image::RgbImage::from_fn(30, 20, |x, _| match x / 10 {
        0 => image::Rgb([255, 0, 0]),
        1 => image::Rgb([0, 255, 0]),
        _ => image::Rgb([0, 0, 255]),
    });
    img.save(dir.join("a.png")).unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    image::RgbImage::from_pixel(8, 8, image::Rgb([255, 255, 255])).save(dir.join("sub/b.jpg")).unwrap();
    std::fs::write(dir.join("broken.png"), b"\x89PNG\r\n\x1a\n garbage").unwrap();
    std::fs::write(dir.join("notes.txt"), b"ignored").unwrap();

    let ds = image_folder::load(dir, 8).unwrap();
    assert_eq!(ds.len, 2);
    assert_eq!(ds.skipped.len(), 1);
    assert!(ds.skipped[0].0.ends_with("broken.png"));
    // center crop keeps the middle 20×20 (x 5..25), so the centre pixel is green
    let plane = 64;
    let center = 4 * 8 + 4;
    assert!(ds.images[center] < -0.9 && ds.images[plane + center] > 0.9, "center of a.png is green");
    assert!(ds.images[3 * plane..].iter().all(|&v| v > 0.9), "b.jpg is white");

    let empty = tempfile::tempdir().unwrap();
    assert!(image_folder::load(empty.path(), 8).err().unwrap().contains("no readable"));
}

// ---- two unpaired domains ----

/// A 4×4 image whose red channel says which picture it is (`id`) and whose green says the domain.
fn picture(id: usize, domain: u8) -> image::RgbImage {
    image::RgbImage::from_pixel(4, 4, image::Rgb([(10 * id) as u8, domain, 0]))
}

/// The picture ids in a dataset, read back from the red channel.
fn ids(ds: &ImageDataset) -> Vec<usize> {
    let size = 3 * ds.resolution * ds.resolution;
    (0..ds.len).map(|i| ((ds.images[i * size] + 1.0) * 127.5 / 10.0).round() as usize).collect()
}

/// Domains A and B with pictures 0..20 under the same names, two more only in A, and an
/// unreadable file in B.
fn two_folders(root: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (a, b) = (root.join("apples"), root.join("oranges"));
    std::fs::create_dir_all(a.join("sub")).unwrap();
    std::fs::create_dir_all(b.join("sub")).unwrap();
    for id in 0..20 {
        let name = if id < 5 { format!("sub/{id:02}") } else { format!("{id:02}") };
        picture(id, 0).save(a.join(format!("{name}.png"))).unwrap();
        picture(id, 200).save(b.join(format!("{name}.jpg"))).unwrap(); // another extension, same name
    }
    picture(20, 0).save(a.join("20.png")).unwrap();
    picture(21, 0).save(a.join("21.png")).unwrap();
    std::fs::write(b.join("broken.png"), b"\x89PNG\r\n\x1a\n garbage").unwrap();
    (a, b)
}

#[test]
fn two_folders_pair_by_name_and_hold_a_tenth_of_the_pairs_out_of_both_domains() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_folders(tmp.path());
    let source = UnpairedSource::parse(None, Some(&a), Some(&b)).unwrap();
    let d: UnpairedDomains = unpaired::open(&source, 4, 7, Split::ByName).unwrap();
    assert_eq!(d.domains, ["apples".to_string(), "oranges".to_string()]);

    // 20 shared names: 2 held out, as pairs of the same picture
    let pairs = d.pairs.clone().expect("the domains share names");
    assert_eq!(pairs.len(), 2);
    let held = ids(&d.test_a);
    assert_eq!(held, ids(&d.test_b), "test_a[i] and test_b[i] are the same picture");
    for (name, id) in pairs.iter().zip(&held) {
        assert!(name.ends_with(&format!("{id:02}")), "pair {name} holds picture {id}");
    }
    // training: everything else, never a held-out picture, in either domain
    let (train_a, train_b) = (ids(&d.a), ids(&d.b));
    assert_eq!(train_a.len(), 22 - 2);
    assert_eq!(train_b.len(), 20 - 2);
    assert!(held.iter().all(|h| !train_a.contains(h) && !train_b.contains(h)));
    assert!(train_a.contains(&20) && train_a.contains(&21), "names only in A still train");
    assert_eq!(d.b.skipped.len(), 1, "the unreadable file is skipped and counted");
    assert!(d.b.images.chunks(48).all(|img| (((img[16] + 1.0) * 127.5).round() - 200.0).abs() <= 3.0), "B's own pixels (JPEG: within 3)");

    // the seed fixes the held-out names; another seed picks others
    assert_eq!(unpaired::open(&source, 4, 7, Split::ByName).unwrap().pairs.unwrap(), pairs);
    let other: Vec<Vec<String>> = (8..12).map(|s| unpaired::open(&source, 4, s, Split::ByName).unwrap().pairs.unwrap()).collect();
    assert!(other.iter().any(|p| *p != pairs));
}

#[test]
fn the_cyclegan_layout_and_unshared_names_hold_out_unpaired() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("horse2zebra");
    for (folder, ids, domain) in [("trainA", 0..6, 0), ("trainB", 6..13, 200), ("testA", 13..15, 0), ("testB", 15..18, 200)] {
        std::fs::create_dir_all(root.join(folder)).unwrap();
        for id in ids {
            picture(id, domain).save(root.join(format!("{folder}/{folder}_{id}.png"))).unwrap();
        }
    }
    let d = unpaired::open(&UnpairedSource::parse(Some(root.to_str().unwrap()), None, None).unwrap(), 4, 0, Split::ByName).unwrap();
    let sorted = |ds: &ImageDataset| {
        let mut v = ids(ds);
        v.sort();
        v
    };
    assert_eq!((sorted(&d.a), sorted(&d.b)), ((0..6).collect(), (6..13).collect()));
    assert_eq!((sorted(&d.test_a), sorted(&d.test_b)), ((13..15).collect(), (15..18).collect()));
    assert!(d.pairs.is_none(), "no shared names: no pairs");

    // without test folders a tenth of each domain is held out, each on its own
    std::fs::remove_dir_all(root.join("testA")).unwrap();
    let d = unpaired::open(&UnpairedSource::Layout(root.clone()), 4, 0, Split::ByName).unwrap();
    assert_eq!((d.a.len, d.test_a.len, d.b.len, d.test_b.len), (5, 1, 6, 1));
    assert!(d.pairs.is_none());

    // two folders sharing one name of six are not paired: a coincidence, not a pairing
    let (a, b) = (tmp.path().join("summer"), tmp.path().join("winter"));
    for (dir, ids) in [(&a, 0..6), (&b, 5..11)] {
        std::fs::create_dir_all(dir).unwrap();
        for id in ids {
            picture(id, 0).save(dir.join(format!("IMG_{id:04}.png"))).unwrap();
        }
    }
    let d = unpaired::open(&UnpairedSource::Folders(a, b), 4, 0, Split::ByName).unwrap();
    assert!(d.pairs.is_none(), "one shared name of six does not pair the folders");
    assert_eq!((d.a.len + d.test_a.len, d.b.len + d.test_b.len), (6, 6));

    let err = unpaired::open(&UnpairedSource::Layout(tmp.path().into()), 4, 0, Split::ByName).err().unwrap();
    assert!(err.contains("trainA/") && err.contains("--a DIR --b DIR"), "{err}");
    assert!(UnpairedSource::parse(Some("emoji"), Some(&root), None).unwrap_err().contains("--a DIR --b DIR"));
}

#[test]
fn transparent_pixels_are_composited_on_white() {
    // top row fully transparent red, bottom row red at alpha 128
    let img = image::RgbaImage::from_fn(2, 2, |_, y| image::Rgba([255, 0, 0, if y == 0 { 0 } else { 128 }]));
    let chw = ganzoo::image::decode_to_chw(&ganzoo::image::png_bytes(&img), 2).unwrap();
    let byte = |v: f32| ((v + 1.0) * 127.5).round() as u8;
    let rgb = |p: usize| [byte(chw[p]), byte(chw[4 + p]), byte(chw[8 + p])];
    assert_eq!(rgb(0), [255, 255, 255], "transparent → white");
    assert_eq!(rgb(2), [255, 127, 127], "red at alpha 128 over white: 255·(1 − 128/255) = 127");
}

#[test]
fn the_emoji_are_two_styles_of_the_same_names() {
    let d = unpaired::open(&UnpairedSource::Emoji, 64, 0, Split::ByName).expect("scripts/fetch-data.sh fetches the emoji");
    let pairs = d.pairs.as_ref().unwrap();
    assert_eq!(pairs.len(), 379, "a tenth of 3,786 names");
    assert_eq!((d.a.len + d.a.skipped.len(), d.b.len + d.b.skipped.len()), (3786 - 379, 3786 - 379));
    assert_eq!(d.domains, ["google".to_string(), "twitter".to_string()]);
    // transparent corners come out white in both styles
    let plane = 64 * 64;
    for ds in [&d.test_a, &d.test_b] {
        let white = (0..ds.len).filter(|i| (0..3).all(|c| ds.images[(3 * i + c) * plane] > 0.99)).count();
        assert!(white as f64 > 0.95 * ds.len as f64, "{white} of {} corners white", ds.len);
    }
    // a held-out pair is closer than an emoji and another name's: the pairing is real
    let l1 = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| (p - q).abs()).sum::<f32>() / x.len() as f32;
    let img = |ds: &ImageDataset, i: usize| ds.images[i * 3 * plane..(i + 1) * 3 * plane].to_vec();
    let n = d.test_a.len;
    let same: f32 = (0..n).map(|i| l1(&img(&d.test_a, i), &img(&d.test_b, i))).sum::<f32>() / n as f32;
    let other: f32 = (0..n).map(|i| l1(&img(&d.test_a, i), &img(&d.test_b, (i + 1) % n))).sum::<f32>() / n as f32;
    println!("emoji L1 google→twitter: same name {same:.4}, another name {other:.4}");
    assert!(same < 0.7 * other, "same name {same}, another name {other}");
}

// ---- images for likelihood ----

fn idx3(n: usize, side: usize, value: impl Fn(usize) -> u8) -> Vec<u8> {
    let mut bytes = [0x0803u32, n as u32, side as u32, side as u32].iter().flat_map(|w| w.to_be_bytes()).collect::<Vec<u8>>();
    bytes.extend((0..n * side * side).map(value));
    bytes
}

#[test]
fn an_idx_folder_is_read_plain_or_gzipped_and_bad_headers_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("train-images-idx3-ubyte"), idx3(3, 5, |i| (i % 256) as u8)).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&idx3(2, 5, |i| 255 - (i % 256) as u8)).unwrap();
    std::fs::write(tmp.path().join("t10k-images-idx3-ubyte.gz"), gz.finish().unwrap()).unwrap();

    let d = LikelihoodImages::open(tmp.path().to_str().unwrap(), None).unwrap();
    assert_eq!((d.side, d.depth, d.train_len, d.test_len), (5, Depth::EightBit, 3, 2));
    assert_eq!(d.test_pixels(&[1])[..3], [255 - 25, 255 - 26, 255 - 27]);
    assert_eq!(d.train_pixels(&[2, 0], &mut Rng::new(0))[..2], [50, 51], "8-bit pixels are the bytes");

    let bad = |bytes: Vec<u8>| likelihood::parse_idx_images(&bytes).unwrap_err();
    assert!(bad(b"PK\x03\x04 not idx".to_vec()).contains("magic"));
    assert!(bad(idx3(3, 5, |_| 0)[..60].to_vec()).contains("holds"), "truncated");
    let mut huge = idx3(1, 5, |_| 0);
    huge[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
    huge[8..16].copy_from_slice(&[0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]);
    assert!(bad(huge).contains("holds"), "a header that overflows is refused, not a panic");
    assert!(LikelihoodImages::open("no-such-data", None).err().unwrap().contains("mnist"));
}

#[test]
fn binarization_draws_each_pixel_with_its_intensity() {
    let mut rng = Rng::new(3);
    let draws = likelihood::binarize(&[0, 255, 128].repeat(20_000), &mut rng);
    let ones = |k: usize| draws.iter().skip(k).step_by(3).filter(|&&b| b == 1).count();
    assert_eq!((ones(0), ones(1)), (0, 20_000));
    // Bernoulli(128/255 = 0.502) over 20,000 draws: σ = 0.0035
    let p = ones(2) as f64 / 20_000.0;
    assert!((p - 128.0 / 255.0).abs() < 0.012, "{p}");
}

#[test]
fn mnist_is_binarized_afresh_for_training_and_once_for_the_held_out_tenth() {
    let d = LikelihoodImages::open("mnist", None).expect("scripts/fetch-data.sh fetches MNIST");
    assert_eq!((d.side, d.depth, d.train_len, d.test_len), (28, Depth::Binary, 9000, 1000));
    assert!(d.test.iter().all(|&b| b <= 1));
    // the npm digits' mean intensity is 0.1311; the held-out bits keep it
    let train_mean = d.train.iter().map(|&v| v as f64).sum::<f64>() / d.train.len() as f64 / 255.0;
    let test_ones = d.test.iter().filter(|&&b| b == 1).count() as f64 / d.test.len() as f64;
    assert!((train_mean - 0.1311).abs() < 0.003, "{train_mean}");
    assert!((test_ones - 0.1311).abs() < 0.01, "{test_ones}");
    assert_eq!(LikelihoodImages::open("mnist", None).unwrap().test, d.test, "the held-out bits are fixed");
    // training draws depend only on the RNG state
    let (a, b) = (d.train_pixels(&[0, 1], &mut Rng::new(5)), d.train_pixels(&[0, 1], &mut Rng::new(5)));
    assert_eq!(a, b);
    assert_ne!(a, d.train_pixels(&[0, 1], &mut Rng::new(6)));
    let eight = LikelihoodImages::open("mnist", Some(Depth::EightBit)).unwrap();
    assert!(eight.test.iter().any(|&v| v > 1 && v < 255));
}

#[test]
fn fashion_mnist_is_60000_and_10000_eight_bit_images() {
    let d = LikelihoodImages::open("fashion-mnist", None).expect("scripts/fetch-data.sh fetches Fashion-MNIST");
    assert_eq!((d.side, d.depth, d.train_len, d.test_len), (28, Depth::EightBit, 60_000, 10_000));
    let mean = d.train.iter().map(|&v| v as f64).sum::<f64>() / d.train.len() as f64 / 255.0;
    assert!((mean - 0.2860).abs() < 0.0005, "Fashion-MNIST's published training mean is 0.2860, got {mean}");
    assert_eq!(d.test_pixels(&[0])[14 * 28 + 10..14 * 28 + 18], [0, 0, 98, 136, 110, 109, 110, 162]);
    let device = ganzoo::burn::prelude::Device::flex();
    assert_eq!(d.tensor(&d.test_pixels(&[0, 1]), &device).dims(), [2, 1, 28, 28]);
}

#[test]
fn a_name_and_its_skin_tone_siblings_share_a_base() {
    assert_eq!(unpaired::base_name("1f44b-1f3fd"), "1f44b");
    assert_eq!(unpaired::base_name("1f44b"), "1f44b");
    assert_eq!(unpaired::base_name("1f9d1-1f3fb-200d-1f91d-200d-1f9d1-1f3ff"), "1f9d1-200d-1f91d-200d-1f9d1");
    assert_eq!(unpaired::base_name("2764-fe0f"), "2764");
    assert_eq!(unpaired::base_name("horse_0001"), "horse_0001", "other names are their own base");
    assert_eq!(unpaired::base_name("fe0f"), "fe0f", "a name of modifiers only stays itself");
}

/// Held out by base, a held-out emoji has none of its skin-tone siblings in training; by name
/// (the runs before) it usually has.
#[test]
fn holding_out_by_base_keeps_every_sibling_of_a_held_out_name_out_of_training() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    // 12 bases with five skin tones each (72 names), 28 names of their own: 100 names
    let mut names = Vec::new();
    for base in 0..12 {
        names.push(format!("1f4{base:02x}"));
        names.extend(["1f3fb", "1f3fc", "1f3fd", "1f3fe", "1f3ff"].map(|tone| format!("1f4{base:02x}-{tone}")));
    }
    names.extend((0..28).map(|i| format!("plain{i:02}")));
    for (id, name) in names.iter().enumerate() {
        picture(id % 25, 0).save(a.join(format!("{name}.png"))).unwrap();
        picture(id % 25, 200).save(b.join(format!("{name}.png"))).unwrap();
    }
    let source = UnpairedSource::Folders(a, b);
    let siblings_in_training = |d: &UnpairedDomains| {
        let held = d.pairs.as_ref().unwrap();
        held.iter().filter(|h| d.names_a.iter().any(|t| unpaired::base_name(t) == unpaired::base_name(h))).count()
    };
    let mut by_name_leaks = 0;
    for seed in 0..6 {
        let d = unpaired::open(&source, 4, seed, Split::ByBase).unwrap();
        let held = d.pairs.as_ref().unwrap();
        assert!((10..=15).contains(&held.len()), "about a tenth, whole bases: {held:?}");
        assert_eq!(siblings_in_training(&d), 0, "seed {seed}: {held:?}");
        assert_eq!(d.a.len + held.len(), 100);
        by_name_leaks += siblings_in_training(&unpaired::open(&source, 4, seed, Split::ByName).unwrap());
    }
    assert!(by_name_leaks > 0, "by name, some held-out emoji keep a sibling in training");
}

#[test]
fn the_emoji_held_out_by_base_have_no_sibling_in_training() {
    let d = unpaired::open(&UnpairedSource::Emoji, 64, 0, Split::ByBase).expect("scripts/fetch-data.sh fetches the emoji");
    let held = d.pairs.as_ref().unwrap();
    let bases: std::collections::BTreeSet<String> = held.iter().map(|h| unpaired::base_name(h)).collect();
    assert!(d.names_a.iter().chain(&d.names_b).all(|t| !bases.contains(&unpaired::base_name(t))));
    // by name, the split that trained the shipped translators, most held-out toned emoji had a sibling in training
    let by_name = unpaired::open(&UnpairedSource::Emoji, 64, 0, Split::ByName).unwrap();
    let train: std::collections::BTreeSet<String> = by_name.names_a.iter().map(|t| unpaired::base_name(t)).collect();
    let leaks = by_name.pairs.as_ref().unwrap().iter().filter(|h| train.contains(&unpaired::base_name(h))).count();
    println!("held out by base: {} names of {} bases; by name: {leaks} of {} held-out names had a sibling in training", held.len(), bases.len(), by_name.pairs.as_ref().unwrap().len());
    assert!((379..=405).contains(&held.len()), "whole bases until a tenth: {}", held.len());
    assert!(leaks > 50, "{leaks}");
}

#[test]
fn a_sheet_is_cut_into_its_tiles_in_reading_order_and_blank_ones_are_left_out() {
    // a 3×2 sheet of 4-px tiles: tile k is grey level 40·k, the last one left white (blank)
    let mut sheet = image::RgbImage::from_pixel(12, 8, image::Rgb([255, 255, 255]));
    for k in 0..5u32 {
        for (x, y) in (0..4).flat_map(|x| (0..4).map(move |y| (x, y))) {
            sheet.put_pixel((k % 3) * 4 + x, (k / 3) * 4 + y, image::Rgb([40 * k as u8; 3]));
        }
    }
    let png = ganzoo::image::png_bytes(&image::DynamicImage::ImageRgb8(sheet).to_rgba8());
    let tiles = ganzoo::image::sheet_to_chw(&png, 4, 4).unwrap();
    let levels: Vec<f32> = tiles.iter().map(|t| t[0]).collect();
    let want: Vec<f32> = (0..5).map(|k| ganzoo::image::from_u8(40 * k as u8)).collect();
    assert_eq!(levels, want, "five tiles, in reading order, the white sixth left out");
    assert!(tiles.iter().all(|t| t.len() == 3 * 16 && t.iter().all(|&v| v == t[0])), "each tile is one grey");
    assert!(ganzoo::image::sheet_to_chw(&png, 16, 4).unwrap_err().contains("holds no tile of 16 px"));
    assert!(ganzoo::image::sheet_to_chw(b"not a png", 4, 4).unwrap_err().contains("not a readable"));

    // the site's sheets, as `train dcgan --data SHEET.png` opens them (the JSON beside gives the tile)
    let emoji = ganzoo::data::open("www/held-out/held-out.png", 32).unwrap();
    assert_eq!((emoji.len, emoji.resolution), (64, 32));
    let digits = ganzoo::data::open("www/held-out/mnist.png", 28).unwrap();
    assert_eq!(digits.len, 32);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.png"), &png).unwrap();
    std::fs::write(dir.path().join("s.json"), b"{\"columns\": 3}").unwrap();
    let err = ganzoo::data::open(dir.path().join("s.png").to_str().unwrap(), 4).err().unwrap();
    assert!(err.contains("gives no \"tile\""), "{err}");
}

#[test]
fn the_lfw_faces_are_read_grey_at_the_model_size_and_a_bad_npy_is_refused() {
    let faces = ganzoo::data::lfw::load(&ganzoo::data::data_dir().join(ganzoo::data::lfw::FILE), 32, 32).unwrap();
    assert_eq!((faces.len, faces.resolution), (32, 32));
    let plane = 32 * 32;
    let first = &faces.images[..3 * plane];
    assert!((0..plane).all(|p| first[p] == first[plane + p] && first[p] == first[2 * plane + p]), "grey in every channel");
    let (lo, hi) = first.iter().fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    assert!(lo >= -1.0 && hi <= 1.0 && hi - lo > 0.5, "a face, not a flat picture: values {lo}..{hi}");
    let err = |path: &Path, n| ganzoo::data::lfw::load(path, n, 32).err().expect("refused");
    assert!(err(&ganzoo::data::data_dir().join(ganzoo::data::lfw::FILE), 101).contains("holds 100 faces"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.npy");
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999999), }";
    npy.extend((header.len() as u16).to_le_bytes());
    npy.extend(header.as_bytes());
    std::fs::write(&bad, &npy).unwrap();
    assert!(err(&bad, 1).contains("too large"), "{}", err(&bad, 1));
    std::fs::write(&bad, b"not numpy").unwrap();
    assert!(err(&bad, 1).contains("not a .npy file"));
}
