//! ganzoo: 2-D convolution as one matrix product per image, for the WebAssembly build; and the
//! patch matrix it builds (`fill_row`, `fill_patches`, `Taps`), which the native convs of
//! conv_runs.rs and the weight gradients of conv_weight_grad.rs build too.
//!
//! The generic path (`conv3d_impl`) reorders the weights and the input to channels-last on
//! every call, gathers the patches one element at a time into `[positions, patch]` tiles, and
//! scatters the product back to channels-first; gemm then packs each tile again before it
//! multiplies. On the small feature maps of the GANs ganzoo runs in the browser that work cost
//! as much as the arithmetic (text-to-flower, 64 px, in Node 20: 21% of a picture in the
//! reordering and gathering, 12% in packing, 24% in the multiply kernel).
//!
//! Here the patch matrix is laid out `[patch, positions]`: each of its rows is one (input
//! channel, kernel row, kernel column) and holds that tap for every output position, so it is
//! filled from channels-first input by copying row segments, and
//!
//!   out[c_out, positions] = weight[c_out, patch] · patches[patch, positions]
//!
//! is one product whose operands are the weights as stored and the patch matrix as built, and
//! whose result is the output in channels-first order. The sums are the same products added
//! in the same order as a plain loop over the patch, so results agree with the generic path to
//! rounding (the browser tests compare the two).

#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // the forward conv is wasm-only

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_backend::ops::ConvOptions;
use burn_backend::ops::conv::calculate_conv_output_size;
use burn_std::{Bytes, Shape};

use super::kept_weights::with_kept_weight;
use crate::{FlexTensor, Layout};

/// Below this many input channels, the products of `by_taps` are too thin (a 7×7 conv of an RGB
/// image: 49 products of depth 3) and the patch matrix wins.
const TAPS_MIN_CHANNELS: usize = 16;

/// 2-D (expanded to 3-D with depth 1), one group, f32.
pub(crate) fn applies(x: &FlexTensor, weight: &FlexTensor, options: &ConvOptions<3>) -> bool {
    let (xs, ws) = (x.layout().shape(), weight.layout().shape());
    x.dtype() == DType::F32
        && weight.dtype() == DType::F32
        && options.groups == 1
        && xs[2] == 1
        && ws[2] == 1
        && options.stride[0] == 1
        && options.padding_begin()[0] == 0
        && options.dilation[0] == 1
}

