//! Convolutions and transposed convolutions on the CPU against direct loops in f64: the output,
//! the input gradient and the weight gradient, through autodiff as training takes them.
//! vendor/burn-flex computes the forward passes as one matrix product per run of images
//! (conv_runs.rs; each is the other's input gradient) and the weight gradients as products over
//! a patch matrix (conv_weight_grad.rs), not burn's default swapped convolution.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;

use ganzoo::burn::prelude::*;
use ganzoo::burn::tensor::TensorData;
use ganzoo::burn::tensor::module::{conv_transpose2d, conv2d};
use ganzoo::burn::tensor::ops::{ConvOptions, ConvTransposeOptions};

/// Values in [−0.5, 0.5) from a fixed linear congruential sequence.
fn random(state: &mut u32, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| {
            *state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (*state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        })
        .collect()
}

fn tensor<const D: usize>(values: &[f32], shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values.to_vec(), shape), device)
}

/// Where kernel tap `k` of output position `o` reads: `o·stride + k·dilation − padding`, if
/// inside `0..size`.
fn tap(o: usize, k: usize, stride: usize, dilation: usize, padding: usize, size: usize) -> Option<usize> {
    let i = (o * stride + k * dilation) as isize - padding as isize;
    (0..size as isize).contains(&i).then_some(i as usize)
}

/// y, dL/dx and dL/dW for L = Σ y · dy, in f64, from one loop over every product
/// `y[y_index] += x[x_index] · w[w_index]` of the layer.
struct Reference {
    y: Vec<f64>,
    dx: Vec<f64>,
    dw: Vec<f64>,
}

impl Reference {
    /// Starts y `[B, C_out, plane]` at the bias.
    fn new(bias: &[f32], (y_len, plane): (usize, usize), x_len: usize, w_len: usize) -> Self {
        let y = (0..y_len).map(|i| bias[i / plane % bias.len()] as f64).collect();
        Self { y, dx: vec![0.0; x_len], dw: vec![0.0; w_len] }
    }

    fn product(&mut self, (x, w, dy): (&[f32], &[f32], &[f32]), (xi, wi, yi): (usize, usize, usize)) {
        self.y[yi] += x[xi] as f64 * w[wi] as f64;
        self.dx[xi] += dy[yi] as f64 * w[wi] as f64;
        self.dw[wi] += dy[yi] as f64 * x[xi] as f64;
    }
}

/// The largest |got − want| of y, dx and dW.
fn max_abs_diffs(got: [&[f32]; 3], want: &Reference) -> [f64; 3] {
    let diff = |got: &[f32], want: &[f64]| {
        assert_eq!(got.len(), want.len());
        got.iter().zip(want).map(|(g, w)| (*g as f64 - w).abs()).fold(0.0, f64::max)
    };
    [diff(got[0], &want.y), diff(got[1], &want.dx), diff(got[2], &want.dw)]
}

/// Runs `layer(x, w, bias)` through autodiff with a random output gradient and returns
/// (y, dx, dW, dy).
fn through_autodiff(
    (x, x_shape): (&[f32], [usize; 4]),
    (w, w_shape): (&[f32], [usize; 4]),
    bias: &[f32],
    state: &mut u32,
    layer: impl Fn(Tensor<4>, Tensor<4>, Tensor<1>) -> Tensor<4>,
) -> [Vec<f32>; 4] {
    let device = Device::flex().autodiff();
    let x_t = tensor(x, x_shape, &device).require_grad();
    let w_t = tensor(w, w_shape, &device).require_grad();
    let y = layer(x_t.clone(), w_t.clone(), tensor(bias, [bias.len()], &device));
    let dy = random(state, y.shape().num_elements());
    let grads = (y.clone() * tensor(&dy, y.dims(), &device)).sum().backward();
    [values(y), values(x_t.grad(&grads).unwrap()), values(w_t.grad(&grads).unwrap()), dy]
}

