//! ifupdown's state file (`lo=lo` lines, seed 004) and the interface names in it.
#![no_main]
use ha_preflight::checks::ifstate::{parse_line, valid_ifname};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for line in String::from_utf8_lossy(data).lines() {
        if let Some((iface, logical)) = parse_line(line) {
            let _ = (valid_ifname(iface), valid_ifname(logical));
        }
    }
});
