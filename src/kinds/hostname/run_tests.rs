//! Kind `hostname` (check build-hostname): the build host's name in hostname, hosts,
//! mailname and key comments, planted in image trees, judged in-process
//! (`crate::testing`) as `image --root` judges them.

use crate::testing::{self, assert_planted, planted};

#[test]
fn planted_in_image_trees() {
    assert_planted(&[
        (
            "hostname-from-host",
            "build-hostname",
            "warn",
            "/etc/hosts maps 127.0.1.1 to appliance but /etc/hostname says \"buildhost\"",
        ),
        ("mailname", "build-hostname", "warn", "/etc/mailname exists"),
        (
            "ssh-host-keys",
            "build-hostname",
            "warn",
            "was made on \"buildhost\"",
        ),
        (
            "clean",
            "build-hostname",
            "pass",
            "the image is named \"appliance\" throughout",
        ),
    ]);
}

#[test]
fn the_build_hosts_own_name_in_the_image_is_caught() {
    // CI runs image mode on the build host: its name in the image is the leftover.
    let Ok(host) = nix_hostname() else { return };
    let Some(tree) = planted("clean") else {
        return;
    };
    std::fs::write(tree.root.join("etc/hostname"), format!("{host}\n"))
        .unwrap_or_else(|e| panic!("etc/hostname: {e}"));
    let ran = testing::shipped(&["build-hostname"], testing::image(&tree.root));
    let c = ran.check("build-hostname");
    assert_eq!(c.status.as_str(), "warn", "{c:#?}");
    assert!(
        c.summary
            .contains("the name of the machine that built the image"),
        "{c:#?}"
    );
}

fn nix_hostname() -> Result<String, ()> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").map_err(|_| ())?;
    let name = name.trim().to_string();
    if name.is_empty() || name == "localhost" || name == "appliance" {
        Err(())
    } else {
        Ok(name)
    }
}
