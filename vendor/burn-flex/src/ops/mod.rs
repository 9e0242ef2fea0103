//! Backend operations implementations.

use alloc::borrow::Cow;
use burn_backend::DType;
use burn_std::{bf16, f16};

use crate::FlexTensor;

/// The `DType` that matches `isize` on the current platform.
#[cfg(target_pointer_width = "64")]
pub(crate) const INDEX_DTYPE: DType = DType::I64;
/// The `DType` that matches `isize` on the current platform.
#[cfg(target_pointer_width = "32")]
pub(crate) const INDEX_DTYPE: DType = DType::I32;

/// Minimum total element count for rayon fan-out on per-row or per-chunk loops.
/// Below this, task-dispatch overhead dominates the per-unit work.
#[cfg(feature = "rayon")]
pub(crate) const PARALLEL_THRESHOLD: usize = 256 * 1024;

/// ganzoo: the browser build computes elementwise ops in f32 only, so that each op is compiled
/// once instead of once per float type (the f64, f16 and bf16 copies of every unary, binary and
/// comparison op were ~0.3 MB of the wasm). f16 and bf16 tensors go through f32 and back, which
/// is what the per-type code did element by element (same results); f64 is refused, because
/// through f32 it would lose precision silently. `rhs`: a binary op's second operand.
#[cfg(target_arch = "wasm32")]
pub(crate) fn in_f32(
    op_name: &str,
    lhs: FlexTensor,
    rhs: Option<FlexTensor>,
    op: impl FnOnce(FlexTensor, Option<FlexTensor>) -> FlexTensor,
) -> FlexTensor {
    use burn_backend::ops::FloatTensorOps;
    use burn_std::FloatDType;
    let dtype = lhs.dtype();
    let back = match dtype {
        DType::F16 => FloatDType::F16,
        DType::BF16 => FloatDType::BF16,
        _ => panic!("{op_name}: the browser build computes in f32 (and f16, bf16 through it), not {dtype:?}"),
    };
    let f32 = |t| crate::Flex::float_cast(t, FloatDType::F32);
    let out = op(f32(lhs), rhs.map(f32));
    match out.dtype() {
        DType::F32 => crate::Flex::float_cast(out, back),
        _ => out, // a comparison's booleans
    }
}

/// ganzoo: convolutions and transposed convolutions in the wasm build, as `in_f32` does for the
/// elementwise ops: compiled for f32 only (each other float type was a copy of the conv code
/// and of gemm's kernels for it). f16 and bf16 go through f32 and back, their products summed in
/// f32; f64 is refused, because through f32 it would lose precision silently.
#[cfg(target_arch = "wasm32")]
pub(crate) fn conv_in_f32(
    op_name: &str,
    x: FlexTensor,
    weight: FlexTensor,
    bias: Option<FlexTensor>,
    op: impl FnOnce(FlexTensor, FlexTensor, Option<FlexTensor>) -> FlexTensor,
) -> FlexTensor {
    use burn_backend::ops::FloatTensorOps;
    let f32 = |t| crate::Flex::float_cast(t, burn_std::FloatDType::F32);
    in_f32(op_name, x, None, |x, _| op(x, f32(weight), bias.map(f32)))
}

/// Wrapper for raw mutable pointers that can be sent across rayon threads.
///
/// # Safety
///
/// The caller must ensure:
/// - The pointer remains valid for the lifetime of all uses
/// - No two threads write to the same offset
/// - No references to the underlying data exist during writes
#[cfg(feature = "rayon")]
pub(crate) struct SendMutPtr<T>(*mut T);

#[cfg(feature = "rayon")]
unsafe impl<T> Send for SendMutPtr<T> {}
#[cfg(feature = "rayon")]
unsafe impl<T> Sync for SendMutPtr<T> {}

#[cfg(feature = "rayon")]
impl<T> SendMutPtr<T> {
    pub(crate) fn new(ptr: *mut T) -> Self {
        Self(ptr)
    }

    /// Write `val` at the given element offset.
    ///
    /// # Safety
    /// Offset must be in bounds and no other thread may write to the same offset.
    pub(crate) unsafe fn write(&self, offset: usize, val: T) {
        unsafe { self.0.add(offset).write(val) }
    }

    /// Returns the raw pointer offset by `offset` elements.
    ///
    /// # Safety
    /// Offset must be in bounds.
    pub(crate) unsafe fn ptr_add(&self, offset: usize) -> *mut T {
        unsafe { self.0.add(offset) }
    }
}

/// Read a float tensor's storage as f32 values, regardless of source dtype.
/// Returns a borrowed slice for F32 (zero-copy) and an owned Vec for other
/// float dtypes (F64, F16, BF16).
///
/// Returns elements in underlying buffer order. Callers needing logical
/// iteration order must call `to_contiguous()` first.
///
/// # Panics
/// Panics if the tensor's dtype is not one of F32, F64, F16, or BF16.
pub(crate) fn float_storage_as_f32(tensor: &FlexTensor) -> Cow<'_, [f32]> {
    match tensor.dtype() {
        DType::F32 => Cow::Borrowed(tensor.storage::<f32>()),
        DType::F64 => Cow::Owned(tensor.storage::<f64>().iter().map(|&x| x as f32).collect()),
        DType::F16 => Cow::Owned(
            tensor
                .storage::<f16>()
                .iter()
                .map(|x| f32::from(*x))
                .collect(),
        ),
        DType::BF16 => Cow::Owned(
            tensor
                .storage::<bf16>()
                .iter()
                .map(|x| f32::from(*x))
                .collect(),
        ),
        other => panic!("float_storage_as_f32: unsupported dtype {:?}", other),
    }
}

pub mod activation;
pub mod attention;
pub mod binary;
mod bool;
pub mod cat;
pub mod comparison;
#[macro_use]
mod conv_common;
pub mod conv;
// ganzoo: the wasm build's 2-D convs as products per image (conv_rows.rs; also the patch
// matrix the native convs build)
mod conv_rows;
// ganzoo: the native convs forward as products per run of images (conv_runs.rs)
#[cfg(not(target_arch = "wasm32"))]
mod conv_runs;
pub mod conv_transpose;
// ganzoo: the native conv weight gradients as products (conv_weight_grad.rs)
#[cfg(not(target_arch = "wasm32"))]
mod conv_weight_grad;
// ganzoo: the wasm build's conv weights packed once (kept_weights.rs)
mod kept_weights;
pub mod cumulative;
pub mod deform_conv;
pub mod expand;
#[cfg(feature = "fft")]
pub mod fft;
pub mod flip;
mod float;
pub mod gather_scatter;
pub mod grid_sample;
mod int;
pub mod interpolate;
pub mod mask;
pub mod matmul;
mod module;
pub mod pool;
mod qtensor;
pub mod reduce;
pub mod repeat_dim;
pub mod slice;
pub mod sort;
mod transaction;
pub mod unary;
pub mod unfold;
