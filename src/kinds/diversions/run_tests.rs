//! Kind `diversions` (check dpkg-diversions): a build's fake start-stop-daemon and a
//! build tool's diversion, planted in image trees.
//! In-process (`crate::testing`): the built-in image checks over each tree, as
//! `image --root`.

use crate::testing::assert_planted;

#[test]
fn planted_in_image_trees() {
    assert_planted(&[
        (
            "fake-start-stop-daemon",
            "dpkg-diversions",
            "fail",
            "/usr/sbin/start-stop-daemon.REAL is a diverted original",
        ),
        (
            "stray-diversion",
            "dpkg-diversions",
            "fail",
            "/sbin/ldconfig diverted to /sbin/ldconfig.REAL by fakechroot",
        ),
        (
            "clean",
            "dpkg-diversions",
            "pass",
            "no build stubs or build diversions",
        ),
    ]);
}
