//! /proc/self/mountinfo (or a support bundle's copy of it), with its octal escapes.
#![no_main]
use ha_preflight::world::mounts::MountTable;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match MountTable::parse(&text, Path::new("/proc/self/mountinfo")) {
        Ok(t) => {
            for m in &t.mounts {
                let _ = m.describe();
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
