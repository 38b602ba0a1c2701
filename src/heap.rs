//! The binary's allocator: dlmalloc for small blocks, the C library's malloc for large
//! ones. One job: make a boot run's many small allocations cheap without making a big
//! image scan hold more memory.
//!
//! Why not the C library's alone: the release binary is static musl, and musl's malloc
//! (mallocng) hands freed memory back to the kernel at once, so loading the spec and
//! running the checks cost about 160 mmap/munmap calls; dlmalloc keeps freed blocks for
//! the next allocation, and a boot run takes less time (bench/ab.sh measures by how
//! much). Why not dlmalloc alone: it has no mmap threshold, so a vector that doubles as
//! it grows (the image walk's entries and names) is copied inside dlmalloc's
//! segments and every outgrown copy stays there: a 100k-file scan peaked at 8.8 MiB
//! instead of 5.1. From [`LARGE`] bytes on, a block goes to the C library, which maps it
//! on its own and grows it with mremap, without a copy; that is what glibc's malloc does
//! from its mmap threshold on.
//!
//! Which allocator owns a block follows from its size alone: Rust passes the layout an
//! allocation was made with to `dealloc` and `realloc`, so no header or lookup is needed.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks of this many bytes and more come from the C library.
pub const LARGE: usize = 256 * 1024;

/// dlmalloc below [`LARGE`], [`System`] from it on.
pub struct Split;

fn small(size: usize) -> bool {
    size < LARGE
}

// SAFETY: every block is freed or resized by the allocator that made it, which the
// size in its layout names (see the module's doc); both allocators are thread-safe
// (dlmalloc's global instance takes a lock).
unsafe impl GlobalAlloc for Split {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if small(layout.size()) {
            unsafe { dlmalloc::GlobalDlmalloc.alloc(layout) }
        } else {
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if small(layout.size()) {
            unsafe { dlmalloc::GlobalDlmalloc.alloc_zeroed(layout) }
        } else {
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if small(layout.size()) {
            unsafe { dlmalloc::GlobalDlmalloc.dealloc(ptr, layout) }
        } else {
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match (small(layout.size()), small(new_size)) {
            (true, true) => unsafe { dlmalloc::GlobalDlmalloc.realloc(ptr, layout, new_size) },
            (false, false) => unsafe { System.realloc(ptr, layout, new_size) },
            // Across the threshold: into the other allocator, then free the old block.
            _ => {
                // SAFETY: the caller guarantees new_size, rounded up to the alignment,
                // does not overflow isize (GlobalAlloc::realloc's contract).
                let new_layout =
                    unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
                let new = unsafe { self.alloc(new_layout) };
                if !new.is_null() {
                    let keep = layout.size().min(new_size);
                    unsafe {
                        std::ptr::copy_nonoverlapping(ptr, new, keep);
                        self.dealloc(ptr, layout);
                    }
                }
                new
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks moved across the threshold and back keep their bytes, at every alignment
    /// a vector of them can ask for.
    #[test]
    fn realloc_across_the_threshold_keeps_the_bytes() {
        for align in [1usize, 8, 16, 64, 4096] {
            let a = Split;
            let layout = Layout::from_size_align(LARGE - 8, align).expect("layout");
            unsafe {
                let p = a.alloc(layout);
                assert!(!p.is_null());
                assert_eq!(p as usize % align, 0);
                for i in 0..layout.size() {
                    *p.add(i) = (i % 251) as u8;
                }
                let big = a.realloc(p, layout, LARGE * 3);
                assert!(!big.is_null());
                assert_eq!(big as usize % align, 0);
                for i in 0..layout.size() {
                    assert_eq!(*big.add(i), (i % 251) as u8);
                }
                let big_layout = Layout::from_size_align(LARGE * 3, align).expect("layout");
                let back = a.realloc(big, big_layout, 100);
                assert!(!back.is_null());
                for i in 0..100 {
                    assert_eq!(*back.add(i), (i % 251) as u8);
                }
                a.dealloc(back, Layout::from_size_align(100, align).expect("layout"));
            }
        }
    }

    #[test]
    fn zeroed_blocks_are_zero_on_both_sides() {
        let a = Split;
        for size in [24, LARGE + 1] {
            let layout = Layout::from_size_align(size, 8).expect("layout");
            unsafe {
                let p = a.alloc_zeroed(layout);
                assert!(!p.is_null());
                assert!((0..size).all(|i| *p.add(i) == 0));
                a.dealloc(p, layout);
            }
        }
    }
}
