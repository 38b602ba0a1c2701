//! Kind `volatile-dir` (check netrun-layout): /etc/network/run as image trees lay it out
//! (a real directory, links to tmpfs targets and to /etc); the running system's layouts
//! are judged in tests/boot_ns.rs, whose boxes have real filesystems.
//! In-process (`crate::testing`): the built-in image checks over each tree, as
//! `image --root`.

use crate::testing::assert_planted;

#[test]
fn planted_in_image_trees() {
    assert_planted(&[
        (
            "netrun-real-dir",
            "netrun-layout",
            "fail",
            "/etc/network/run is a real directory in the image",
        ),
        (
            "netrun-link-to-etc",
            "netrun-layout",
            "fail",
            "/etc/network/run -> ., which is not volatile",
        ),
        (
            "netrun-link-devshm",
            "netrun-layout",
            "pass",
            "a volatile directory on the booted box",
        ),
        (
            "netrun-link-run",
            "netrun-layout",
            "pass",
            "a volatile directory on the booted box",
        ),
        (
            "clean",
            "netrun-layout",
            "pass",
            "/etc/network/run is absent",
        ),
    ]);
}
