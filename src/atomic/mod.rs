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

mod owner;
pub mod temp;

pub use owner::{judge, start_time, Evidence, Here, Liveness, Owner, HEARTBEAT, STALE_AFTER};

use crate::error::shown;

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

    /// The file whose presence makes a directory one of the kind written ([`Found::Ours`]).
    pub fn marker(self) -> &'static str {
        match self {
            Role::Dataset => "metadata.json",
            Role::Track => "offsets.npy",
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

/// A run's token: its pid and 32 random bits, as hex of a fixed width (so that no run's
/// token is the start of another's: see [`run_of_aside`]).
pub fn token(pid: u32, random: u32) -> String {
    format!("{pid}-{random:08x}")
}

/// The token of the `attempt`-th target run `run` sets aside while committing (another
/// run's output may land and be set aside in turn).
pub fn aside_token(run: &str, attempt: u32) -> String {
    format!("{run}{attempt:x}")
}

/// The run that set aside an entry whose token is `aside`, among `runs` (the tokens of the
/// owner records of the same target): the one whose token `aside` extends with an attempt
/// number. `None` when none is left, or for an older version's (without records).
pub fn run_of_aside<'a>(aside: &str, runs: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    runs.into_iter().find(|run| {
        aside
            .strip_prefix(run)
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_hexdigit()))
    })
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

/// The message when other runs kept committing to the same target while this one tried
/// to (a bounded number of times).
pub fn busy(target: &str) -> String {
    format!(
        "{}: another run is writing it at the same time and kept replacing it; not replaced",
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

    #[test]
    fn tokens_and_asides() {
        let run = token(42, 0xab);
        assert_eq!(run, "42-000000ab");
        let aside = aside_token(&run, 17);
        assert_eq!(
            Role::Dataset.parse(&Role::Dataset.name(Kind::Aside, "x.gvl", &aside)),
            Some((Kind::Aside, "x.gvl", aside.as_str()))
        );
        let other = token(4, 0x2000_00ab);
        assert_eq!(
            run_of_aside(&aside, [other.as_str(), run.as_str()]),
            Some(run.as_str())
        );
        assert_eq!(run_of_aside(&aside, [other.as_str()]), None);
        // Another pid that starts with this one's digits is another run.
        assert_eq!(
            run_of_aside(&aside_token(&token(421, 0xab), 0), [run.as_str()]),
            None
        );
        assert_eq!(Role::Dataset.marker(), "metadata.json");
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
