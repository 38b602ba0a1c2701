//! The verdict for one volume (design.md, "DRBD in boot mode"):
//!
//! | state | verdict |
//! |---|---|
//! | local UpToDate; Connected/Established, VerifyS/T, Ahead | pass |
//! | local UpToDate; SyncSource, PausedSyncS | pass (policy `sync_source`: or wait) |
//! | local UpToDate; peer absent (WFConnection, Connecting) | warn (policy `degraded`: or pass, fail) |
//! | local UpToDate; no peer configured (DRBD 9) | pass |
//! | SyncTarget, PausedSyncT, WFBitMapS/T, WFSyncUUID, StartingSyncS/T, WFReportParams | wait |
//! | Unconnected, Timeout, BrokenPipe, NetworkFailure, TearDown, Disconnecting, ProtocolError | wait (they settle within seconds) |
//! | local Attaching, Negotiating, Detaching | wait |
//! | StandAlone | fail (split brain or admin disconnect) |
//! | Behind | fail (local data lags the peer) |
//! | local Diskless (not a client), Failed, Outdated | fail |
//! | local Inconsistent with no resync towards it | fail |
//! | local Consistent without a peer | fail; connected: wait (the handshake decides) |
//! | any state not recognised | fail, naming it |

use super::Volume;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Pass,
    Warn,
    Wait,
    Fail,
}

/// Where users disagree, the spec decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Peer absent, local UpToDate: start degraded?
    pub degraded: Verdict,
    /// This node is the resync source: its data is good, but the peer's is not yet.
    pub sync_source: Verdict,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            degraded: Verdict::Warn,
            sync_source: Verdict::Pass,
        }
    }
}

const HANDSHAKE: &[&str] = &[
    "WFReportParams",
    "StartingSyncS",
    "StartingSyncT",
    "WFBitMapS",
    "WFBitMapT",
    "WFSyncUUID",
];
const TOWARDS_US: &[&str] = &["SyncTarget", "PausedSyncT"];
const TRANSIENT: &[&str] = &[
    "Unconnected",
    "Timeout",
    "BrokenPipe",
    "NetworkFailure",
    "TearDown",
    "Disconnecting",
    "ProtocolError",
];
const PEER_ABSENT: &[&str] = &["WFConnection", "Connecting"];
const HEALTHY: &[&str] = &["Connected", "Established", "VerifyS", "VerifyT", "Ahead"];
const FROM_US: &[&str] = &["SyncSource", "PausedSyncS"];
const KNOWN_CONN: &[&[&str]] = &[
    HANDSHAKE,
    TOWARDS_US,
    TRANSIENT,
    PEER_ABSENT,
    HEALTHY,
    FROM_US,
    &["StandAlone", "Behind", "Off", ""],
];

