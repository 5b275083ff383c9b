//! Atomic output: the names and rules every host (the CLI, Node) follows to write a
//! directory (a dataset, or a track inside one) so that it appears whole or not at all,
//! never deletes or hides what a user put at the target, and cleans up after runs that
//! were killed. No I/O here: hosts look at the file system and act; this module decides.
//!
//! A run writes into a staging directory next to the target (`.NAME.partial-TOKEN`, or
//! `.NAME.tmp.TOKEN` inside a dataset, a name GenVarLoader's `Dataset.open` skips), with an
//! owner record beside it ([`Role::owner_name`]: outside, so it is never published) saying
//! which process on which machine writes it; the run touches that record every
//! [`HEARTBEAT`] (and the CLI holds a lock on it). To
//! commit, it moves what is at the target aside (`.NAME.old-TOKEN`), looks at what it moved
//! (what is replaced must be replaceable *then*, not only when the run started), moves the
//! staging directory into place, and removes what it set aside. A later run sweeps what a
//! dead run left ([`judge`]): a staging directory is claimed by renaming it
//! (`.NAME.stale-TOKEN`) before it is removed, so a run that was only paused can never
//! commit a half-removed directory; a set-aside target whose run died before its new one
//! was in place is put back.

use crate::error::shown;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How often a run touches its owner record.
pub const HEARTBEAT: Duration = Duration::from_secs(10);
/// An owner record untouched this long belongs to a run that stopped (unless the
/// process can be seen alive).
pub const STALE_AFTER: Duration = Duration::from_secs(60);

/// What is being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A dataset directory (`dataset`, `concat`, `exportDatasetToDir`).
    Dataset,
    /// A track directory inside a dataset (`update`).
    Track,
}

/// The kinds of hidden entries next to a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Staging,
    Aside,
    /// Claimed by a sweeper: removed by whoever sees it.
    Stale,
}

impl Role {
    fn prefix(self, kind: Kind) -> &'static str {
        match (self, kind) {
            (Role::Dataset, Kind::Staging) => "partial-",
            (Role::Dataset, Kind::Aside) => "old-",
            (Role::Dataset, Kind::Stale) => "stale-",
            // `.tmp.` and `.old.` are what Dataset.open skips inside a dataset.
            (Role::Track, Kind::Staging) => "tmp.",
            (Role::Track, Kind::Aside) => "old.",
            (Role::Track, Kind::Stale) => "tmp.stale.",
        }
    }

    /// The hidden name of `kind` for target `name` and run `token`.
    pub fn name(self, kind: Kind, name: &str, token: &str) -> String {
        format!(".{name}.{}{token}", self.prefix(kind))
    }

    /// The owner record of the staging directory of target `name` and run `token`.
    pub fn owner_name(self, name: &str, token: &str) -> String {
        format!("{}.owner", self.name(Kind::Staging, name, token))
    }

    /// `(target name, token)` of an owner record of this role, if `entry` is one.
    pub fn parse_owner(self, entry: &str) -> Option<(&str, &str)> {
        match self.parse(entry.strip_suffix(".owner")?) {
            Some((Kind::Staging, name, token)) => Some((name, token)),
            _ => None,
        }
    }

    /// `(kind, target name, token)` of a hidden entry of this role, if it is one.
    pub fn parse(self, entry: &str) -> Option<(Kind, &str, &str)> {
        let rest = entry.strip_prefix('.')?;
        // Stale first: for tracks its prefix extends the staging one.
        for kind in [Kind::Stale, Kind::Staging, Kind::Aside] {
            let p = format!(".{}", self.prefix(kind));
            // The target name may hold dots: the marker is the last one that fits.
            if let Some(i) = rest.rfind(&p) {
                let (name, token) = (&rest[..i], &rest[i + p.len()..]);
                if !name.is_empty() && valid_token(token) {
                    return Some((kind, name, token));
                }
            }
        }
        None
    }
}

/// `PID-HEX` (ours) or a bare pid (older versions, the npm package's `PID-TAG`).
fn valid_token(t: &str) -> bool {
    let mut parts = t.splitn(2, '-');
    let pid = parts.next().unwrap_or("");
    let tag = parts.next().unwrap_or("0");
    !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && !tag.is_empty()
        && tag.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The process a token names (its pid part).
pub fn token_pid(t: &str) -> Option<u32> {
    t.split('-').next()?.parse().ok()
}

/// Who writes a staging directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// The kernel's boot id: one machine, since its last boot.
    pub boot_id: String,
    /// The pid namespace the pid is in (containers each have their own; pid 1 in one is
    /// not pid 1 in another).
    pub pid_ns: String,
    pub pid: u32,
    /// The process's start time (clock ticks since boot, `/proc/PID/stat` field 22):
    /// tells a pid's process from a later one that got the same pid.
    pub start: u64,
    /// Who wrote it (for a person looking at the directory).
    pub tool: String,
    /// Whether the owner holds a lock on its record for as long as it lives (the CLI does;
    /// Node cannot): if so, a lock anyone can take means the owner is gone, on any machine
    /// that shares the file system's locks.
    #[serde(default)]
    pub locks: bool,
}

