//! ganzoo: the weight gradient of a 2-D convolution, and of a transposed one, as one matrix
//! product per group of images.
//!
//! burn's default (`conv2d_weight_backward` in burn-backend) computes it as a convolution of the
//! input by the output gradient with batch and channels swapped: C_in "images" of B channels,
//! a "kernel" the size of the output gradient dilated by the stride, and KH·KW output pixels.
//! Flex's generic path runs that with a patch of B·OH·OW values per output pixel, gathered
//! element by element, for products only KH·KW wide. The same sum, written the way PyTorch's
//! CPU convolution writes it (a 64-px DCGAN training step on 2 cores: 2.50 → 2.04 s), is
//!
//!   dW[c_out, (c_in, ky, kx)] = Σ_(image, position) dY[c_out, (image, position)]
//!                                                  · patches[(c_in, ky, kx), (image, position)]
//!
//! with the patch matrix of the forward conv (`conv_rows::fill_patches`, row segments copied from
//! channels-first input): one product per group of images, as deep as the group's positions.
//! A transposed conv's weight gradient is the same sum with the roles of its input and its
//! output gradient exchanged (its input is a conv's output over its output gradient).

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_std::{Bytes, Shape};

use super::conv_rows::Taps;
use super::conv_rows::{ROW_PAD, contiguous_slice, fill_patches, written_before_read}; // ganzoo: ROW_PAD
use super::matmul::get_parallelism;
use crate::{FlexTensor, Layout};

/// Images per product: as many as keep the patch matrix under this many values (16 MB).
const PATCH_BUDGET: usize = 1 << 22;

/// input `[B, C_in, H, W]` (f32), grad `[B, C_out, OH, OW]` (f32; OH, OW: where the taps land
/// when they step over the input) → `[C_out, C_in / groups, KH, KW]`.
///
/// The batch is split into one run of images per thread; each thread sums its images into its
/// own gradient (products of the group's size, one thread each), and the partial gradients are
/// added at the end. The sums of a product are over its images' positions, so results depend on
/// the thread count by rounding only.
pub(crate) fn weight_grad_f32(input: FlexTensor, grad: FlexTensor, taps: Taps, groups: usize) -> FlexTensor {
    let input = input.to_contiguous();
    let grad = grad.to_contiguous();
    let (is, gs) = (input.layout().shape(), grad.layout().shape());
    let dims = Dims {
        batch: is[0],
        c_in: is[1],
        h: is[2],
        w: is[3],
        c_out: gs[1],
        oh: gs[2],
        ow: gs[3],
        groups,
        taps,
    };
    assert_eq!(gs[0], dims.batch, "weight gradient: input and output gradient batch sizes differ");
    let (x, dy) = (contiguous_slice(&input), contiguous_slice(&grad));
    let len = dims.c_out * dims.patch();
    if dims.is_fully_connected() {
        return fully_connected(x, dy, &dims);
    }

    let parts = super::conv_runs::thread_parts(dims.batch);
    let per_part = dims.batch.div_ceil(parts);
    let ranges: Vec<(usize, usize)> =
        (0..dims.batch).step_by(per_part.max(1)).map(|b| (b, (b + per_part).min(dims.batch))).collect();
    #[cfg(feature = "rayon")]
    let partials: Vec<Vec<f32>> = {
        use rayon::prelude::*;
        ranges.par_iter().map(|&r| sum_images(x, dy, &dims, r)).collect()
    };
    #[cfg(not(feature = "rayon"))]
    let partials: Vec<Vec<f32>> = ranges.iter().map(|&r| sum_images(x, dy, &dims, r)).collect();
    let mut partials = partials.into_iter();
    let mut dweight = partials.next().unwrap_or_else(|| vec![0.0; len]);
    for partial in partials {
        for (d, p) in dweight.iter_mut().zip(&partial) {
            *d += p;
        }
    }
    let shape = Shape::from(vec![dims.c_out, dims.c_in / groups, taps.kernel[0], taps.kernel[1]]);
    FlexTensor::new(Bytes::from_elems(dweight), Layout::contiguous(shape), DType::F32)
}

