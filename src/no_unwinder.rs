//! The unwinder's entry points, for the release binary on musl, where they would
//! otherwise come from LLVM's libunwind (the Rust musl targets link it statically).
//!
//! The release build does not unwind (`panic = "abort"`), and build.rs's link drops the
//! unwind tables libunwind reads (link/no-unwind-tables.ld). So libunwind could never
//! walk past the first frame anyway: std's backtrace on a panic (only with
//! RUST_BACKTRACE set) already came out empty. std still calls it for that backtrace,
//! and its personality routine names the rest, so the linker pulled in all of libunwind
//! (a DWARF CFI interpreter, about 45 KiB of x86_64 code) for nothing. These
//! definitions are found first, so no member of libunwind.a is linked: the backtrace
//! walk ends at once, saying end of stack, as it did in effect before. A panic is still
//! reported, by app::report_panics, which needs no backtrace.
//!
//! Nothing here is reached by an unwind, since none starts: `_Unwind_Resume` and the
//! personality's setters would be called only while unwinding, and abort. Builds that
//! unwind (tests, debug) use the real libunwind: this module is compiled only with
//! `panic = "abort"` on musl (main.rs). glibc builds (armhf) take the unwinder from
//! libgcc_eh, whose ARM EHABI entry points differ, and are left alone.

use std::ffi::{c_int, c_void};

/// `_URC_END_OF_STACK`: the walk found no further frame.
const END_OF_STACK: c_int = 5;

/// std's backtrace walk (std::backtrace_rs). No frame is reported.
#[unsafe(no_mangle)]
extern "C" fn _Unwind_Backtrace(_trace: *mut c_void, _arg: *mut c_void) -> c_int {
    END_OF_STACK
}

/// Reached only from an unwind in progress, which never starts here.
#[unsafe(no_mangle)]
extern "C" fn _Unwind_Resume(_exception: *mut c_void) -> ! {
    std::process::abort()
}

/// The frame queries of std's backtrace and personality routine: with no frame ever
/// handed out, called for none; zero stands for "not known".
#[unsafe(no_mangle)]
extern "C" fn _Unwind_GetIP(_context: *mut c_void) -> usize {
    0
}

#[unsafe(no_mangle)]
extern "C" fn _Unwind_GetIPInfo(_context: *mut c_void, before: *mut c_int) -> usize {
    if !before.is_null() {
        // SAFETY: the caller passes a pointer to its own int, checked non-null.
        unsafe { *before = 0 };
    }
    0
}

#[unsafe(no_mangle)]
extern "C" fn _Unwind_GetCFA(_context: *mut c_void) -> usize {
    0
}

#[unsafe(no_mangle)]
extern "C" fn _Unwind_FindEnclosingFunction(_pc: *mut c_void) -> *mut c_void {
    std::ptr::null_mut()
}

#[unsafe(no_mangle)]
extern "C" fn _Unwind_GetLanguageSpecificData(_context: *mut c_void) -> *mut c_void {
    std::ptr::null_mut()
}

#[unsafe(no_mangle)]
extern "C" fn _Unwind_GetRegionStart(_context: *mut c_void) -> usize {
    0
}

#[unsafe(no_mangle)]
extern "C" fn _Unwind_GetTextRelBase(_context: *mut c_void) -> usize {
    0
}

#[unsafe(no_mangle)]
extern "C" fn _Unwind_GetDataRelBase(_context: *mut c_void) -> usize {
    0
}

#[unsafe(no_mangle)]
extern "C" fn _Unwind_SetGR(_context: *mut c_void, _index: c_int, _value: usize) {
    std::process::abort()
}

#[unsafe(no_mangle)]
extern "C" fn _Unwind_SetIP(_context: *mut c_void, _value: usize) {
    std::process::abort()
}
