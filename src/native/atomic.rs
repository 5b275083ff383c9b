//! The native host of atomic output ([`crate::atomic`] owns the names and rules): staging
//! directories with an owner record (locked and touched every heartbeat while the run
//! lives), commits that look at what they replace at the moment they replace it, and
//! sweeps of what dead runs left. Errors name the target the user chose, never a staging
//! path ([`Staging::shown`]).

use super::output::{missing_ancestors, partial};
pub(crate) use super::sweep::sweep;
use super::{io_reason, write_error};
use crate::atomic::{
    aside_token, busy, changed_under_us, may_replace, start_time, token, Found, Here, Kind, Owner,
    Role, HEARTBEAT,
};
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};
use std::time::SystemTime;

/// A directory being written for `target`.
pub(crate) struct Staging {
    pub dir: PathBuf,
    target: PathBuf,
    role: Role,
    token: String,
    owner: PathBuf,
    /// Held for the life of the run: a sweeper that can take it knows the run is gone.
    _lock: Option<File>,
    /// Parent directories created for it, deepest first: removed again if it fails.
    created: Vec<PathBuf>,
    committed: bool,
}

/// `(parent, file name)` of a target, the parent "." for a bare name.
pub(crate) fn split_target(out: &Path) -> Result<(PathBuf, String)> {
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty() && *n != "..")
        .ok_or_else(|| {
            Error::Output(format!(
                "{}: the output needs a directory name",
                out.display()
            ))
        })?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name.to_string()))
}

/// What this machine is, for owner records and for judging them.
pub(super) fn here() -> Here {
    let boot_id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let pid_ns = std::fs::read_link("/proc/self/ns/pid")
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    Here { boot_id, pid_ns }
}

/// A process's start time (clock ticks since boot), `None` if there is no such process.
pub(super) fn start_of(pid: &str) -> Option<u64> {
    start_time(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// A token no other run has: pid and 32 random bits.
pub(super) fn new_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    token(std::process::id(), h.finish() as u32)
}

/// Owner records this process touches every heartbeat.
static HEARTBEATS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn beat(owner: &Path, on: bool) {
    let mut list = HEARTBEATS.lock().unwrap_or_else(|p| p.into_inner());
    if on {
        list.push(owner.to_path_buf());
    } else {
        list.retain(|p| p != owner);
    }
    static START: Once = Once::new();
    START.call_once(|| {
        let _ = std::thread::Builder::new()
            .name("heartbeat".into())
            .spawn(|| loop {
                std::thread::sleep(HEARTBEAT);
                let list = HEARTBEATS.lock().unwrap_or_else(|p| p.into_inner()).clone();
                for p in list {
                    if let Ok(f) = File::options().write(true).open(&p) {
                        let _ = f.set_modified(SystemTime::now());
                    }
                }
            });
    });
}

impl Staging {
    /// A new staging directory for `target` (its parents created as needed), after sweeping
    /// what dead runs left next to it.
    pub fn create(target: &Path, role: Role) -> Result<Staging> {
        let (parent, name) = split_target(target)?;
        let created = missing_ancestors(&parent);
        partial().paths.extend(created.iter().rev().cloned());
        let fail = |p: &Path, e| write_error(p, e);
        if let Err(e) = std::fs::create_dir_all(&parent) {
            drop_created(&created);
            return Err(fail(&parent, e));
        }
        sweep(&parent, role);
        let token = new_token();
        let dir = parent.join(role.name(Kind::Staging, &name, &token));
        let owner = parent.join(role.owner_name(&name, &token));
        {
            let mut reg = partial();
            reg.paths.push(owner.clone());
            reg.trees.push(dir.clone());
        }
        let mut me = Staging {
            dir: dir.clone(),
            target: target.to_path_buf(),
            role,
            token,
            owner: owner.clone(),
            _lock: None,
            created,
            committed: false,
        };
        let here = here();
        // The record first (a directory without one looks like an older version's), locked
        // before it is written: a sweeper never sees it unlocked while this run lives.
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&owner)
            .map_err(|e| fail(target, e))?;
        let locks = file.try_lock().is_ok();
        let record = Owner {
            boot_id: here.boot_id,
            pid_ns: here.pid_ns,
            pid: std::process::id(),
            start: start_of("self").unwrap_or(0),
            tool: crate::dataset::metadata::written_by(),
            locks,
        };
        (&file)
            .write_all(&record.to_json())
            .map_err(|e| fail(target, e))?;
        me._lock = Some(file);
        beat(&owner, true);
        std::fs::create_dir(&dir).map_err(|e| fail(target, e))?;
        Ok(me)
    }

    /// How messages name `p`, a path in the staging directory: as under the target.
    pub fn shown(&self, p: &Path) -> PathBuf {
        match p.strip_prefix(&self.dir) {
            Ok(rel) if rel.as_os_str().is_empty() => self.target.clone(),
            Ok(rel) => self.target.join(rel),
            Err(_) => p.to_path_buf(),
        }
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Write the file `name` (relative to the directory) with `data`; its size.
    pub fn put(&self, name: &str, data: &[u8]) -> Result<u64> {
        let p = self.dir.join(name);
        std::fs::write(&p, data).map_err(|e| write_error(&self.shown(&p), e))?;
        Ok(data.len() as u64)
    }

    fn unregister(&self) {
        beat(&self.owner, false);
        let mut reg = partial();
        reg.trees.retain(|t| *t != self.dir);
        reg.paths
            .retain(|p| !self.created.contains(p) && *p != self.owner);
    }
}

fn drop_created(created: &[PathBuf]) {
    // Only empty directories go; anything else someone put there stays.
    for d in created {
        let _ = std::fs::remove_dir(d);
    }
    partial().paths.retain(|p| !created.contains(p));
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.owner);
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
            for d in &self.created {
                let _ = std::fs::remove_dir(d);
            }
        }
        self.unregister();
    }
}

