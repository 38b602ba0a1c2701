//! Build script: one job. A release binary built with `panic = "abort"` for a Linux
//! target drops its unwind tables at link time (link/no-unwind-tables.ld): nothing in
//! it unwinds, and they are a tenth of the binary. Builds that unwind (tests, debug)
//! are left alone.

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
}
