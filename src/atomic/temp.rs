//! Export output files (`export`, `exportTrackToDir`, a dataset's tracks in its staging
//! directory) are written beside their targets under temporary names and renamed into
//! place at the end. The names, for both hosts, and which entries of a directory are such
//! files left by a run, and whose. A run is `<pid>` (the CLI) or `<pid>-<tag>` (the npm
//! package: several exports share one process); a later export removes what a run whose
//! process is gone left, whichever host wrote it.

use crate::layout::Layout;

const SPILL: &str = ".bigwig-npy-spill-";

/// The temporary name of output file `name` for `run`.
pub fn temp_name(name: &str, run: &str) -> String {
    format!(".{name}.partial-{run}")
}

/// The scratch file of `run`'s genome-order output (buckets spilled past the budget).
pub fn spill_name(run: &str) -> String {
    format!("{SPILL}{run}")
}

/// The process id of the run that left `entry`, when it is an export's temporary output
/// file (`.<output file>.partial-<pid>[-<tag>]`) or scratch file
/// (`.bigwig-npy-spill-<pid>[-<tag>]`) of either host; nothing for any other name (a
/// user's `.notes.partial-5` is not ours).
pub fn leftover_pid(entry: &str) -> Option<u32> {
    let rest = [Layout::Aos, Layout::Soa]
        .iter()
        .flat_map(|l| l.files())
        .find_map(|f| entry.strip_prefix(&temp_name(f.name, "")))
        .or_else(|| entry.strip_prefix(SPILL))?;
    let (pid, tag) = match rest.split_once('-') {
        Some((pid, tag)) => (pid, Some(tag)),
        None => (rest, None),
    };
    let tag_ok = tag.is_none_or(|t| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    let pid_ok = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    (tag_ok && pid_ok)
        .then(|| pid.parse().ok())
        .flatten()
        .filter(|&p| p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_hosts_leftovers_are_known_and_nothing_else() {
        assert_eq!(temp_name("offsets.npy", "12"), ".offsets.npy.partial-12");
        assert_eq!(spill_name("12-a1b2"), ".bigwig-npy-spill-12-a1b2");
        for (entry, pid) in [
            (".intervals.npy.partial-12", Some(12)),
            (".values.npy.partial-4194305-abc123", Some(4194305)),
            (".bigwig-npy-spill-7", Some(7)),
            (".bigwig-npy-spill-7-q1w2e3", Some(7)),
            (".notes.partial-5", None),
            ("intervals.npy.partial-5", None),
            (".intervals.npy.partial-", None),
            (".intervals.npy.partial-0", None),
            (".intervals.npy.partial-12-", None),
            (".intervals.npy.partial-12-ABC", None),
            (".intervals.npy.partial-x12", None),
            (".intervals.npy.partial-99999999999", None),
            (".bigwig-npy-spill-", None),
            (".d.gvl.partial-12", None),
        ] {
            assert_eq!(leftover_pid(entry), pid, "{entry}");
        }
    }
}
