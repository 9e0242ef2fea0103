//! Upsampling ×2: `[B, C, H, W]` → `[B, C, 2H, 2W]`, in the forms the backends run fastest,
//! forward and backward.
//!
//! Nearest: one axis at a time, each a broadcast and a reshape whose copy moves whole rows or a
//! plain two-column pattern. Done in one step, the copy of a view broadcast along two inner axes
//! took 15% of a flower on the CPU in the browser, walked one element at a time.
//!
//! Bilinear: a resampling filter along one axis is a linear map, so it is a `[N, 2N]` matrix
//! with two non-zeros per column, and on the CPU the upsampling is two small matrix products.
//! Built from concatenations of shifted copies instead, it spent 11% of a StyleGAN-32 face on
//! the CPU in the browser copying rows a few floats at a time. Each output is ¾ of one input plus
//! ¼ of another, plus exact zeros. On the GPU backends the shifted copies are the faster form,
//! and their kernels compile sooner: WebGPU under SwiftShader, a StyleGAN-32 face takes 96 ms and
//! the first one 2.0 s with them, 127 ms and 7.6 s with the products, whose matmul shaders
//! differ per resolution. Both forms give the same values to rounding (a test compares them).

use burn::prelude::*;

/// How the new samples are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Each sample repeated twice.
    Nearest,
    /// Bilinear with half-pixel centres and the edges clamped: each output is ¾ of its nearest
    /// input and ¼ of the next nearest, the [1, 3, 3, 1] / 4 filter StyleGAN2 upsamples with
    /// (ONNX's `Resize`, linear, half_pixel).
    Bilinear,
}

/// The `[N, 2N]` matrix that upsamples a row of `n` samples: out = row · M.
pub fn matrix(n: usize, filter: Filter, device: &Device) -> Tensor<2> {
    let mut m = vec![0.0f32; n * 2 * n];
    let mut add = |from: usize, to: usize, weight: f32| m[from * 2 * n + to] += weight;
    for k in 0..n {
        match filter {
            Filter::Nearest => {
                add(k, 2 * k, 1.0);
                add(k, 2 * k + 1, 1.0);
            }
            Filter::Bilinear => {
                add(k, 2 * k, 0.75);
                add(k.saturating_sub(1), 2 * k, 0.25); // x[k-1], clamped at the first sample
                add(k, 2 * k + 1, 0.75);
                add((k + 1).min(n - 1), 2 * k + 1, 0.25); // x[k+1], clamped at the last
            }
        }
    }
    Tensor::from_data(TensorData::new(m, [n, 2 * n]), device)
}

/// `[B, C, H, W]` → `[B, C, 2H, 2W]`.
pub fn upsample(x: Tensor<4>, filter: Filter) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    if filter == Filter::Nearest {
        let n = b * c * h * w;
        let x = x.reshape([n, 1]).expand([n, 2]); // [BCHW, 2]: each sample twice
        let x = x.reshape([b * c * h, 1, 2 * w]).expand([b * c * h, 2, 2 * w]); // each row twice
        return x.reshape([b, c, 2 * h, 2 * w]);
    }
    let device = x.device();
    if device != Device::flex() {
        return bilinear_by_shifts(x); // see the module's doc (the comparison ignores autodiff)
    }
    let rows = matrix(h, filter, &device).transpose().reshape([1, 2 * h, h]); // [1, 2H, H]
    let x = rows.matmul(x.reshape([b * c, h, w])); // [BC, 2H, W]
    let x = x.reshape([b * c * 2 * h, w]).matmul(matrix(w, filter, &device)); // [BC·2H, 2W]
    x.reshape([b, c, 2 * h, 2 * w])
}

/// Bilinear ×2 from shifted copies, one axis at a time: what [`upsample`] runs on the GPU
/// backends. `[B, C, H, W]` → `[B, C, 2H, 2W]`.
pub fn bilinear_by_shifts(x: Tensor<4>) -> Tensor<4> {
    shifted_axis(shifted_axis(x, 2), 3)
}

/// Along `dim`: out[2k] = ¾ x[k] + ¼ x[k−1], out[2k+1] = ¾ x[k] + ¼ x[k+1], edges clamped.
fn shifted_axis(x: Tensor<4>, dim: usize) -> Tensor<4> {
    let dims = x.dims();
    let n = dims[dim];
    let mut out = dims;
    out[dim] = 2 * n;
    if n == 1 {
        return x.repeat_dim(dim, 2); // both neighbours clamp to the one sample
    }
    let prev = Tensor::cat(vec![x.clone().narrow(dim, 0, 1), x.clone().narrow(dim, 0, n - 1)], dim); // x[k−1]
    let next = Tensor::cat(vec![x.clone().narrow(dim, 1, n - 1), x.clone().narrow(dim, n - 1, 1)], dim); // x[k+1]
    let even = x.clone() * 0.75 + prev * 0.25;
    let odd = x * 0.75 + next * 0.25;
    // interleave: stack on a new axis right after `dim`, then merge the two
    Tensor::stack::<5>(vec![even, odd], dim + 1).reshape(out)
}