pub fn judge(v: &Volume, policy: &Policy) -> (Verdict, String) {
    let conn = v.conn.as_str();
    let known_conn = KNOWN_CONN.iter().any(|set| set.contains(&conn));
    if !known_conn {
        return (Verdict::Fail, format!("unknown connection state {conn:?}"));
    }
    let progress = v
        .progress
        .as_ref()
        .map(|p| format!(" {p}"))
        .unwrap_or_default();
    if TOWARDS_US.contains(&conn) {
        return (
            Verdict::Wait,
            format!("{conn}{progress}: resync towards this node"),
        );
    }
    if HANDSHAKE.contains(&conn) {
        return (
            Verdict::Wait,
            format!("{conn}: handshake or resync starting"),
        );
    }
    match v.disk.as_str() {
        "UpToDate" => {}
        "Attaching" | "Negotiating" | "Detaching" => {
            return (Verdict::Wait, format!("local disk {}", v.disk));
        }
        "Diskless" if v.client => {}
        "Diskless" => {
            return (
                Verdict::Fail,
                "local disk Diskless: no backing device attached".into(),
            );
        }
        "Failed" => {
            return (
                Verdict::Fail,
                "local disk Failed: I/O error on the backing device".into(),
            );
        }
        "Outdated" => {
            return (
                Verdict::Fail,
                "local disk Outdated: the peer has newer data".into(),
            );
        }
        "Inconsistent" => {
            return (
                Verdict::Fail,
                format!("local disk Inconsistent and no resync running ({conn})"),
            );
        }
        "Consistent" if HEALTHY.contains(&conn) || FROM_US.contains(&conn) => {
            return (
                Verdict::Wait,
                "local disk Consistent: the handshake will decide".into(),
            );
        }
        "Consistent" => {
            return (
                Verdict::Fail,
                format!(
                    "local disk Consistent without a peer ({conn}): not known to be up to date"
                ),
            );
        }
        other => return (Verdict::Fail, format!("unknown disk state {other:?}")),
    }
    if conn == "StandAlone" {
        return (
            Verdict::Fail,
            "StandAlone: split brain or an administrative disconnect; never auto-start".into(),
        );
    }
    if conn == "Behind" {
        return (Verdict::Fail, "Behind: local data lags the peer".into());
    }
    if TRANSIENT.contains(&conn) {
        return (Verdict::Wait, format!("{conn}: connection in transition"));
    }
    if PEER_ABSENT.contains(&conn) || conn == "Off" {
        return (
            policy.degraded,
            format!("{conn}: peer absent, local disk UpToDate (degraded)"),
        );
    }
    if conn.is_empty() {
        return (Verdict::Pass, "UpToDate, no peer configured".into());
    }
    if FROM_US.contains(&conn) {
        return (
            policy.sync_source,
            format!("{conn}{progress}: this node is the resync source"),
        );
    }
    if v.client {
        return (
            Verdict::Pass,
            format!("diskless client, {conn}, peer disk {}", v.peer_disk),
        );
    }
    (Verdict::Pass, format!("UpToDate, {conn}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vol(conn: &str, disk: &str) -> Volume {
        Volume {
            resource: "r0".into(),
            conn: conn.into(),
            disk: disk.into(),
            peer_disk: "UpToDate".into(),
            ..Volume::default()
        }
    }

    #[test]
    fn the_design_table() {
        let p = Policy::default();
        let cases = [
            ("Connected", "UpToDate", Verdict::Pass),
            ("Established", "UpToDate", Verdict::Pass),
            ("VerifyT", "UpToDate", Verdict::Pass),
            ("SyncSource", "UpToDate", Verdict::Pass),
            ("WFConnection", "UpToDate", Verdict::Warn),
            ("Connecting", "UpToDate", Verdict::Warn),
            ("SyncTarget", "Inconsistent", Verdict::Wait),
            ("PausedSyncT", "Inconsistent", Verdict::Wait),
            ("WFBitMapT", "UpToDate", Verdict::Wait),
            ("WFSyncUUID", "Inconsistent", Verdict::Wait),
            ("Connected", "Attaching", Verdict::Wait),
            ("WFConnection", "Negotiating", Verdict::Wait),
            ("BrokenPipe", "UpToDate", Verdict::Wait),
            ("StandAlone", "UpToDate", Verdict::Fail),
            ("Connected", "Diskless", Verdict::Fail),
            ("Connected", "Failed", Verdict::Fail),
            ("WFConnection", "Outdated", Verdict::Fail),
            ("Connected", "Inconsistent", Verdict::Fail),
            ("WFConnection", "Consistent", Verdict::Fail),
            ("Behind", "UpToDate", Verdict::Fail),
            ("Bogus", "UpToDate", Verdict::Fail),
            ("Connected", "TOO_LARGE", Verdict::Fail),
            ("", "UpToDate", Verdict::Pass),
        ];
        for (conn, disk, want) in cases {
            assert_eq!(judge(&vol(conn, disk), &p).0, want, "{conn} {disk}");
        }
    }

    #[test]
    fn policies_change_only_their_cases() {
        let strict = Policy {
            degraded: Verdict::Fail,
            sync_source: Verdict::Wait,
        };
        assert_eq!(
            judge(&vol("WFConnection", "UpToDate"), &strict).0,
            Verdict::Fail
        );
        assert_eq!(
            judge(&vol("SyncSource", "UpToDate"), &strict).0,
            Verdict::Wait
        );
        assert_eq!(
            judge(&vol("Connected", "UpToDate"), &strict).0,
            Verdict::Pass
        );
    }

    #[test]
    fn unknown_states_are_named() {
        let (_, why) = judge(&vol("Bogus", "UpToDate"), &Policy::default());
        assert!(why.contains("\"Bogus\""), "{why}");
    }
}