/// What is at `p` now. Another run may move what is there while it is looked at (to set
/// it aside, or its own output in): the directory is listed once, and looked at again
/// when it went meanwhile, so a moment's absence is never taken for the user's directory.
fn inspect(p: &Path, role: Role) -> Found {
    let gone =
        |e: &std::io::Error| matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory);
    for _ in 0..8 {
        let Ok(meta) = std::fs::symlink_metadata(p) else {
            return Found::Missing;
        };
        if !meta.is_dir() {
            return Found::File;
        }
        let names: Vec<_> = match std::fs::read_dir(p) {
            Ok(d) => d.flatten().map(|e| e.file_name()).collect(),
            Err(e) if gone(&e) => continue,
            Err(_) => return Found::OtherDir,
        };
        if names.is_empty() {
            return Found::EmptyDir;
        }
        if !names.iter().any(|n| *n == role.marker()) {
            return Found::OtherDir;
        }
        match std::fs::metadata(p.join(role.marker())) {
            Ok(m) if m.is_file() => return Found::Ours,
            Err(e) if gone(&e) => continue,
            _ => return Found::OtherDir,
        }
    }
    Found::OtherDir
}

/// Before any work: what dead runs left next to the target is swept (a target one of them
/// had set aside is put back), then whether the target may be replaced (`flag` names the
/// overwrite switch).
pub(crate) fn check_target(target: &Path, role: Role, overwrite: bool, flag: &str) -> Result<()> {
    if let Ok((parent, _)) = split_target(target) {
        sweep(&parent, role);
    }
    may_replace(role, inspect(target, role), overwrite, flag)
        .map_err(|why| Error::Output(format!("{}: {why}", target.display())))
}

