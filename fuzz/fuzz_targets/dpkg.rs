//! An image's dpkg databases: `var/lib/dpkg/status` and `var/lib/dpkg/diversions`.
#![no_main]
use ha_preflight::world::dpkg;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = dpkg::installed_version(&text, "ifupdown");
    let (entries, error) = dpkg::diversions(&text);
    let _ = (entries.len(), error.map(|e| e.to_string()));
});
