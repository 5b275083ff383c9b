//! Helpers of `tests/dataset.rs` and `tests/dataset_output.rs`: tables, CLI runs and
//! fixture datasets.

use super::gvl::*;
use super::*;
use std::path::{Path, PathBuf};
use std::process::Output;

/// GenVarLoader 0.43.1's datasets (format 2, the default).
pub fn gvl_dir() -> PathBuf {
    data().join("gvl2")
}

pub fn bigwig(name: &str) -> PathBuf {
    gvl_dir().join("bigwig").join(name)
}

pub fn run(args: &[String]) -> Output {
    bin().arg("dataset").args(args).output().unwrap()
}

/// Run a dataset expected to fail (in `cwd`); check the contract (one `error:` line, exit 1,
/// no panic, `cwd` and the `--out` parent unchanged) and return the line.
pub fn fail(cwd: &Path, args: &[String]) -> String {
    let out = args
        .iter()
        .position(|a| a == "--out")
        .map(|i| cwd.join(&args[i + 1]));
    let parent = out.as_ref().and_then(|o| o.parent().map(Path::to_path_buf));
    let listing = |d: &Option<PathBuf>| {
        d.as_ref()
            .filter(|d| d.exists())
            .map(|d| walk(d, true))
            .unwrap_or_default()
    };
    let before = (walk(cwd, true), listing(&parent));
    let o = bin()
        .current_dir(cwd)
        .arg("dataset")
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(1), "exit code for: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        (walk(cwd, true), listing(&parent)),
        before,
        "nothing left behind: {stderr}"
    );
    stderr.trim_end().to_string()
}

/// `--regions bed --out out --track sig=tab ...extra`
pub fn args(bed: &Path, out: &str, tracks: &[String], extra: &[&str]) -> Vec<String> {
    let mut a = vec![
        "--regions".to_string(),
        bed.display().to_string(),
        "--out".into(),
        out.into(),
    ];
    for t in tracks {
        a.extend(["--track".to_string(), t.clone()]);
    }
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

pub fn seed_rows() -> Vec<(&'static str, PathBuf)> {
    vec![
        ("tumor", bigwig("seed_0.bw")),
        ("Normal", bigwig("seed_1.bw")),
        ("blood", bigwig("seed_2.bw")),
    ]
}

pub fn rows<'a>(r: &'a [(&'static str, PathBuf)]) -> Vec<(&'static str, &'a Path)> {
    r.iter().map(|(s, p)| (*s, p.as_path())).collect()
}

/// Writes the named_bed6 dataset into `out` with extra arguments; returns the output.
pub fn named_bed6(t: &Path, out: &Path, extra: &[&str]) -> Output {
    let good = table(t, "s.tsv", &rows(&seed_rows()));
    let mut a = args(
        &gvl_dir().join("named_bed6/regions.bed"),
        &out.display().to_string(),
        &[format!("sig={}", good.display())],
        &["--quiet"],
    );
    a.extend(extra.iter().map(|s| s.to_string()));
    run(&a)
}
