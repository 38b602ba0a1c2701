//! A spec file (and an overrides file: the same TOML reader, the same `FILE:LINE:COL`
//! errors). Every error is rendered, since that is where spans turn into lines.
#![no_main]
use ha_preflight::engine::overrides;
use ha_preflight::spec;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match spec::parse_text(Path::new("/fuzz/checks.toml"), &text) {
        Ok(s) => {
            for c in &s.checks {
                let _ = (c.kind.name, c.deps().count(), c.defined_at.to_string());
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    let source = ha_preflight::config::SpecText::new(
        Path::new("/fuzz/overrides.toml").to_path_buf(),
        text.into_owned(),
    );
    if let Err(e) = overrides::parse(&source) {
        let _ = e.to_string();
    }
});
