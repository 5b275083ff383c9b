//! Sweeping what dead runs left next to a target ([`crate::atomic`] decides who is dead):
//! staging directories and their owner records, targets set aside mid-commit (put back
//! when their run died before replacing them), and sweepers' claims.

use super::atomic::{here, new_token, start_of};
use crate::atomic::{judge, run_of_aside, token_pid, Evidence, Kind, Liveness, Owner, Role};
use std::fs::File;
use std::path::Path;

/// Whether `pid` names a process here (`None` without `/proc`).
fn pid_exists(pid: u32) -> Option<bool> {
    Path::new("/proc/self")
        .exists()
        .then(|| Path::new("/proc").join(pid.to_string()).exists())
}

/// How long since `p` was last modified.
fn age(p: &Path) -> Option<std::time::Duration> {
    std::fs::metadata(p)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
}

/// Remove what dead runs left in `parent` (staging directories, owner records, set-aside
/// targets), putting a set-aside target back where its run died before replacing it.
pub(crate) fn sweep(parent: &Path, role: Role) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let names: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    let here = here();
    // Whether run `token` (writing target `name`; `entry` is what it left) is gone.
    let dead = |name: &str, token: &str, entry: &str| -> bool {
        let owner = parent.join(role.owner_name(name, token));
        let mut ev = Evidence::default();
        match std::fs::read(&owner) {
            Ok(bytes) => {
                ev.owner = Owner::parse(&bytes);
                ev.age = age(&owner);
                ev.locked = File::open(&owner).ok().and_then(|f| match f.try_lock() {
                    Ok(()) => Some(false),
                    Err(std::fs::TryLockError::WouldBlock) => Some(true),
                    Err(_) => None,
                });
                if let Some(pid) = ev.owner.as_ref().and_then(|o| o.local_pid(&here)) {
                    ev.start_of_pid = start_of(&pid.to_string());
                }
            }
            // No record: an older version's entry, whose pid is all there is.
            Err(_) => {
                ev.age = age(&parent.join(entry));
                ev.pid_exists = token_pid(token).and_then(pid_exists);
            }
        }
        judge(&here, &ev) == Liveness::Dead
    };
    // Claim, then remove: a paused owner can never move a half-removed directory.
    let remove = |entry: &str, name: &str| {
        let claimed = parent.join(role.name(Kind::Stale, name, &new_token()));
        if std::fs::rename(parent.join(entry), &claimed).is_ok() {
            let _ = std::fs::remove_dir_all(&claimed);
        }
    };
    // Set-aside targets first: their run's owner record says whose they are, and the
    // staging pass below removes dead runs' records.
    let runs: Vec<(&str, &str)> = names.iter().filter_map(|e| role.parse_owner(e)).collect();
    for entry in &names {
        if let Some((Kind::Aside, name, token)) = role.parse(entry) {
            let mine = runs.iter().filter(|(n, _)| *n == name).map(|(_, t)| *t);
            let run = run_of_aside(token, mine).unwrap_or(token);
            if !dead(name, run, entry) {
                continue;
            }
            let target = parent.join(name);
            // Its run died between moving the old target aside and moving the new one in:
            // the old one goes back.
            if !target.exists() && std::fs::rename(parent.join(entry), &target).is_ok() {
                continue;
            }
            remove(entry, name);
        }
    }
    for entry in &names {
        match role.parse(entry) {
            Some((Kind::Stale, ..)) => {
                let _ = std::fs::remove_dir_all(parent.join(entry));
            }
            Some((Kind::Staging, name, token)) if dead(name, token, entry) => {
                remove(entry, name);
                let _ = std::fs::remove_file(parent.join(role.owner_name(name, token)));
            }
            _ => {}
        }
    }
    for (name, token) in runs {
        let staging = role.name(Kind::Staging, name, token);
        if !parent.join(&staging).exists() && dead(name, token, &staging) {
            let _ = std::fs::remove_file(parent.join(role.owner_name(name, token)));
        }
    }
}
