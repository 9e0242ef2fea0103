//! ganzoo: right-hand operands packed once and kept across calls, in the wasm build.
//!
//! `gemm_basic_generic` packs its right-hand operand into panels of `NR` columns on every call.
//! When that operand is a network's weights (ganzoo's convs and transposed convs in the
//! browser, after gemm's own transposition of a row-major product) the panels are the same on
//! every call, and packing them was a fifth of a DCGAN-64 face. A caller that knows an operand
//! does not change passes a `Panels` for it with `with_kept_rhs`; the first call packs into it,
//! the next ones read it. The panels remember the operand, shape and blocking they were packed
//! for and are packed again when a call differs in any.

use alloc::vec::Vec;
use core::cell::Cell;

/// One operand's packed panels, block after block in the order `gemm_basic_generic` visits them.
#[derive(Default)]
pub struct Panels {
    key: [usize; 9],
    words: Vec<u64>, // 8-byte aligned storage for f32 or f64 values
    filled: bool,
}

std::thread_local! {
    static NEXT: Cell<Option<(*const u8, *mut Panels)>> = const { Cell::new(None) };
}

/// Runs `f`, one gemm call. When the right-hand operand `gemm_basic_generic` packs starts at
/// `operand` (after gemm's own transposition of the problem: a row-major product's left operand
/// ends up there; when it does not, nothing is kept and every call packs), it is read from
/// `panels`. The caller must not change `operand`'s values between calls that pass the same
/// `panels`.
pub fn with_kept_rhs<R>(operand: *const u8, panels: &mut Panels, f: impl FnOnce() -> R) -> R {
    // restored on the way out even by a panic, so no later call sees a pointer to these panels
    struct Restore(Option<(*const u8, *mut Panels)>);
    impl Drop for Restore {
        fn drop(&mut self) {
            NEXT.with(|next| next.set(self.0));
        }
    }
    let _restore = Restore(NEXT.with(|next| next.replace(Some((operand, panels as *mut Panels)))));
    f()
}

/// Where the packed panels of right-hand operand `rhs` live, `bytes` long, and whether they
/// already hold it; `None` when no caller keeps this operand. `key`: what the packing depends on
/// (the operand's address, shape, strides, blocking, element size). Not generic, so each of
/// gemm's many instances carries only a call.
#[inline(never)]
pub(crate) fn panels_for(rhs: *const u8, key: [usize; 9], bytes: usize) -> Option<(*mut u8, bool)> {
    let (operand, panels) = NEXT.with(|next| next.get())?;
    if operand != rhs {
        return None;
    }
    // SAFETY: `with_kept_rhs` set this pointer from a `&mut Panels` it holds for the call
    let panels = unsafe { &mut *panels };
    let filled = panels.filled && panels.key == key;
    if !filled {
        panels.words.clear();
        panels.words.resize(bytes.div_ceil(8), 0);
        panels.key = key;
        // this call packs every block before any is read, and no caller reads them concurrently
        panels.filled = true;
    }
    Some((panels.words.as_mut_ptr() as *mut u8, filled))
}
