//! Kind `ifstate` (check netrun-stale) in-process (`crate::testing`): ifupdown state
//! baked into planted image trees, judged as `image --root` judges them.

use crate::testing::assert_planted;

/// In an image there is no kernel to compare with: any recorded interface is baked in.
#[test]
fn state_baked_into_an_image_fails() {
    assert_planted(&[
        (
            "ifstate-baked-run",
            "netrun-stale",
            "fail",
            "ifupdown state is baked into the image: lo recorded as configured",
        ),
        (
            "ifstate-0.8-per-iface",
            "netrun-stale",
            "fail",
            "lo recorded as configured",
        ),
        (
            "netrun-real-dir-with-lo",
            "netrun-stale",
            "fail",
            "so ifup will skip lo at every boot",
        ),
        (
            "clean",
            "netrun-stale",
            "pass",
            "no interface is recorded as configured",
        ),
    ]);
}