struct Dims {
    batch: usize,
    c_in: usize,
    h: usize,
    w: usize,
    c_out: usize,
    oh: usize,
    ow: usize,
    groups: usize,
    taps: Taps,
}

impl Dims {
    /// Values per row of the weight gradient: one group's input channels × the kernel taps.
    fn patch(&self) -> usize {
        self.c_in / self.groups * self.taps.kernel[0] * self.taps.kernel[1]
    }
}

impl Dims {
    /// A kernel the size of its unpadded input, one output position: a fully connected layer
    /// (a DCGAN discriminator's last layer; a generator's first, transposed, seen from its
    /// output), whose patch matrix is the input itself.
    fn is_fully_connected(&self) -> bool {
        self.groups == 1
            && (self.oh, self.ow) == (1, 1)
            && self.taps.kernel == [self.h, self.w]
            && self.taps.padding == [0, 0]
    }
}

/// dW[C_out, C_in·KH·KW] = dYᵀ[C_out, B] · X[B, C_in·H·W], one product, no copies.
fn fully_connected(x: &[f32], dy: &[f32], d: &Dims) -> FlexTensor {
    let patch = d.patch();
    let mut dweight = written_before_read(d.c_out * patch);
    unsafe {
        gemm::gemm(
            d.c_out,
            patch,
            d.batch,
            dweight.as_mut_ptr(),
            1,
            patch as isize,
            false,
            dy.as_ptr(),
            d.c_out as isize,
            1,
            x.as_ptr(),
            1,
            patch as isize,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            get_parallelism(d.c_out, patch, d.batch),
        );
    }
    let shape = Shape::from(vec![d.c_out, d.c_in, d.taps.kernel[0], d.taps.kernel[1]]);
    FlexTensor::new(Bytes::from_elems(dweight), Layout::contiguous(shape), DType::F32)
}

/// The gradient of images `first..end` alone, `[C_out, C_in/groups·KH·KW]`.
fn sum_images(x: &[f32], dy: &[f32], d: &Dims, (first, end): (usize, usize)) -> Vec<f32> {
    let (group_in, group_out) = (d.c_in / d.groups, d.c_out / d.groups);
    let (positions, patch) = (d.oh * d.ow, d.patch());
    let images = (PATCH_BUDGET / (patch * positions).max(1)).clamp(1, end - first);

    let mut dweight = vec![0.0f32; d.c_out * patch];
    // ganzoo: both matrices' rows lie `cols + ROW_PAD` apart (conv_rows.rs says why)
    let mut patches = written_before_read(patch * (images * positions + ROW_PAD)); // [patch, n·OH·OW + pad]
    let mut grads = written_before_read(group_out * (images * positions + ROW_PAD)); // [C_out/groups, n·OH·OW + pad]
    for g in 0..d.groups {
        for start in (first..end).step_by(images) {
            let n = images.min(end - start);
            let cols = n * positions;
            let ld = cols + ROW_PAD; // the row stride of grads and patches
            for j in 0..n {
                let image = &dy[((start + j) * d.c_out + g * group_out) * positions..][..group_out * positions];
                for (co, plane) in image.chunks_exact(positions).enumerate() {
                    grads[co * ld + j * positions..][..positions].copy_from_slice(plane);
                }
            }
            let channels = g * group_in..(g + 1) * group_in;
            fill_patches(&mut patches, ld, x, (d.c_in, channels), start..start + n, (d.h, d.w), (d.oh, d.ow), &d.taps);
            // dweightᵀ[patch, C_out] += patches[patch, cols] · gradsᵀ[cols, C_out]
            // ganzoo: with the patch on the left, not C_out: gemm packs its left operand again for
            // each block of output columns, and as grads · patchesᵀ that was all of grads once per
            // block of the patch (28% of a StyleGAN-32 step); C_out columns are one block
            unsafe {
                gemm::gemm(
                    patch,
                    group_out,
                    cols,
                    dweight.as_mut_ptr().add(g * group_out * patch),
                    patch as isize,
                    1,
                    start > first,
                    patches.as_ptr(),
                    1,
                    ld as isize,
                    grads.as_ptr(),
                    ld as isize,
                    1,
                    1.0f32,
                    1.0f32,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
            }
        }
    }
    dweight
}
