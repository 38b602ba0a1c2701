//! Kind `tree` (checks unknown-owners, runtime-leftovers, tmp-leftovers,
//! qemu-user-static, dev-nodes): one planted image tree per leftover. The walk's own
//! hostile cases (links out, FIFOs, deep trees) are tests/hostile.rs; what an ordinary
//! user cannot walk, tests/image.rs.
//! In-process (`crate::testing`): the built-in image checks over each tree, as
//! `image --root`.

use crate::testing::assert_planted;

#[test]
fn planted_in_image_trees() {
    assert_planted(&[
        (
            "unknown-owner",
            "unknown-owners",
            "fail",
            "/usr/lib/libvendor.so.1 is owned by uid 4242",
        ),
        (
            "build-user-owner",
            "unknown-owners",
            "fail",
            "/etc/appliance.conf is owned by uid 1000",
        ),
        (
            "pid-file-in-run",
            "runtime-leftovers",
            "fail",
            "/run/xcbdaemon.pid (regular file) left by the build",
        ),
        (
            "var-run-real-dir",
            "runtime-leftovers",
            "fail",
            "/var/run is a real directory",
        ),
        (
            "dhcp-lease",
            "runtime-leftovers",
            "fail",
            "/var/lib/dhcp/dhclient.eth0.leases",
        ),
        (
            "tmp-not-empty",
            "tmp-leftovers",
            "warn",
            "/tmp/build.log (regular file) left by the build",
        ),
        (
            "tmp-mode",
            "tmp-leftovers",
            "warn",
            "/tmp has mode 755, not 1777",
        ),
        (
            "apt-cache-debs",
            "tmp-leftovers",
            "warn",
            "/var/cache/apt/archives/foo_1.0_amd64.deb",
        ),
        (
            "debootstrap-dir",
            "tmp-leftovers",
            "warn",
            "/debootstrap (directory) left by the build",
        ),
        (
            "qemu-static",
            "qemu-user-static",
            "warn",
            "/usr/bin/qemu-arm-static is in the image but no installed package owns it",
        ),
        (
            "qemu-static-owned",
            "qemu-user-static",
            "pass",
            "all from installed packages",
        ),
        (
            "dev-node-block",
            "dev-nodes",
            "warn",
            "/dev/sda is a block device",
        ),
        (
            "dev-node-outside-dev",
            "dev-nodes",
            "warn",
            "/etc/null is a character device outside /dev",
        ),
        (
            "proc-not-empty",
            "dev-nodes",
            "warn",
            "/proc/cpuinfo: captured from a mounted virtual filesystem",
        ),
    ]);
}