#[test]
fn convs_match_a_direct_loop() {
    let mut state = 3u32;
    let mut worst = [0.0f64; 3];
    // (batch, c_in, h, w, c_out, kernel, stride, padding, dilation, groups)
    let cases = [
        (3, 3, 16, 16, 8, 4, 2, 1, 1, 1),  // a DCGAN discriminator's first layer
        (2, 8, 9, 7, 6, 3, 1, 1, 1, 1),    // odd sizes, stride 1
        (2, 4, 8, 8, 4, 4, 1, 0, 1, 1),    // 4×4 valid over 8×8
        (3, 5, 4, 4, 1, 4, 1, 0, 1, 1),    // 4×4 valid over 4×4: a discriminator's last layer
        (1, 5, 11, 9, 3, 3, 2, 2, 2, 1),   // dilation 2, padding 2
        (2, 6, 7, 7, 4, 3, 1, 1, 1, 2),    // two groups
        (60, 300, 8, 8, 2, 4, 2, 1, 1, 1), // 27 images' patches fill a product: two each on 2 threads
    ];
    for &(batch, c_in, h, w, c_out, k, stride, pad, dilation, groups) in &cases {
        let group_in = c_in / groups;
        let x = random(&mut state, batch * c_in * h * w);
        let weight = random(&mut state, c_out * group_in * k * k);
        let bias = random(&mut state, c_out);
        let options = ConvOptions::new([stride; 2], [pad; 2], [dilation; 2], groups);
        let [y, dx, dw, dy] = through_autodiff((&x, [batch, c_in, h, w]), (&weight, [c_out, group_in, k, k]), &bias, &mut state, |x, w, b| {
            conv2d(x, w, Some(b), options.clone())
        });
        let (oh, ow) = ((h + 2 * pad - dilation * (k - 1) - 1) / stride + 1, (w + 2 * pad - dilation * (k - 1) - 1) / stride + 1);
        // y[b, co, oy, ox] = bias[co] + Σ x[b, (group of co)·group_in + ci, tap] · W[co, ci, ky, kx]
        let mut want = Reference::new(&bias, (y.len(), oh * ow), x.len(), weight.len());
        for b in 0..batch {
            for co in 0..c_out {
                let g = co / (c_out / groups);
                for (ci, ky, kx) in (0..group_in).flat_map(|ci| (0..k).flat_map(move |ky| (0..k).map(move |kx| (ci, ky, kx)))) {
                    for oy in 0..oh {
                        for ox in 0..ow {
                            if let (Some(iy), Some(ix)) = (tap(oy, ky, stride, dilation, pad, h), tap(ox, kx, stride, dilation, pad, w)) {
                                let xi = ((b * c_in + g * group_in + ci) * h + iy) * w + ix;
                                let wi = ((co * group_in + ci) * k + ky) * k + kx;
                                want.product((&x, &weight, &dy), (xi, wi, ((b * c_out + co) * oh + oy) * ow + ox));
                            }
                        }
                    }
                }
            }
        }
        let diffs = max_abs_diffs([&y, &dx, &dw], &want);
        worst = std::array::from_fn(|i| worst[i].max(diffs[i]));
    }
    println!("conv: max |output, input gradient, weight gradient − direct loop| = {:.1e} {:.1e} {:.1e}", worst[0], worst[1], worst[2]);
    // measured: 9.5e-6, 2.0e-7, 6.0e-6 (sums of up to 4800 products, or 60 × 16 for dW, in f32)
    assert!(worst[0] < 5e-5 && worst[1] < 2e-6 && worst[2] < 5e-5, "{worst:?}");
}

#[test]
fn transposed_convs_match_a_direct_loop() {
    let mut state = 5u32;
    let mut worst = [0.0f64; 3];
    // (batch, c_in, h, w, c_out, kernel, stride, padding, output padding)
    let cases = [
        (3, 8, 4, 4, 4, 4, 2, 1, 0),      // a DCGAN generator's upsampling layer
        (2, 6, 1, 1, 5, 4, 1, 0, 0),      // a DCGAN generator's first layer (1×1 → 4×4)
        (2, 3, 5, 3, 4, 3, 2, 1, 1),      // odd sizes, output padding
        (1, 4, 6, 6, 2, 3, 1, 1, 0),      // stride 1
        (34, 32, 8, 8, 128, 4, 2, 1, 0),  // 15 images' columns fill a product: two each on 2 threads
    ];
    for &(batch, c_in, h, w, c_out, k, stride, pad, pad_out) in &cases {
        let x = random(&mut state, batch * c_in * h * w);
        let weight = random(&mut state, c_in * c_out * k * k);
        let bias = random(&mut state, c_out);
        let options = ConvTransposeOptions::new([stride; 2], [pad; 2], [pad_out; 2], [1, 1], 1);
        let [y, dx, dw, dy] = through_autodiff((&x, [batch, c_in, h, w]), (&weight, [c_in, c_out, k, k]), &bias, &mut state, |x, w, b| {
            conv_transpose2d(x, w, Some(b), options.clone())
        });
        let (oh, ow) = ((h - 1) * stride + k + pad_out - 2 * pad, (w - 1) * stride + k + pad_out - 2 * pad);
        assert_eq!(y.len(), batch * c_out * oh * ow);
        // y[b, co, iy·s + ky − p, ix·s + kx − p] += x[b, ci, iy, ix] · W[ci, co, ky, kx]
        let mut want = Reference::new(&bias, (y.len(), oh * ow), x.len(), weight.len());
        for b in 0..batch {
            for (ci, co) in (0..c_in).flat_map(|ci| (0..c_out).map(move |co| (ci, co))) {
                for (ky, kx) in (0..k).flat_map(|ky| (0..k).map(move |kx| (ky, kx))) {
                    for iy in 0..h {
                        for ix in 0..w {
                            if let (Some(oy), Some(ox)) = (tap(iy, ky, stride, 1, pad, oh), tap(ix, kx, stride, 1, pad, ow)) {
                                let xi = ((b * c_in + ci) * h + iy) * w + ix;
                                let wi = ((ci * c_out + co) * k + ky) * k + kx;
                                want.product((&x, &weight, &dy), (xi, wi, ((b * c_out + co) * oh + oy) * ow + ox));
                            }
                        }
                    }
                }
            }
        }
        let diffs = max_abs_diffs([&y, &dx, &dw], &want);
        worst = std::array::from_fn(|i| worst[i].max(diffs[i]));
    }
    println!("transposed conv: max |output, input gradient, weight gradient − direct loop| = {:.1e} {:.1e} {:.1e}", worst[0], worst[1], worst[2]);
    // measured: 7.9e-7, 9.8e-6, 8.0e-6
    assert!(worst[0] < 5e-6 && worst[1] < 5e-5 && worst[2] < 5e-5, "{worst:?}");
}