/// x `[B, C_in, 1, H, W]`, weight `[C_out, C_in, 1, KH, KW]` → `[B, C_out, 1, OH, OW]`.
pub(crate) fn conv2d_f32(
    x: FlexTensor,
    weight: FlexTensor,
    bias: Option<FlexTensor>,
    options: &ConvOptions<3>,
) -> FlexTensor {
    let x = x.to_contiguous();
    let weight = weight.to_contiguous();
    let (xs, ws) = (x.layout().shape(), weight.layout().shape());
    let (batch, c_in, h, w) = (xs[0], xs[1], xs[3], xs[4]);
    let (c_out, kh, kw) = (ws[0], ws[3], ws[4]);
    let [_, sh, sw] = options.stride;
    let [_, ph, pw] = options.padding_begin();
    let [_, dh, dw] = options.dilation;
    let oh = calculate_conv_output_size(kh, sh, ph, dh, h);
    let ow = calculate_conv_output_size(kw, sw, pw, dw, w);
    let positions = oh * ow;
    let patch = c_in * kh * kw;

    let x_data = contiguous_slice(&x);
    let w_data = contiguous_slice(&weight);
    if sh == 1 && sw == 1 && dh == 1 && dw == 1 && c_in >= TAPS_MIN_CHANNELS {
        return by_taps(x_data, (&weight, w_data), bias, (batch, c_in, h, w), (c_out, kh, kw), (ph, pw));
    }

    // the output starts as the bias and the product is added to it, or it is the product
    let mut out = written_before_read(batch * c_out * positions);
    let add_to_out = bias.is_some();
    if let Some(bias) = bias {
        let bias = bias.to_contiguous();
        let bias = contiguous_slice(&bias);
        for (plane, value) in out.chunks_exact_mut(positions).zip(bias.iter().cycle()) {
            plane.fill(*value);
        }
    }

    let mut patches = written_before_read(patch * positions); // [C_in·KH·KW, OH·OW]
    for b in 0..batch {
        let image = &x_data[b * c_in * h * w..(b + 1) * c_in * h * w];
        let mut rows = patches.chunks_exact_mut(positions);
        for c in 0..c_in {
            let plane = &image[c * h * w..(c + 1) * h * w];
            for ky in 0..kh {
                for kx in 0..kw {
                    let row = rows.next().expect("one row per tap");
                    fill_row(row, plane, (h, w), (oh, ow), (ky * dh, kx * dw), (sh, sw), (ph, pw));
                }
            }
        }
        with_kept_weight(&weight, w_data.as_ptr().cast(), || unsafe {
            gemm::gemm(
                c_out,
                positions,
                patch,
                out.as_mut_ptr().add(b * c_out * positions),
                1,
                positions as isize,
                add_to_out,
                w_data.as_ptr(),
                1,
                patch as isize,
                patches.as_ptr(),
                1,
                positions as isize,
                1.0f32,
                1.0f32,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        });
    }

    let shape = Shape::from(vec![batch, c_out, 1, oh, ow]);
    FlexTensor::new(Bytes::from_elems(out), Layout::contiguous(shape), DType::F32)
}

// ganzoo: the taps and the patch matrix of the native convs (conv_runs.rs, conv_weight_grad.rs)
/// How a kernel of `kernel` taps steps over a 2-D input (for the native convs of conv_runs.rs
/// and conv_weight_grad.rs).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Copy)]
pub(crate) struct Taps {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
}

#[cfg(not(target_arch = "wasm32"))]
impl Taps {
    /// The taps of a weight `[_, _, KH, KW]` stepping as the options say.
    pub(crate) fn new(weight_shape: &[usize], stride: [usize; 2], padding: [usize; 2], dilation: [usize; 2]) -> Self {
        Self { kernel: [weight_shape[2], weight_shape[3]], stride, padding, dilation }
    }

    /// Where the taps land on an `h × w` input: `(OH, OW)`.
    pub(crate) fn output_size(&self, h: usize, w: usize) -> (usize, usize) {
        let size = |i: usize, n: usize| calculate_conv_output_size(self.kernel[i], self.stride[i], self.padding[i], self.dilation[i], n);
        (size(0, h), size(1, w))
    }
}

/// The patch matrix of a run of images, `[channels·KH·KW, images·OH·OW]`: row (c, ky, kx) holds
/// that tap's sample of input channel c for every image and output position, images side by
/// side, rows `ld` apart (ganzoo: `ld` ≥ images·OH·OW, see `ROW_PAD`). `x` is `[B, c_in, H, W]`;
/// `channels` picks one group's input channels.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn fill_patches(
    patches: &mut [f32],
    ld: usize,
    x: &[f32],
    (c_in, channels): (usize, core::ops::Range<usize>),
    images: core::ops::Range<usize>,
    (h, w): (usize, usize),
    (oh, ow): (usize, usize),
    taps: &Taps,
) {
    let ([kh, kw], [dh, dw]) = (taps.kernel, taps.dilation);
    let (positions, cols) = (oh * ow, images.len() * oh * ow);
    let mut rows = patches.chunks_mut(ld); // ganzoo: rows `ld` apart
    for c in channels {
        for ky in 0..kh {
            for kx in 0..kw {
                let row = &mut rows.next().expect("one row per channel and tap")[..cols];
                for (image, out) in images.clone().zip(row.chunks_exact_mut(positions)) {
                    let plane = &x[(image * c_in + c) * h * w..][..h * w];
                    fill_row(out, plane, (h, w), (oh, ow), (ky * dh, kx * dw), (taps.stride[0], taps.stride[1]), (taps.padding[0], taps.padding[1]));
                }
            }
        }
    }
}

/// One row of the patch matrix: the input sample under kernel tap (ky, kx) for every output
/// position, 0 where that sample falls in the padding.
pub(crate) fn fill_row(
    row: &mut [f32],
    plane: &[f32],
    (h, w): (usize, usize),
    (oh, ow): (usize, usize),
    (ky, kx): (usize, usize),
    (sh, sw): (usize, usize),
    (ph, pw): (usize, usize),
) {
    // input column = ox·sw + kx − pw: the output columns whose sample lies inside the row
    let offset = kx as isize - pw as isize;
    let before = if offset >= 0 { 0 } else { (-offset) as usize }; // columns left of the input
    let lo = before.div_ceil(sw).min(ow);
    let hi = if w as isize - 1 - offset < 0 {
        0
    } else {
        (((w as isize - 1 - offset) as usize) / sw + 1).min(ow)
    };
    for (oy, out) in row.chunks_exact_mut(ow).enumerate().take(oh) {
        let iy = (oy * sh + ky) as isize - ph as isize;
        if iy < 0 || iy >= h as isize || lo >= hi {
            out.fill(0.0);
            continue;
        }
        let src = &plane[iy as usize * w..(iy as usize + 1) * w];
        out[..lo].fill(0.0);
        out[hi..].fill(0.0);
        let start = (lo * sw) as isize + offset;
        if sw == 1 {
            out[lo..hi].copy_from_slice(&src[start as usize..start as usize + hi - lo]);
        } else if sw == 2 {
            // a constant stride, and bounds the compiler can see: a vectorized even-lane shuffle
            let (out, n) = (&mut out[lo..hi], hi - lo);
            let src = &src[start as usize..start as usize + 2 * n - 1];
            for i in 0..n {
                out[i] = src[2 * i];
            }
        } else {
            for (i, o) in out[lo..hi].iter_mut().enumerate() {
                *o = src[start as usize + i * sw];
            }
        }
    }
}

