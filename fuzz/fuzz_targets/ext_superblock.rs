//! A bundle's `superblock` and `klog` answers: 1024 bytes an ext2/3/4 superblock is
//! decoded from, then the kernel log's lines about a device, judged against it.
#![no_main]
use ha_preflight::kinds::filesystem::ext::{self, MountState, Superblock};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (head, rest) = data.split_at(data.len().min(1024));
    let sb = Superblock::parse(head).ok();
    let lines: Vec<String> = String::from_utf8_lossy(rest)
        .lines()
        .map(str::to_string)
        .collect();
    for read_only in [false, true] {
        let how = MountState {
            read_only,
            emergency: false,
        };
        if let Some(sb) = &sb {
            let _ = sb.describe();
            let _ = ext::judge_superblock(sb, how);
        }
        let _ = ext::judge_kernel_log(&lines, "loop0", sb.as_ref(), how);
    }
});
