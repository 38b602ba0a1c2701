//! Build script: one job, the release binary's link. Builds that unwind (tests, debug)
//! are left alone.
//!
//! - A release binary built with `panic = "abort"` for a Linux target drops its unwind
//!   tables at link time (link/no-unwind-tables.ld): nothing in it unwinds, and they are
//!   a tenth of the binary. It drops `.comment` too (link/no-comment.ld), the compiler
//!   versions that cargo's `strip = true` leaves and Debian's strip removes.
//! - A static musl binary is position-independent (ASLR), so every pointer in its data
//!   (vtables, string tables, the spec's tables) needs a relocation at start. As RELA
//!   entries those are 24 bytes each, about 48 KiB; packed as RELR (`-z
//!   pack-relative-relocs`, GNU ld 2.38 and lld 15 on) they take 640 bytes. musl's
//!   static-PIE start code applies RELR from 1.2.4 on. Rust's musl targets ship 1.2.5
//!   from Rust 1.93 on and 1.2.3 before, so an older rustc links without it (a binary
//!   whose start code ignored RELR would crash at once; CI runs the built binary).
//!   glibc builds are left alone: a static glibc before 2.36 would not apply them.

fn main() {
    println!("cargo::rerun-if-changed=link/no-unwind-tables.ld");
    println!("cargo::rerun-if-changed=link/no-comment.ld");
    // The release profile is the one with panic = "abort" (Cargo.toml); a build script
    // is not told the profile's panic setting, only the profile's name.
    let abort = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if !(abort && linux) {
        return;
    }
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let direct = std::env::var_os("RUSTC_LINKER").is_some_and(|l| is_bare_linker(&l));
    let mut args = vec![
        "--no-eh-frame-hdr".to_string(),
        format!("--script={dir}/link/no-unwind-tables.ld"),
        format!("--script={dir}/link/no-comment.ld"),
    ];
    let musl = std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "musl");
    if musl && rustc_minor().is_some_and(|minor| minor >= 93) {
        args.push("-zpack-relative-relocs".into());
    }
    for arg in args {
        // A C compiler as the linker (the default) passes them on with -Wl,; a bare
        // linker takes them as they are.
        let arg = if direct { arg } else { format!("-Wl,{arg}") };
        println!("cargo::rustc-link-arg-bins={arg}");
    }
}

/// True when the configured linker is a linker itself, not a C compiler driving one:
/// `rust-lld` (the aarch64 musl build, .cargo/config.toml), `ld.lld`, `ld`, `ld.bfd`.
/// rustc names the flavor from the same file name.
fn is_bare_linker(linker: &std::ffi::OsStr) -> bool {
    let name = std::path::Path::new(linker)
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("");
    name == "ld" || name.starts_with("ld.") || name.ends_with("lld")
}

/// The minor version of the rustc cargo builds with ("rustc 1.95.0 (...)" gives 95).
fn rustc_minor() -> Option<u32> {
    let rustc = std::env::var_os("RUSTC")?;
    let out = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    text.split_whitespace()
        .nth(1)?
        .split('.')
        .nth(1)?
        .parse()
        .ok()
}
