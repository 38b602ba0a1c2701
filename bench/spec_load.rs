//! How long loading the built-in spec takes, and how much of it is toml's own parse (a
//! benchmark, not a test). The spec is parsed at every boot before the first check can
//! start, so this is time on a boot run's critical path.
//!
//! usage: cargo run --release --example spec_load [ROUNDS]   (default 2000)
//! It is built with the release profile and the binary's allocator, so the figures are
//! those of the shipped binary's code (the release profile's per-package opt-levels in
//! Cargo.toml included).

use ha_preflight::config::SpecText;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

#[global_allocator]
static ALLOC: ha_preflight::heap::Split = ha_preflight::heap::Split;

const FILES: [(&str, &str); 2] = [
    ("boot.toml", include_str!("../checks/boot.toml")),
    ("image.toml", include_str!("../checks/image.toml")),
];

fn main() {
    let rounds: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let per_round = |start: Instant| start.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);

    let start = Instant::now();
    for _ in 0..rounds {
        let sources: Vec<SpecText> = FILES
            .iter()
            .map(|(name, text)| SpecText::new(PathBuf::from(*name), (*text).to_string()))
            .collect();
        if black_box(ha_preflight::spec::parse_sources(&sources)).is_err() {
            eprintln!("the built-in spec does not parse");
            std::process::exit(1);
        }
    }
    let whole = per_round(start);

    let start = Instant::now();
    for _ in 0..rounds {
        for (_, text) in FILES {
            let _ = black_box(toml::de::DeTable::parse(text));
        }
    }
    let toml_only = per_round(start);

    let bytes: usize = FILES.iter().map(|(_, t)| t.len()).sum();
    println!("built-in spec, {bytes} bytes, mean of {rounds} rounds");
    println!("  spec::parse_sources     {whole:8.1} us");
    println!("  of it toml's own parse  {toml_only:8.1} us (toml::de::DeTable::parse)");
}
