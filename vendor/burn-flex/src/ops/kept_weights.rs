//! ganzoo: the wasm build's convolutions keep their weights packed for gemm between calls
//! (gemm-common's `kept` module says how gemm reads them).
//!
//! The panels of a weight tensor live as long as the tensor: they are keyed by its shared
//! storage (the `Arc`'s allocation), held through a `Weak`, and dropped by the first conv after
//! the storage is (a model dropped for good keeps its panels, about its weights' size, until the
//! next conv on the CPU). While the `Weak` exists, `Arc::get_mut` refuses, and `Arc::make_mut`
//! moves the `Bytes` to a new `Arc` before they are changed, so changed values are always under
//! another key; and the `Weak` keeps the allocation from being reused, so a key never names two
//! tensors. Panels never go stale.

use crate::FlexTensor;
#[cfg(all(target_arch = "wasm32", feature = "std"))]
use {
    alloc::sync::{Arc, Weak},
    alloc::vec::Vec,
    burn_std::Bytes,
    core::cell::RefCell,
    gemm_common::kept::{Panels, with_kept_rhs},
};

/// A weight tensor's storage and the panels of each operand taken from it (a grouped or a
/// per-tap product reads several sub-matrices of one weight), by operand address.
#[cfg(all(target_arch = "wasm32", feature = "std"))]
struct Kept {
    storage: Weak<Bytes>,
    operands: Vec<(usize, Panels)>,
}

#[cfg(all(target_arch = "wasm32", feature = "std"))]
std::thread_local! {
    static KEPT: RefCell<Vec<Kept>> = const { RefCell::new(Vec::new()) };
}

/// Runs `product`, one gemm call whose operand at `operand` lies in `weight`'s storage, with
/// that operand's panels packed on the first call and kept for the next ones.
#[cfg(all(target_arch = "wasm32", feature = "std"))]
pub(crate) fn with_kept_weight<R>(weight: &FlexTensor, operand: *const u8, product: impl FnOnce() -> R) -> R {
    let storage = weight.shared_storage();
    let address = operand as usize;
    let mut panels = KEPT.with(|kept| {
        let mut kept = kept.borrow_mut();
        kept.retain(|k| k.storage.strong_count() > 0);
        let at = match kept.iter().position(|k| core::ptr::eq(k.storage.as_ptr(), Arc::as_ptr(storage))) {
            Some(at) => at,
            None => {
                kept.push(Kept { storage: Arc::downgrade(storage), operands: Vec::new() });
                kept.len() - 1
            }
        };
        let operands = &mut kept[at].operands;
        match operands.iter().position(|(a, _)| *a == address) {
            Some(i) => operands.swap_remove(i).1,
            None => Panels::default(),
        }
    });
    let out = with_kept_rhs(operand, &mut panels, product);
    KEPT.with(|kept| {
        let mut kept = kept.borrow_mut();
        if let Some(k) = kept.iter_mut().find(|k| core::ptr::eq(k.storage.as_ptr(), Arc::as_ptr(storage))) {
            k.operands.push((address, panels));
        }
    });
    out
}

/// Native builds (gemm packs as published) and wasm without std (no thread-local storage): every
/// call packs.
#[cfg(not(all(target_arch = "wasm32", feature = "std")))]
pub(crate) fn with_kept_weight<R>(_weight: &FlexTensor, _operand: *const u8, product: impl FnOnce() -> R) -> R {
    product()
}
