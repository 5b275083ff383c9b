//! Who writes a staging directory, and whether it is gone: the owner record beside it
//! ([`Owner`]), what a sweeper found out about it ([`Evidence`]) and the judgement
//! ([`judge`]). No I/O: hosts read the record, its age and `/proc`.

use serde::{Deserialize, Serialize};
use std::time::Duration;

mod json;

/// How often a run touches its owner record.
pub const HEARTBEAT: Duration = Duration::from_secs(10);
/// An owner record untouched this long belongs to a run that stopped (unless the
/// process can be seen alive).
pub const STALE_AFTER: Duration = Duration::from_secs(60);

/// A process's start time (clock ticks since boot) from its `/proc/PID/stat` text: field
/// 22, counted after the command name (field 2), which may hold spaces and parentheses.
pub fn start_time(stat: &str) -> Option<u64> {
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    rest.split(' ').nth(19)?.parse().ok()
}

/// Who writes a staging directory. Its record is JSON as serde_json writes and reads this
/// struct ([`Owner::to_json`], [`Owner::parse`]; the derives are what they are tested against).
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
        json::write(self)
    }
    pub fn parse(bytes: &[u8]) -> Option<Owner> {
        json::read(bytes)
    }

    /// Whether the owner runs on the sweeper's machine, in its pid namespace, where its
    /// pid can be looked up. Never where the machine is unknown (no `/proc`: both ids empty).
    pub fn is_here(&self, here: &Here) -> bool {
        !self.boot_id.is_empty() && self.boot_id == here.boot_id && self.pid_ns == here.pid_ns
    }

    /// The pid whose start time a sweeper on `here` looks up ([`Evidence::start_of_pid`]).
    pub fn local_pid(&self, here: &Here) -> Option<u32> {
        self.is_here(here).then_some(self.pid)
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
    /// asked only when the owner is on this machine and in this pid namespace
    /// ([`Owner::local_pid`]).
    pub start_of_pid: Option<u64>,
    /// Without a record (an older version's directory): whether the process its token
    /// names exists here (`None`: this machine cannot tell).
    pub pid_exists: Option<bool>,
}

/// Whether the run that owns a staging directory is gone. A lock held is alive, and a lock
/// its owner held but nobody holds now is dead (the kernel releases it when the process
/// ends). Otherwise a process seen alive (same machine, same pid namespace, same start
/// time) is alive and one seen gone is dead; otherwise (another machine or container,
/// an owner without locks, a machine without `/proc`) a record touched within
/// [`STALE_AFTER`] is alive. Without a record, the token's pid is all there is: alive
/// while such a process exists, and judged by the directory's age where none can be seen.
pub fn judge(here: &Here, e: &Evidence) -> Liveness {
    match e.locked {
        Some(true) => return Liveness::Alive,
        Some(false) if e.owner.as_ref().is_some_and(|o| o.locks) => return Liveness::Dead,
        _ => {}
    }
    if let Some(o) = &e.owner {
        if o.is_here(here) {
            return if e.start_of_pid == Some(o.start) {
                Liveness::Alive
            } else {
                Liveness::Dead
            };
        }
    } else if let Some(exists) = e.pid_exists {
        return if exists {
            Liveness::Alive
        } else {
            Liveness::Dead
        };
    }
    match e.age {
        Some(age) if age < STALE_AFTER => Liveness::Alive,
        _ => Liveness::Dead,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            pid_exists: None,
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
        // No record (an older version's directory): its pid, or its age where no process
        // can be seen.
        assert_eq!(judge(&h, &ev(None, 10, None, None)), Liveness::Alive);
        assert_eq!(judge(&h, &ev(None, 100, None, None)), Liveness::Dead);
        let legacy = |exists| Evidence {
            pid_exists: Some(exists),
            ..ev(None, 0, None, None)
        };
        assert_eq!(judge(&h, &legacy(false)), Liveness::Dead);
        assert_eq!(
            judge(
                &h,
                &Evidence {
                    age: Some(Duration::from_secs(999)),
                    ..legacy(true)
                }
            ),
            Liveness::Alive
        );
        // A machine without /proc knows neither id: its own records are judged by age,
        // never as "this machine, pid gone".
        let nowhere = Here {
            boot_id: String::new(),
            pid_ns: String::new(),
        };
        let blind = owner("", "", 42, 0);
        assert_eq!(blind.local_pid(&nowhere), None);
        assert_eq!(
            judge(&nowhere, &ev(Some(blind.clone()), 5, None, None)),
            Liveness::Alive
        );
        assert_eq!(
            judge(&nowhere, &ev(Some(blind), 61, None, None)),
            Liveness::Dead
        );
        assert_eq!(me.local_pid(&h), Some(1));
        assert_eq!(owner("b", "pid:[2]", 1, 5).local_pid(&h), None);
    }

    #[test]
    fn start_times_from_proc_stat() {
        let stat = "77 (a) b (c)) S 1 77 77 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 1";
        assert_eq!(start_time(stat), Some(123456));
        assert_eq!(start_time("77 (x"), None);
        assert_eq!(start_time(""), None);
    }
}
