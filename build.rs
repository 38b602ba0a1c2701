//! Build script: one job, the release binary's link. Builds that unwind (tests, debug)
//! are left alone.
//!
//! - A release binary built with `panic = "abort"` for a Linux target drops its unwind
//!   tables at link time (link/no-unwind-tables.ld): nothing in it unwinds, and they are
//!   a tenth of the binary.
//! - A static musl binary is position-independent (ASLR), so every pointer in its data
//!   (vtables, string tables, the spec's tables) needs a relocation at start. As RELA
//!   entries those are 24 bytes each, about 48 KiB; packed as RELR (`-z
//!   pack-relative-relocs`, GNU ld 2.38 and lld 15 on) they take 640 bytes. musl's
//!   static-PIE start code applies RELR from 1.2.4 on; Rust's musl target ships 1.2.5.
//!   glibc builds are left alone: a static glibc before 2.36 would not apply them.

fn main() {
    println!("cargo::rerun-if-changed=link/no-unwind-tables.ld");
    // The release profile is the one with panic = "abort" (Cargo.toml); a build script
    // is not told the profile's panic setting, only the profile's name.
    let abort = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if !(abort && linux) {
        return;
    }
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    println!("cargo::rustc-link-arg-bins=-Wl,--no-eh-frame-hdr");
    println!("cargo::rustc-link-arg-bins=-Wl,-T,{dir}/link/no-unwind-tables.ld");
    if std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "musl") {
        println!("cargo::rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