/// Move every staged directory into place: all of them, or (when one cannot be) none, with
/// every target as it was. What is at a target is looked at when it is moved aside, and
/// replaced only if it may be then.
pub(crate) fn commit_all(mut staged: Vec<Staging>, overwrite: bool, flag: &str) -> Result<()> {
    // Held while renaming: a signal never splits a commit.
    let mut reg = partial();
    let mut done: Vec<(usize, Option<PathBuf>)> = Vec::new();
    let mut failure = None;
    for (k, s) in staged.iter().enumerate() {
        match place(s, overwrite, flag) {
            Ok(aside) => {
                if let Some(a) = &aside {
                    reg.trees.push(a.clone());
                }
                done.push((k, aside));
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    if let Some(e) = failure {
        // Put back what was moved, newest first: the targets stay as they were.
        for (k, aside) in done.into_iter().rev() {
            let s = &staged[k];
            if std::fs::rename(&s.target, &s.dir).is_ok() {
                if let Some(old) = aside {
                    if std::fs::rename(&old, &s.target).is_ok() {
                        reg.trees.retain(|t| *t != old);
                    }
                }
            }
        }
        return Err(e);
    }
    let mut asides = Vec::new();
    for (k, aside) in done {
        let s = &mut staged[k];
        s.committed = true;
        let dir = s.dir.clone();
        reg.trees.retain(|t| *t != dir);
        reg.paths.retain(|p| !s.created.contains(p));
        asides.extend(aside);
    }
    drop(reg);
    for old in asides {
        let _ = std::fs::remove_dir_all(&old);
        partial().trees.retain(|t| *t != old);
    }
    Ok(())
}

/// Whether a rename failed because something was at its destination.
fn occupied(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::DirectoryNotEmpty
            | ErrorKind::AlreadyExists
            | ErrorKind::NotADirectory
            | ErrorKind::IsADirectory
    )
}

/// Move one staged directory into place; returns where the old target went. Another run
/// committing to the same target at the same moment makes this try again (the last one
/// wins, whole), a bounded number of times.
fn place(s: &Staging, overwrite: bool, flag: &str) -> Result<Option<PathBuf>> {
    let out = &s.target;
    let what = match s.role {
        Role::Dataset => "dataset",
        Role::Track => "track",
    };
    let moved = |e: std::io::Error| {
        Error::Output(format!(
            "{}: cannot move the {what} into place: {}",
            out.display(),
            io_reason(&e)
        ))
    };
    // It was checked when the run started: a refusal now means it changed since.
    let refuse = |why: String| Error::Output(changed_under_us(&out.display().to_string(), &why));
    let (parent, name) = split_target(out)?;
    // Everything set aside so far; the first is what was there when the commit began.
    let mut asides: Vec<PathBuf> = Vec::new();
    let give_up = |asides: &[PathBuf], e: Error| {
        // The newest goes back if the target is free; older ones were other runs' whole
        // datasets that a later commit replaced anyway.
        if let Some((last, older)) = asides.split_last() {
            let _ = std::fs::rename(last, out);
            for a in older {
                let _ = std::fs::remove_dir_all(a);
            }
        }
        Err(e)
    };
    for attempt in 0..64u32 {
        let found = inspect(out, s.role);
        if let Err(why) = may_replace(s.role, found, overwrite, flag) {
            return give_up(&asides, refuse(why));
        }
        if found != Found::Missing {
            let old = parent.join(
                s.role
                    .name(Kind::Aside, &name, &aside_token(&s.token, attempt)),
            );
            match std::fs::rename(out, &old) {
                Ok(()) => {
                    // What was moved is what gets replaced: it must be replaceable now.
                    if let Err(why) = may_replace(s.role, inspect(&old, s.role), overwrite, flag) {
                        let back = std::fs::rename(&old, out);
                        let mut msg = changed_under_us(&out.display().to_string(), &why);
                        if back.is_err() {
                            msg.push_str(&format!("; it is at {} now", old.display()));
                        }
                        return give_up(&asides, Error::Output(msg));
                    }
                    asides.push(old);
                }
                // Gone since we looked: nothing to set aside.
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return give_up(&asides, moved(e)),
            }
        }
        match std::fs::rename(&s.dir, out) {
            Ok(()) => {
                let mut asides = asides.into_iter();
                let first = asides.next();
                for a in asides {
                    let _ = std::fs::remove_dir_all(a);
                }
                return Ok(first);
            }
            // Something is at the target (a rename never replaces a directory that is not
            // empty): another run's output landed in between, and may have been set aside
            // again since. Look again: go on if it may be replaced now.
            Err(e) if occupied(&e) => {
                if let Err(why) = may_replace(s.role, inspect(out, s.role), overwrite, flag) {
                    return give_up(&asides, refuse(why));
                }
            }
            Err(e) => return give_up(&asides, moved(e)),
        }
    }
    give_up(&asides, Error::Output(busy(&out.display().to_string())))
}
