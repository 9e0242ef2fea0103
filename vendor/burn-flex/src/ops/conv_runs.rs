//! ganzoo: 2-D convolutions and transposed convolutions as one matrix product per run of
//! images, for training (native builds).
//!
//! Flex runs one product per image. On a DCGAN's small feature maps those products are thin: a
//! 32-px discriminator ends on 4×4 and 1×1 maps, a generator starts from a 1×1 latent, so the
//! products are 1 to 16 columns wide, gemm's kernels run a lane or two of sixteen, and batch 64
//! means 64 such products per layer. Here each thread takes a run of images and puts them side
//! by side in one product:
//!
//!   conv:            out[c_out, (image, position)]  = weight[c_out, patch] · patches[patch, (image, position)]
//!   transposed conv: columns[(c_out, ky, kx), (image, position)] = weightᵀ · input[c_in, (image, position)]
//!
//! The conv's patch matrix is filled as the weight gradient's is (`conv_rows::fill_patches`); a
//! transposed conv's columns are added into its output, tap by tap, row segment by row segment
//! (col2im), in the order Flex adds them (kernel row, then column), starting from the bias where
//! Flex adds it last, so the sums agree with Flex's per image path to rounding. `tests/conv_gradients.rs` checks both
//! against direct loops through burn's ops, backward included (each is the other's input
//! gradient).

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_backend::ops::conv::calculate_conv_transpose_output_size;
use burn_std::{Bytes, Shape};

use super::conv_rows::{ROW_PAD, Taps, contiguous_slice, fill_patches, written_before_read}; // ganzoo: ROW_PAD
use super::matmul::get_parallelism;
use crate::{FlexTensor, Layout};

/// Values in one run's patch matrix (or input and columns): 8 MB. A run is as many of a
/// thread's images as fit.
const RUN_BUDGET: usize = 1 << 21;

/// An f32 2-D conv or transposed conv of one group, which is what these paths compute.
pub(crate) fn applies(x: &FlexTensor, weight: &FlexTensor, groups: usize) -> bool {
    x.dtype() == DType::F32 && weight.dtype() == DType::F32 && groups == 1
}

/// x `[B, C_in, H, W]`, weight `[C_out, C_in, KH, KW]` → `[B, C_out, OH, OW]`.
pub(crate) fn conv2d_f32(x: FlexTensor, weight: FlexTensor, bias: Option<FlexTensor>, taps: Taps) -> FlexTensor {
    let (x, weight) = (x.to_contiguous(), weight.to_contiguous());
    let (xs, ws) = (x.layout().shape(), weight.layout().shape());
    let (batch, c_in, h, w) = (xs[0], xs[1], xs[2], xs[3]);
    let (c_out, [kh, kw]) = (ws[0], taps.kernel);
    let (oh, ow) = taps.output_size(h, w);
    let (positions, patch) = (oh * ow, c_in * kh * kw);
    let (x, weight) = (contiguous_slice(&x), contiguous_slice(&weight));
    let bias = bias.map(|b| b.to_contiguous());
    let bias = bias.as_ref().map(contiguous_slice);

    let mut out = written_before_read(batch * c_out * positions);
    if out.is_empty() {
        return FlexTensor::new(Bytes::from_elems(out), Layout::contiguous(Shape::from(vec![batch, c_out, oh, ow])), DType::F32);
    }
    let parts = thread_parts(batch);
    let run_images = |first: usize, out: &mut [f32]| {
        let images = out.len() / (c_out * positions);
        let per_run = (RUN_BUDGET / (patch * positions).max(1)).clamp(1, images);
        // ganzoo: the patch matrix's rows `cols + ROW_PAD` apart (conv_rows.rs says why)
        let mut patches = written_before_read(patch * (per_run * positions + ROW_PAD)); // [patch, n·OH·OW + pad]
        let mut product = written_before_read(c_out * per_run * positions); // [C_out, n·OH·OW]
        for start in (0..images).step_by(per_run) {
            let n = per_run.min(images - start);
            let cols = n * positions;
            let ld = cols + ROW_PAD; // the patch matrix's row stride
            fill_patches(&mut patches, ld, x, (c_in, 0..c_in), first + start..first + start + n, (h, w), (oh, ow), &taps);
            unsafe {
                gemm::gemm(
                    c_out,
                    cols,
                    patch,
                    product.as_mut_ptr(),
                    1,
                    cols as isize,
                    false,
                    weight.as_ptr(),
                    1,
                    patch as isize,
                    patches.as_ptr(),
                    1,
                    ld as isize, // ganzoo: padded rows
                    1.0f32,
                    1.0f32,
                    false,
                    false,
                    false,
                    if parts == 1 { get_parallelism(c_out, cols, patch) } else { gemm::Parallelism::None },
                );
            }
            // [C_out, (image, position)] → [image, C_out, position], plus the bias
            for j in 0..n {
                let image = &mut out[(start + j) * c_out * positions..][..c_out * positions];
                for (co, plane) in image.chunks_exact_mut(positions).enumerate() {
                    let src = &product[co * cols + j * positions..][..positions];
                    let b = bias.map_or(0.0, |b| b[co]);
                    for (o, v) in plane.iter_mut().zip(src) {
                        *o = v + b;
                    }
                }
            }
        }
    };
    for_each_part(&mut out, batch, parts, c_out * positions, run_images);
    let shape = Shape::from(vec![batch, c_out, oh, ow]);
    FlexTensor::new(Bytes::from_elems(out), Layout::contiguous(shape), DType::F32)
}

