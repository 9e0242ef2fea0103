//! The weight gradients of convolutions and transposed convolutions on the CPU (vendor/burn-flex
//! computes them as matrix products over a patch matrix, not burn's default swapped
//! convolution) against direct loops in f64, through autodiff as training takes them.
#![cfg(not(target_arch = "wasm32"))]

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

fn tensor(values: &[f32], shape: [usize; 4], device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(values.to_vec(), shape), device)
}

/// Where kernel tap `k` of output position `o` reads: `o·stride + k·dilation − padding`, if
/// inside `0..size`.
fn tap(o: usize, k: usize, stride: usize, dilation: usize, padding: usize, size: usize) -> Option<usize> {
    let i = (o * stride + k * dilation) as isize - padding as isize;
    (0..size as isize).contains(&i).then_some(i as usize)
}

fn max_abs_diff(got: &[f32], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    got.iter().zip(want).map(|(g, w)| (*g as f64 - w).abs()).fold(0.0, f64::max)
}

#[test]
fn conv_weight_gradients_match_a_direct_loop() {
    let device = Device::flex().autodiff();
    let mut state = 3u32;
    let mut worst = 0.0f64;
    // (batch, c_in, h, w, c_out, kernel, stride, padding, dilation, groups)
    let cases = [
        (3, 3, 16, 16, 8, 4, 2, 1, 1, 1),  // a DCGAN discriminator's first layer
        (2, 8, 9, 7, 6, 3, 1, 1, 1, 1),    // odd sizes, stride 1
        (2, 4, 8, 8, 4, 4, 1, 0, 1, 1),    // 4×4 valid over 8×8
        (3, 5, 4, 4, 1, 4, 1, 0, 1, 1),    // 4×4 valid over 4×4: a discriminator's last layer
        (1, 5, 11, 9, 3, 3, 2, 2, 2, 1),   // dilation 2, padding 2
        (2, 6, 7, 7, 4, 3, 1, 1, 1, 2),    // two groups
        (60, 300, 8, 8, 2, 4, 2, 1, 1, 1), // 54 images' patches fill a product: two products
    ];
    for &(batch, c_in, h, w, c_out, k, stride, pad, dilation, groups) in &cases {
        let group_in = c_in / groups;
        let (x, weight) = (random(&mut state, batch * c_in * h * w), random(&mut state, c_out * group_in * k * k));
        let weight_t = tensor(&weight, [c_out, group_in, k, k], &device).require_grad();
        let y = conv2d(tensor(&x, [batch, c_in, h, w], &device), weight_t.clone(), None, ConvOptions::new([stride; 2], [pad; 2], [dilation; 2], groups));
        let [_, _, oh, ow] = y.dims();
        let dy = random(&mut state, batch * c_out * oh * ow);
        let grads = (y * tensor(&dy, [batch, c_out, oh, ow], &device)).sum().backward();
        let got = weight_t.grad(&grads).unwrap().into_data().try_into_vec::<f32>().unwrap();
        // dL/dW[co, ci, ky, kx] = Σ_(b, oy, ox) dy[b, co, oy, ox] · x[b, (group of co)·group_in + ci, tap]
        let mut want = vec![0.0f64; got.len()];
        for co in 0..c_out {
            let g = co / (c_out / groups);
            for ci in 0..group_in {
                for ky in 0..k {
                    for kx in 0..k {
                        let mut sum = 0.0;
                        for b in 0..batch {
                            for oy in 0..oh {
                                for ox in 0..ow {
                                    if let (Some(iy), Some(ix)) = (tap(oy, ky, stride, dilation, pad, h), tap(ox, kx, stride, dilation, pad, w)) {
                                        let xv = x[((b * c_in + g * group_in + ci) * h + iy) * w + ix] as f64;
                                        sum += xv * dy[((b * c_out + co) * oh + oy) * ow + ox] as f64;
                                    }
                                }
                            }
                        }
                        want[((co * group_in + ci) * k + ky) * k + kx] = sum;
                    }
                }
            }
        }
        worst = worst.max(max_abs_diff(&got, &want));
    }
    println!("conv: max |weight gradient − direct loop| = {worst:e}");
    // measured: 6.4e-6 (sums of up to 60 × 16 products, in f32)
    assert!(worst < 5e-5, "{worst}");
}

#[test]
fn transposed_conv_weight_gradients_match_a_direct_loop() {
    let device = Device::flex().autodiff();
    let mut state = 5u32;
    let mut worst = 0.0f64;
    // (batch, c_in, h, w, c_out, kernel, stride, padding, output padding)
    let cases = [
        (3, 8, 4, 4, 4, 4, 2, 1, 0), // a DCGAN generator's upsampling layer
        (2, 6, 1, 1, 5, 4, 1, 0, 0), // a DCGAN generator's first layer (1×1 → 4×4): fully connected
        (2, 3, 5, 3, 4, 3, 2, 1, 1), // odd sizes, output padding
        (1, 4, 6, 6, 2, 3, 1, 1, 0), // stride 1
    ];
    for &(batch, c_in, h, w, c_out, k, stride, pad, pad_out) in &cases {
        let (x, weight) = (random(&mut state, batch * c_in * h * w), random(&mut state, c_in * c_out * k * k));
        let weight_t = tensor(&weight, [c_in, c_out, k, k], &device).require_grad();
        let options = ConvTransposeOptions::new([stride; 2], [pad; 2], [pad_out; 2], [1, 1], 1);
        let y = conv_transpose2d(tensor(&x, [batch, c_in, h, w], &device), weight_t.clone(), None, options);
        let [_, _, oh, ow] = y.dims();
        assert_eq!([oh, ow], [(h - 1) * stride + k + pad_out - 2 * pad, (w - 1) * stride + k + pad_out - 2 * pad]);
        let dy = random(&mut state, batch * c_out * oh * ow);
        let grads = (y * tensor(&dy, [batch, c_out, oh, ow], &device)).sum().backward();
        let got = weight_t.grad(&grads).unwrap().into_data().try_into_vec::<f32>().unwrap();
        // y[b, co, iy·s + ky − p, ix·s + kx − p] += x[b, ci, iy, ix] · W[ci, co, ky, kx], so
        // dL/dW[ci, co, ky, kx] = Σ_(b, iy, ix) x[b, ci, iy, ix] · dy[b, co, iy·s + ky − p, …]
        let mut want = vec![0.0f64; got.len()];
        for ci in 0..c_in {
            for co in 0..c_out {
                for ky in 0..k {
                    for kx in 0..k {
                        let mut sum = 0.0;
                        for b in 0..batch {
                            for iy in 0..h {
                                for ix in 0..w {
                                    if let (Some(oy), Some(ox)) = (tap(iy, ky, stride, 1, pad, oh), tap(ix, kx, stride, 1, pad, ow)) {
                                        let xv = x[((b * c_in + ci) * h + iy) * w + ix] as f64;
                                        sum += xv * dy[((b * c_out + co) * oh + oy) * ow + ox] as f64;
                                    }
                                }
                            }
                        }
                        want[((ci * c_out + co) * k + ky) * k + kx] = sum;
                    }
                }
            }
        }
        worst = worst.max(max_abs_diff(&got, &want));
    }
    println!("transposed conv: max |weight gradient − direct loop| = {worst:e}");
    // measured: 3.0e-7
    assert!(worst < 3e-6, "{worst}");
}
