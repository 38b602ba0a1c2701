//! Kind `path` (checks policy-rc-d, machine-id, ssh-host-keys, resolv-conf, apt-proxy,
//! mtab-link): each planted in an image tree of tests/fixtures/image.
//! In-process (`crate::testing`): the built-in image checks over each tree, as
//! `image --root`.

use crate::testing::assert_planted;

#[test]
fn planted_in_image_trees() {
    assert_planted(&[
        (
            "policy-rc-d",
            "policy-rc-d",
            "fail",
            "/usr/sbin/policy-rc.d exists (regular file)",
        ),
        (
            "machine-id-filled",
            "machine-id",
            "fail",
            "/etc/machine-id holds \"0123456789abcdef0123456789abcdef\"",
        ),
        (
            "dbus-machine-id",
            "machine-id",
            "fail",
            "/var/lib/dbus/machine-id is a regular file",
        ),
        (
            "random-seed",
            "machine-id",
            "fail",
            "/var/lib/systemd/random-seed exists",
        ),
        (
            "ssh-host-keys",
            "ssh-host-keys",
            "fail",
            "/etc/ssh/ssh_host_ed25519_key exists",
        ),
        (
            "resolv-conf-from-host",
            "resolv-conf",
            "warn",
            "/etc/resolv.conf:1: nameserver 10.1.2.3",
        ),
        (
            "apt-proxy",
            "apt-proxy",
            "warn",
            "99mmdebstrap:1: Acquire::http::Proxy",
        ),
        (
            "apt-unauthenticated",
            "apt-proxy",
            "warn",
            "AllowUnauthenticated",
        ),
        ("dpkg-unsafe-io", "apt-proxy", "warn", "force-unsafe-io"),
        (
            "mtab-file",
            "mtab-link",
            "warn",
            "/etc/mtab is a regular file",
        ),
        (
            "clean",
            "mtab-link",
            "pass",
            "/etc/mtab -> ../proc/self/mounts",
        ),
    ]);
}