/// x `[B, C_in, H, W]`, weight `[C_in, C_out, KH, KW]` → `[B, C_out, OH, OW]`, where
/// `OH = (H − 1)·stride − 2·padding + dilation·(KH − 1) + padding_out + 1`.
pub(crate) fn conv_transpose2d_f32(
    x: FlexTensor,
    weight: FlexTensor,
    bias: Option<FlexTensor>,
    taps: Taps,
    padding_out: [usize; 2],
) -> FlexTensor {
    let (x, weight) = (x.to_contiguous(), weight.to_contiguous());
    let (xs, ws) = (x.layout().shape(), weight.layout().shape());
    let (batch, c_in, h, w) = (xs[0], xs[1], xs[2], xs[3]);
    let (c_out, [kh, kw]) = (ws[1], taps.kernel);
    let [sh, sw] = taps.stride;
    let [ph, pw] = taps.padding;
    let [dh, dw] = taps.dilation;
    let oh = calculate_conv_transpose_output_size(kh, sh, ph, padding_out[0], dh, h);
    let ow = calculate_conv_transpose_output_size(kw, sw, pw, padding_out[1], dw, w);
    let (positions, out_positions, col_rows) = (h * w, oh * ow, c_out * kh * kw);
    let (x, weight) = (contiguous_slice(&x), contiguous_slice(&weight));
    let bias = bias.map(|b| b.to_contiguous());
    let bias = bias.as_ref().map(contiguous_slice);

    // the output starts as the bias; each tap's columns are added to it
    let mut out = vec![0.0f32; batch * c_out * out_positions];
    if out.is_empty() {
        return FlexTensor::new(Bytes::from_elems(out), Layout::contiguous(Shape::from(vec![batch, c_out, oh, ow])), DType::F32);
    }
    if let Some(bias) = bias {
        for (plane, value) in out.chunks_exact_mut(out_positions).zip(bias.iter().cycle()) {
            plane.fill(*value);
        }
    }
    let parts = thread_parts(batch);
    let run_images = |first: usize, out: &mut [f32]| {
        let images = out.len() / (c_out * out_positions);
        let per_run = (RUN_BUDGET / ((col_rows + c_in) * positions).max(1)).clamp(1, images);
        // a 1×1 input is already [image, C_in]: the product reads it in place
        let mut input = if positions == 1 { Vec::new() } else { written_before_read(c_in * per_run * positions) };
        let mut columns = written_before_read(col_rows * per_run * positions); // [C_out·KH·KW, n·H·W]
        for start in (0..images).step_by(per_run) {
            let n = per_run.min(images - start);
            let cols = n * positions;
            let images_in = &x[(first + start) * c_in * positions..][..n * c_in * positions];
            let (rhs, rhs_cs, rhs_rs) = if positions == 1 {
                (images_in.as_ptr(), c_in as isize, 1)
            } else {
                // [image, C_in, position] → [C_in, (image, position)]
                for (j, image) in images_in.chunks_exact(c_in * positions).enumerate() {
                    for (c, plane) in image.chunks_exact(positions).enumerate() {
                        input[c * cols + j * positions..][..positions].copy_from_slice(plane);
                    }
                }
                (input.as_ptr(), 1, cols as isize)
            };
            unsafe {
                gemm::gemm(
                    col_rows,
                    cols,
                    c_in,
                    columns.as_mut_ptr(),
                    1,
                    cols as isize,
                    false,
                    weight.as_ptr(),
                    col_rows as isize,
                    1,
                    rhs,
                    rhs_cs,
                    rhs_rs,
                    1.0f32,
                    1.0f32,
                    false,
                    false,
                    false,
                    if parts == 1 { get_parallelism(col_rows, cols, c_in) } else { gemm::Parallelism::None },
                );
            }
            for j in 0..n {
                let image = &mut out[(start + j) * c_out * out_positions..][..c_out * out_positions];
                for (co, plane) in image.chunks_exact_mut(out_positions).enumerate() {
                    for ky in 0..kh {
                        for kx in 0..kw {
                            let row = &columns[((co * kh + ky) * kw + kx) * cols + j * positions..][..positions];
                            add_tap(plane, row, (h, w), (oh, ow), (ky * dh, kx * dw), (sh, sw), (ph, pw));
                        }
                    }
                }
            }
        }
    };
    for_each_part(&mut out, batch, parts, c_out * out_positions, run_images);
    let shape = Shape::from(vec![batch, c_out, oh, ow]);
    FlexTensor::new(Bytes::from_elems(out), Layout::contiguous(shape), DType::F32)
}