/// Stride 1: no patch matrix at all. Each input plane is copied once into a zero-bordered
/// plane `wp = W + 2·pw` wide; then, over output positions laid out `wp` wide as well, kernel
/// tap (ky, kx) reads every plane at the same offset `ky·wp + kx`, so its contribution
///
///   acc[c_out, positions] += weight[:, :, ky, kx] · planes[c_in, offset .. offset + positions]
///
/// is a product whose right operand is the padded input itself (rows a plane apart). KH·KW
/// products accumulate into `acc`; its last `wp − OW` columns of each row straddle the border
/// and are dropped when the output is copied out.
fn by_taps(
    x_data: &[f32],
    (weight, w_data): (&FlexTensor, &[f32]),
    bias: Option<FlexTensor>,
    (batch, c_in, h, w): (usize, usize, usize, usize),
    (c_out, kh, kw): (usize, usize, usize),
    (ph, pw): (usize, usize),
) -> FlexTensor {
    let (hp, wp) = (h + 2 * ph, w + 2 * pw);
    let (oh, ow) = (hp + 1 - kh, wp + 1 - kw);
    let positions = oh * wp;
    // the last tap reads kw − 1 samples past a plane's end (into the dropped columns)
    let stride = hp * wp + kw - 1;
    let bias = bias.map(|b| b.to_contiguous());
    let bias = bias.as_ref().map(contiguous_slice);

    let mut planes = vec![0.0f32; c_in * stride];
    let mut acc = written_before_read(c_out * positions);
    let mut out = written_before_read(batch * c_out * oh * ow);
    for b in 0..batch {
        for c in 0..c_in {
            let src = &x_data[(b * c_in + c) * h * w..][..h * w];
            let dst = &mut planes[c * stride..];
            for (y, row) in src.chunks_exact(w).enumerate() {
                dst[(y + ph) * wp + pw..][..w].copy_from_slice(row);
            }
        }
        for (co, row) in acc.chunks_exact_mut(positions).enumerate() {
            row.fill(bias.map_or(0.0, |b| b[co]));
        }
        for ky in 0..kh {
            for kx in 0..kw {
                let tap = w_data[ky * kw + kx..].as_ptr();
                with_kept_weight(weight, tap.cast(), || unsafe {
                    gemm::gemm(
                        c_out,
                        positions,
                        c_in,
                        acc.as_mut_ptr(),
                        1,
                        positions as isize,
                        true,
                        tap,
                        (kh * kw) as isize,
                        (c_in * kh * kw) as isize,
                        planes.as_ptr().add(ky * wp + kx),
                        1,
                        stride as isize,
                        1.0f32,
                        1.0f32,
                        false,
                        false,
                        false,
                        gemm::Parallelism::None,
                    );
                });
            }
        }
        let out = &mut out[b * c_out * oh * ow..][..c_out * oh * ow];
        for (dst, src) in out.chunks_exact_mut(ow).zip(acc.chunks_exact(wp)) {
            dst.copy_from_slice(&src[..ow]);
        }
    }
    let shape = Shape::from(vec![batch, c_out, 1, oh, ow]);
    FlexTensor::new(Bytes::from_elems(out), Layout::contiguous(shape), DType::F32)
}

/// A buffer for output that is written in full before it is read (the allocator need not
/// zero it).
#[allow(clippy::uninit_vec)]
pub(crate) fn written_before_read(len: usize) -> Vec<f32> {
    let mut v = Vec::with_capacity(len);
    unsafe { v.set_len(len) };
    v
}

pub(crate) fn contiguous_slice(t: &FlexTensor) -> &[f32] {
    let (start, end) = t.layout().contiguous_offsets().expect("made contiguous above");
    &t.storage::<f32>()[start..end]
}

/// ganzoo: floats added at the end of each row of the training convs' patch matrices and output
/// gradient matrices (one cache line), so that rows are not a power of two apart. gemm reads
/// these matrices down their columns, one value of each row in turn (packing an operand, or a
/// kernel reading its right operand in place), and rows 2^k floats apart, which runs of images
/// of 16×16 or 32×32 maps make, all fall in one set of the L1 cache and in a few of L2.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) const ROW_PAD: usize = 16;
