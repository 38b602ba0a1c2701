//! /proc/drbd, as DRBD 8.4 and 9 write it; what parses is judged and shown.
#![no_main]
use ha_preflight::kinds::drbd::judge::{Policy, judge};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match ha_preflight::kinds::drbd::proc::parse(&String::from_utf8_lossy(data)) {
        Ok(p) => {
            for v in &p.volumes {
                let _ = (judge(v, &Policy::default()), v.name());
                let _ = v.progress.as_ref().map(ToString::to_string);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
