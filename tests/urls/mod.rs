//! Shared by the URL tests (`tests/http*.rs`): the test server, URLs of the bundled
//! files on it, exports into fresh directories and runs of the binary, each bounded in time.
#![allow(dead_code)]

use crate::common::*;
use crate::server::Server;
use bigwig_npy::native::{
    export_locations, read_regions, HttpOptions, Location, Parallel, Traffic,
};
use bigwig_npy::{Format, Layout, Options};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

pub fn server() -> Server {
    Server::start(data())
}

/// `p` relative to `data/`, as the server serves it.
pub fn rel(p: &Path) -> String {
    p.strip_prefix(data())
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

pub fn urls(s: &Server, mode: &str, sources: &[PathBuf]) -> Vec<Location> {
    sources
        .iter()
        .map(|p| Location::Url(s.url(mode, &rel(p))))
        .collect()
}

/// Run `f` on a thread; fail the test if it takes longer than `secs`.
pub fn bounded<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(v) => v,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("did not finish within {secs} s"),
        Err(_) => panic!("failed (see the panic above)"),
    }
}

pub fn options(layout: Layout, format: Format) -> Options {
    Options {
        layout,
        format,
        ..Options::default()
    }
}

/// Export `bed` from `sources` into a fresh directory: its files and the traffic.
pub fn export_to_dir(
    bed: &Path,
    sources: &[Location],
    opts: Options,
) -> (Vec<(String, Vec<u8>)>, Option<Traffic>) {
    let out = tempfile::tempdir().unwrap();
    let (_, traffic) = export_locations(
        read_regions(bed).unwrap(),
        sources,
        out.path(),
        opts,
        Parallel::threads(2),
        HttpOptions::default(),
        None,
    )
    .unwrap();
    (read_dir(out.path()), traffic)
}

pub fn local(sources: &[PathBuf]) -> Vec<Location> {
    sources.iter().map(|p| Location::File(p.clone())).collect()
}

/// `case`'s BED with its lines shuffled, written to `dir`.
pub fn shuffled_bed(bed: &Path, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(bed).unwrap();
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut rng = fastrand::Rng::with_seed(7);
    rng.shuffle(&mut lines);
    let p = dir.join("shuffled.bed");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

/// Run the binary with `args`, killed (and the test failed) after `secs`.
pub fn run(args: &[&str], secs: u64) -> (i32, String, String) {
    let mut child = bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let o = child.wait_with_output().unwrap();
            return (
                status.code().unwrap_or(-1),
                String::from_utf8(o.stdout).unwrap(),
                String::from_utf8(o.stderr).unwrap(),
            );
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("bigwig-npy {args:?} did not finish within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An export from `sources` expected to fail: exit 1, one `error:` line (returned),
/// nothing new in `out`, within `secs`.
pub fn export_fails(bed: &Path, sources: &[String], extra: &[&str], secs: u64) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), b"earlier").unwrap();
    let mut args = vec![
        "export",
        "--regions",
        bed.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args.extend(sources.iter().map(String::as_str));
    let (code, _, stderr) = run(&args, secs);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with("error: ") && !stderr.contains("panicked"),
        "{stderr}"
    );
    let left: Vec<String> = read_dir(&out).into_iter().map(|f| f.0).collect();
    assert_eq!(left, ["keep.txt"], "nothing half-written: {stderr}");
    stderr.trim_end().to_string()
}

/// Every file under `dir` (relative path, bytes), sorted.
pub fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}
