//! ifupdown's state: an `ifstate` file (`lo=lo` lines) and an `ifstate.IFACE` file, read
//! as the ifstate kind reads them, and the interface names in them.
#![no_main]
use ha_preflight::kinds::ifstate::{parse, valid_ifname};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let state = parse::ifstate(&text);
    for (iface, logical) in state.recorded {
        let _ = (valid_ifname(iface), valid_ifname(logical));
    }
    let _ = parse::per_interface("lo", &text);
});