impl Owner {
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
    pub fn parse(bytes: &[u8]) -> Option<Owner> {
        serde_json::from_slice(bytes).ok()
    }
}

/// What a sweeper knows of its own machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Here {
    pub boot_id: String,
    pub pid_ns: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Alive,
    Dead,
}

/// What a sweeper found out about a staging directory's owner.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// The owner record, if it could be read.
    pub owner: Option<Owner>,
    /// How long since the record (or, without one, the directory) was last touched.
    pub age: Option<Duration>,
    /// Whether another process holds the lock on the record (`None`: no lock could be
    /// tested, e.g. a host without locks).
    pub locked: Option<bool>,
    /// The start time of the record's pid on this machine, if such a process exists;
    /// asked only when the owner is on this machine and in this pid namespace.
    pub start_of_pid: Option<u64>,
}

/// Whether the run that owns a staging directory is gone. A lock held is alive, and a lock
/// its owner held but nobody holds now is dead (the kernel releases it when the process
/// ends). Otherwise a process seen alive (same machine, same pid namespace, same start
/// time) is alive and one seen gone is dead; otherwise (another machine or container,
/// an owner without locks) a record touched within [`STALE_AFTER`] is alive.
pub fn judge(here: &Here, e: &Evidence) -> Liveness {
    match e.locked {
        Some(true) => return Liveness::Alive,
        Some(false) if e.owner.as_ref().is_some_and(|o| o.locks) => return Liveness::Dead,
        _ => {}
    }
    if let Some(o) = &e.owner {
        if o.boot_id == here.boot_id && o.pid_ns == here.pid_ns {
            return if e.start_of_pid == Some(o.start) {
                Liveness::Alive
            } else {
                Liveness::Dead
            };
        }
    }
    match e.age {
        Some(age) if age < STALE_AFTER => Liveness::Alive,
        _ => Liveness::Dead,
    }
}

/// What is at a target when a run looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    Missing,
    /// A file (or anything not a directory).
    File,
    EmptyDir,
    /// A directory of the kind being written: a dataset (`metadata.json`) or a track
    /// (`offsets.npy`).
    Ours,
    /// Any other directory: the user's.
    OtherDir,
}

/// Whether a run may put its output where `found` is: `Err` is the one-line reason
/// (`flag` is how the caller says overwrite: `--overwrite`, `overwrite: true`).
pub fn may_replace(role: Role, found: Found, overwrite: bool, flag: &str) -> Result<(), String> {
    let what = match role {
        Role::Dataset => "a GenVarLoader dataset (no metadata.json)",
        Role::Track => "a track (no offsets.npy)",
    };
    match found {
        Found::Missing => Ok(()),
        _ if !overwrite => Err(format!("already exists; pass {flag} to replace it")),
        Found::EmptyDir | Found::Ours => Ok(()),
        Found::File => Err("exists and is not a directory; not replacing it".into()),
        Found::OtherDir => Err(format!("is not {what}; not replacing it")),
    }
}

