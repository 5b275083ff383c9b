//! Helpers of `tests/update_concat.rs` and `tests/concat.rs`: CLI runs, tables and
//! datasets of the gvl2 fixtures.

use super::gvl::*;
use super::*;
use bigwig_npy::dataset::npy::parse_regions_npy;
use std::path::{Path, PathBuf};
use std::process::Output;

pub fn gvl2() -> PathBuf {
    data().join("gvl2")
}

pub fn bw(name: &str) -> PathBuf {
    gvl2().join("bigwig").join(name)
}

pub fn cmd(args: &[&str], paths: &[&Path]) -> Output {
    let mut c = bin();
    c.args(args);
    for p in paths {
        c.arg(p);
    }
    c.output().unwrap()
}

pub fn ok(o: Output) -> String {
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(o.status.success(), "{err}");
    err
}

/// A failing command: one `error:` line, exit 1, and `keep` (directories) unchanged.
pub fn fails(args: &[String], keep: &[&Path]) -> String {
    let snapshot = |d: &Path| -> Vec<(String, Vec<u8>)> {
        if !d.exists() {
            return Vec::new();
        }
        walk(d, true)
            .into_iter()
            .map(|f| {
                let p = d.join(&f);
                let bytes = if p.is_file() {
                    std::fs::read(&p).unwrap()
                } else {
                    Vec::new()
                };
                (f, bytes)
            })
            .collect()
    };
    let before: Vec<_> = keep.iter().map(|d| snapshot(d)).collect();
    let o = bin().args(args).output().unwrap();
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(1), "exit code for: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with("error: ") && !stderr.contains("panicked"),
        "{stderr}"
    );
    let after: Vec<_> = keep.iter().map(|d| snapshot(d)).collect();
    assert!(before == after, "changed by a failing run: {stderr}");
    stderr.trim_end().to_string()
}

pub fn s(p: &Path) -> String {
    p.display().to_string()
}

/// The per-sample tables of natsort_two_tracks (pos, neg) in `t`.
pub fn syn_tables(t: &Path) -> (PathBuf, PathBuf) {
    let rows = |prefix: &str| -> Vec<(String, PathBuf)> {
        ["s10", "s2", "A"]
            .iter()
            .map(|n| (n.to_string(), bw(&format!("{prefix}_{n}.bw"))))
            .collect()
    };
    let tab = |name: &str, r: Vec<(String, PathBuf)>| {
        let r: Vec<(&str, &Path)> = r.iter().map(|(s, p)| (s.as_str(), p.as_path())).collect();
        table(t, name, &r)
    };
    (tab("pos.tsv", rows("syn")), tab("neg.tsv", rows("neg")))
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in files_under(from) {
        let d = to.join(&f);
        std::fs::create_dir_all(d.parent().unwrap()).unwrap();
        std::fs::copy(from.join(&f), d).unwrap();
    }
}

/// Track files byte for byte, regions.npy by value (gvl.write saves it in Fortran order,
/// gvl.concat in C order), metadata and the Arrow table: what `concat` must equal.
pub fn assert_same_merged(merged: &Path, whole: &Path, what: &str) {
    let files = files_under(whole);
    assert_eq!(files_under(merged), files, "{what}: files");
    for f in &files {
        if f.contains("intervals/") {
            assert!(
                std::fs::read(merged.join(f)).unwrap() == std::fs::read(whole.join(f)).unwrap(),
                "{what}: {f}"
            );
        }
    }
    let rows =
        |d: &Path| parse_regions_npy("r", &std::fs::read(d.join("regions.npy")).unwrap()).unwrap();
    assert_eq!(rows(merged), rows(whole), "{what}: regions.npy");
    let meta = |d: &Path| {
        let mut m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("metadata.json")).unwrap()).unwrap();
        m.as_object_mut().unwrap().remove("written_by");
        m
    };
    assert_eq!(meta(merged), meta(whole), "{what}: metadata.json");
    let (a, b) = (
        read_arrow(&merged.join("input_regions.arrow")),
        read_arrow(&whole.join("input_regions.arrow")),
    );
    assert_eq!(a, b, "{what}: input_regions.arrow");
}

/// A random BED over natsort_two_tracks' contigs (chr1, chr2, chr10, chrX; 5000 bp), with
/// names and strands, no two rows with the same coordinates.
/// The first `cycle` rows go through the contigs in turn.
pub fn random_bed(rng: &mut fastrand::Rng, n: usize, cycle: usize) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    while out.len() < n {
        let k = if out.len() < cycle {
            out.len() % 4
        } else {
            rng.usize(..4)
        };
        let c = ["chr1", "chr2", "chr10", "chrX"][k];
        let start = rng.u32(0..5200);
        let end = start + rng.u32(0..300);
        if seen.insert((c, start, end)) {
            let strand = if rng.bool() { '+' } else { '-' };
            out.push(format!(
                "{c}\t{start}\t{end}\tr{}\t{}\t{strand}",
                out.len(),
                rng.u32(0..1000)
            ));
        }
    }
    out
}
