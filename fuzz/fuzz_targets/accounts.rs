//! An image's `etc/passwd` or `etc/group`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ha_preflight::world::accounts::ids(&String::from_utf8_lossy(data));
});