/// The message when what is at the target changed, between the start and the commit,
/// into something the run may not replace.
pub fn changed_under_us(target: &str, why: &str) -> String {
    format!(
        "{}: {why} (it changed while the output was being written; nothing was replaced)",
        shown(target)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_foreign_names_are_not_ours() {
        for role in [Role::Dataset, Role::Track] {
            for kind in [Kind::Staging, Kind::Aside, Kind::Stale] {
                let n = role.name(kind, "my.ds.gvl", "123-ab12");
                assert_eq!(role.parse(&n), Some((kind, "my.ds.gvl", "123-ab12")), "{n}");
            }
        }
        assert_eq!(
            Role::Dataset.name(Kind::Staging, "x.gvl", "7-a"),
            ".x.gvl.partial-7-a"
        );
        assert_eq!(
            Role::Track.name(Kind::Staging, "sig", "7-a"),
            ".sig.tmp.7-a"
        );
        // Older versions' names (a bare pid) are ours too.
        assert_eq!(
            Role::Dataset.parse(".x.gvl.partial-42"),
            Some((Kind::Staging, "x.gvl", "42"))
        );
        for foreign in [
            "x.gvl",
            ".x.gvl",
            ".x.gvl.partial-",
            ".x.gvl.partial-a1",
            ".partial-1",
            ".x.partial-1-",
        ] {
            assert_eq!(Role::Dataset.parse(foreign), None, "{foreign}");
        }
        assert_eq!(token_pid("123-ab"), Some(123));
        let o = Role::Track.owner_name("sig", "5-ff");
        assert_eq!(o, ".sig.tmp.5-ff.owner");
        assert_eq!(Role::Track.parse_owner(&o), Some(("sig", "5-ff")));
        assert_eq!(Role::Track.parse(&o), None);
    }

    fn here() -> Here {
        Here {
            boot_id: "b".into(),
            pid_ns: "pid:[1]".into(),
        }
    }

    fn owner(boot: &str, ns: &str, pid: u32, start: u64) -> Owner {
        Owner {
            boot_id: boot.into(),
            pid_ns: ns.into(),
            pid,
            start,
            tool: "t".into(),
            locks: false,
        }
    }

    #[test]
    fn liveness_rests_on_more_than_a_pid() {
        let h = here();
        let ev = |o: Option<Owner>, age: u64, locked: Option<bool>, start: Option<u64>| Evidence {
            owner: o,
            age: Some(Duration::from_secs(age)),
            locked,
            start_of_pid: start,
        };
        // Same machine and namespace: the process decides, whatever the heartbeat says.
        let me = owner("b", "pid:[1]", 1, 500);
        assert_eq!(
            judge(&h, &ev(Some(me.clone()), 999, None, Some(500))),
            Liveness::Alive
        );
        // Pid 1 again, but a later process (a rerun in a new container, same namespace id).
        assert_eq!(
            judge(&h, &ev(Some(me.clone()), 0, None, Some(900))),
            Liveness::Dead
        );
        assert_eq!(
            judge(&h, &ev(Some(me.clone()), 0, None, None)),
            Liveness::Dead
        );
        // Another container or machine: the heartbeat decides, a held lock wins.
        let other = owner("b", "pid:[2]", 1, 500);
        assert_eq!(
            judge(&h, &ev(Some(other.clone()), 5, Some(false), None)),
            Liveness::Alive
        );
        assert_eq!(
            judge(&h, &ev(Some(other.clone()), 61, Some(false), None)),
            Liveness::Dead
        );
        assert_eq!(
            judge(&h, &ev(Some(other.clone()), 3600, Some(true), None)),
            Liveness::Alive
        );
        // An owner that locks, whose lock is free: gone, even with a fresh heartbeat.
        let locker = Owner {
            locks: true,
            ..other
        };
        assert_eq!(
            judge(&h, &ev(Some(locker.clone()), 1, Some(false), None)),
            Liveness::Dead
        );
        assert_eq!(judge(&h, &ev(Some(locker), 1, None, None)), Liveness::Alive);
        let remote = owner("other-boot", "pid:[1]", 77, 1);
        assert_eq!(
            judge(&h, &ev(Some(remote.clone()), 10, None, Some(1))),
            Liveness::Alive
        );
        assert_eq!(
            judge(&h, &ev(Some(remote), 120, None, Some(1))),
            Liveness::Dead
        );
        // No record (an older version's directory): its age.
        assert_eq!(judge(&h, &ev(None, 10, None, None)), Liveness::Alive);
        assert_eq!(judge(&h, &ev(None, 100, None, None)), Liveness::Dead);
    }

    #[test]
    fn what_may_be_replaced() {
        let f = "--overwrite";
        assert!(may_replace(Role::Dataset, Found::Missing, false, f).is_ok());
        assert_eq!(
            may_replace(Role::Dataset, Found::Ours, false, f).unwrap_err(),
            "already exists; pass --overwrite to replace it"
        );
        assert!(may_replace(Role::Dataset, Found::Ours, true, f).is_ok());
        assert!(may_replace(Role::Dataset, Found::EmptyDir, true, f).is_ok());
        assert_eq!(
            may_replace(Role::Dataset, Found::OtherDir, true, f).unwrap_err(),
            "is not a GenVarLoader dataset (no metadata.json); not replacing it"
        );
        assert_eq!(
            may_replace(Role::Track, Found::File, true, f).unwrap_err(),
            "exists and is not a directory; not replacing it"
        );
    }
}