/// col2im for one kernel tap: input position (iy, ix) lands on output
/// (iy·sh + ky − ph, ix·sw + kx − pw); the samples that land outside the output are dropped.
fn add_tap(
    plane: &mut [f32],
    row: &[f32],
    (h, w): (usize, usize),
    (oh, ow): (usize, usize),
    (ky, kx): (usize, usize),
    (sh, sw): (usize, usize),
    (ph, pw): (usize, usize),
) {
    let offset = kx as isize - pw as isize;
    let before = if offset >= 0 { 0 } else { (-offset) as usize }; // input columns left of the output
    let lo = before.div_ceil(sw).min(w);
    let hi = if ow as isize - 1 - offset < 0 { 0 } else { (((ow as isize - 1 - offset) as usize) / sw + 1).min(w) };
    if lo >= hi {
        return;
    }
    let first_x = (lo * sw) as isize + offset;
    for iy in 0..h {
        let oy = iy * sh + ky;
        if oy < ph || oy - ph >= oh {
            continue;
        }
        let dst = &mut plane[(oy - ph) * ow + first_x as usize..];
        for (o, v) in dst.iter_mut().step_by(sw).zip(&row[iy * w + lo..iy * w + hi]) {
            *o += v;
        }
    }
}

/// Threads that share the batch: one run of images each.
pub(crate) fn thread_parts(batch: usize) -> usize {
    #[cfg(feature = "rayon")]
    let threads = rayon::current_num_threads();
    #[cfg(not(feature = "rayon"))]
    let threads = 1;
    threads.min(batch).max(1)
}

/// `run(first image, its output)` on `parts` runs of consecutive images, in parallel.
fn for_each_part(out: &mut [f32], batch: usize, parts: usize, per_image: usize, run: impl Fn(usize, &mut [f32]) + Sync) {
    let per_part = batch.div_ceil(parts).max(1);
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        out.par_chunks_mut(per_part * per_image).enumerate().for_each(|(p, out)| run(p * per_part, out));
    }
    #[cfg(not(feature = "rayon"))]
    for (p, out) in out.chunks_mut(per_part * per_image).enumerate() {
        run(p * per_part, out);
    }
}
