//! URL sources in the native CLI and library, against a misbehaving 127.0.0.1 server
//! (`tests/server`): every case byte-identical to the local-file export (npy/raw,
//! aos/soa, shuffled regions in genome order, mixed local and URL sources, `info`,
//! `dataset`), then every kind of bad server: one `error:` line naming the URL, nothing left
//! in the output directory, and every run bounded in time.
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod server;

use bigwig_npy::native::{
    export_locations, read_regions, HttpOptions, Location, OutputDir, Parallel, RemoteExport,
    Traffic,
};
use bigwig_npy::{Format, Layout, Options};
use common::*;
use server::Server;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn server() -> Server {
    Server::start(data())
}

/// `p` relative to `data/`, as the server serves it.
fn rel(p: &Path) -> String {
    p.strip_prefix(data())
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

fn urls(s: &Server, mode: &str, sources: &[PathBuf]) -> Vec<Location> {
    sources
        .iter()
        .map(|p| Location::Url(s.url(mode, &rel(p))))
        .collect()
}

/// Run `f` on a thread; fail the test if it takes longer than `secs`.
fn bounded<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
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

fn options(layout: Layout, format: Format) -> Options {
    Options {
        layout,
        format,
        ..Options::default()
    }
}

/// Export `bed` from `sources` into a fresh directory: its files and the traffic.
fn export_to_dir(
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

fn local(sources: &[PathBuf]) -> Vec<Location> {
    sources.iter().map(|p| Location::File(p.clone())).collect()
}

#[test]
fn every_case_over_http_is_byte_identical_to_local_files() {
    let s = server();
    bounded(300, move || {
        for case in all_cases() {
            let opts = options(Layout::Aos, Format::Raw);
            let (want, none) = export_to_dir(&case.regions, &local(&case.sources), opts);
            assert!(none.is_none(), "all-local exports take the parallel driver");
            s.reset();
            let (got, traffic) =
                export_to_dir(&case.regions, &urls(&s, "range", &case.sources), opts);
            assert_eq!(got, want, "{}", case.name);
            assert_eq!(sha256(file(&got, "intervals.npy")), case.intervals_sha256);
            // Counted as the server saw it. Reads are coalesced over small gaps and the
            // first reads rounded up (as the npm package does), so a little is read twice.
            let t = traffic.unwrap();
            let stats = s.stats();
            assert_eq!(
                (t.requests, t.fetched),
                (stats.requests, stats.bytes),
                "{}",
                case.name
            );
            let size: u64 = case
                .sources
                .iter()
                .map(|p| std::fs::metadata(p).unwrap().len())
                .sum();
            assert!(
                t.fetched * 10 <= size * 12,
                "{}: {} bytes of {size}",
                case.name,
                t.fetched
            );
        }
    });
}

/// `case`'s BED with its lines shuffled, written to `dir`.
fn shuffled_bed(bed: &Path, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(bed).unwrap();
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut rng = fastrand::Rng::with_seed(7);
    rng.shuffle(&mut lines);
    let p = dir.join("shuffled.bed");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

#[test]
fn every_layout_and_format_and_genome_order_match_local_files() {
    let s = server();
    bounded(300, move || {
        let tmp = tempfile::tempdir().unwrap();
        for case in all_cases().into_iter().filter(|c| {
            ["seed", "multi_uncompressed_3", "volvox", "cow"].contains(&c.name.as_str())
        }) {
            for layout in [Layout::Aos, Layout::Soa] {
                for format in [Format::Npy, Format::Raw] {
                    let opts = options(layout, format);
                    let (want, _) = export_to_dir(&case.regions, &local(&case.sources), opts);
                    let (got, _) =
                        export_to_dir(&case.regions, &urls(&s, "range", &case.sources), opts);
                    assert_eq!(got, want, "{} {layout:?} {format:?}", case.name);
                }
            }
            // Shuffled regions with nothing cached decode in genome order and are put back
            // in input order, through a scratch file past a tiny staging budget.
            let bed = shuffled_bed(&case.regions, tmp.path());
            let opts = options(Layout::Aos, Format::Npy);
            let (want, _) = export_to_dir(&bed, &local(&case.sources), opts);
            let out = tempfile::tempdir().unwrap();
            let parallel = Parallel {
                block_budget: 0,
                staging_budget: 4096,
                ..Parallel::threads(1)
            };
            let export = RemoteExport::open(
                &urls(&s, "range", &case.sources),
                read_regions(&bed).unwrap(),
                opts,
                HttpOptions::default(),
                &parallel,
            )
            .unwrap();
            let mut dir = OutputDir::create(out.path(), opts.layout, opts.format).unwrap();
            let pool = parallel.pool().unwrap();
            export.run(&mut dir, &pool, None).unwrap();
            dir.commit().unwrap();
            assert_eq!(read_dir(out.path()), want, "{} shuffled", case.name);
        }
    });
}

#[test]
fn mixed_sources_redirects_whole_files_short_bodies_and_retries_give_the_same_bytes() {
    let s = server();
    bounded(300, move || {
        let case = all_cases().into_iter().find(|c| c.name == "seed").unwrap();
        let opts = options(Layout::Aos, Format::Raw);
        let (want, _) = export_to_dir(&case.regions, &local(&case.sources), opts);
        // Half files, half URLs.
        let mixed: Vec<Location> = case
            .sources
            .iter()
            .enumerate()
            .map(|(i, p)| match i % 2 {
                0 => Location::File(p.clone()),
                _ => Location::Url(s.url("range", &rel(p))),
            })
            .collect();
        assert_eq!(export_to_dir(&case.regions, &mixed, opts).0, want, "mixed");
        for mode in ["redirect", "whole", "cap", "flaky"] {
            s.reset();
            let (got, t) = export_to_dir(&case.regions, &urls(&s, mode, &case.sources), opts);
            assert_eq!(got, want, "{mode}");
            let t = t.unwrap();
            if mode == "whole" {
                // A server ignoring Range is read once per file, whole.
                assert_eq!(t.requests, case.sources.len() as u64);
            }
            if mode == "cap" {
                // 4 KiB bodies: continued from where they stopped, each byte asked once.
                let size: u64 = case
                    .sources
                    .iter()
                    .map(|p| std::fs::metadata(p).unwrap().len())
                    .sum();
                assert!(t.fetched * 10 <= size * 12, "{} bytes of {size}", t.fetched);
                assert!(
                    t.requests <= 100 + 12 * size.div_ceil(4096) / 10,
                    "{} requests",
                    t.requests
                );
            }
        }
    });
}

/// Run the binary with `args`, killed (and the test failed) after `secs`.
fn run(args: &[&str], secs: u64) -> (i32, String, String) {
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
fn export_fails(bed: &Path, sources: &[String], extra: &[&str], secs: u64) -> String {
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

#[test]
fn bad_servers_end_in_one_line_naming_the_url() {
    let s = server();
    let all = all_cases();
    let volvox = all.iter().find(|c| c.name == "volvox").unwrap();
    let seed = all.iter().find(|c| c.name == "seed").unwrap();
    let missing = s.url("range", "bigwig/nope.bw");
    assert_eq!(
        export_fails(&volvox.regions, std::slice::from_ref(&missing), &[], 20),
        format!("error: {missing}: HTTP 404 Not Found")
    );
    // (mode, query, extra flags, the message after the URL; `...` ends a prefix)
    let cases: &[(&str, &str, &[&str], &str)] = &[
        ("lie", "", &[], "bad Content-Range 'bytes 1-4095/213750' for bytes 0-4095"),
        ("endless", "", &["--whole-file-limit", "1M"], "the server ignores HTTP range requests and the file is over the 1048576-byte limit for reading it whole"),
        ("long", "", &[], "the response is longer than its Content-Range says (bytes 0-4095)"),
        ("loop", "", &[], "too many redirects (more than 5)"),
        ("busy", "", &[], "HTTP 503 Service Unavailable (3 attempts)"),
        ("drop", "", &[], "network error: ..."),
        ("stall", "", &["--timeout", "0.3"], "timed out: no data for 300 ms (3 attempts)"),
        ("stallbody", "", &["--timeout", "0.3"], "timed out: no data for 300 ms (3 attempts)"),
        ("swap", "?after=1", &[], "changed while reading (ETag \"v1\", now \"v2\")"),
        ("swap", "?after=1&v=lm", &[], "changed while reading (Last-Modified Mon, 01 Jan 2024 00:00:00 GMT, now Mon, 02 Jan 2024 00:00:00 GMT)"),
        ("whole", "", &["--whole-file-limit", "100K"], "the server ignores HTTP range requests and the file is 213750 bytes, over the 102400-byte limit for reading it whole"),
        ("cap", "?cap=100", &[], "the server keeps sending short responses (12 requests for bytes 0-4095, 1200 bytes received)"),
    ];
    for &(mode, query, extra, want) in cases {
        s.reset();
        let url = format!("{}{query}", s.url(mode, &rel(&volvox.sources[0])));
        let line = export_fails(&volvox.regions, std::slice::from_ref(&url), extra, 20);
        let expected = format!("error: {url}: {want}");
        match expected.strip_suffix("...") {
            Some(prefix) => assert!(line.starts_with(prefix), "{mode}: {line}"),
            None => assert_eq!(line, expected, "{mode}"),
        }
        // Bounded: retries and continuations, not loops.
        assert!(
            s.stats().requests <= 40,
            "{mode}: {} requests",
            s.stats().requests
        );
    }
    // No server, or no URL at all: retried, then named; a malformed URL is not retried.
    let refused = "http://127.0.0.1:1/a.bw".to_string();
    let line = export_fails(&volvox.regions, std::slice::from_ref(&refused), &[], 20);
    assert!(
        line.starts_with(&format!("error: {refused}: network error: "))
            && line.ends_with(" (3 attempts)"),
        "{line}"
    );
    let bad = "http://[::1/a.bw".to_string();
    let line = export_fails(&volvox.regions, std::slice::from_ref(&bad), &[], 20);
    assert!(
        line.starts_with(&format!("error: {bad}: not a valid URL: ")),
        "{line}"
    );
    // A Content-Range total past the end: the read there is refused, not looped on.
    let urls: Vec<String> = seed
        .sources
        .iter()
        .map(|p| s.url("bigtotal", &rel(p)))
        .collect();
    let line = export_fails(&seed.regions, &urls, &[], 20);
    assert!(
        line.contains(": the server said the file has ")
            && line.contains(" bytes, then answered HTTP 416 for bytes "),
        "{line}"
    );
    // One failing source among good ones names that one.
    let mut mixed: Vec<String> = seed
        .sources
        .iter()
        .map(|p| s.url("range", &rel(p)))
        .collect();
    mixed[3] = s.url("range", "seed/nope.bw");
    let line = export_fails(&seed.regions, &mixed, &[], 20);
    assert_eq!(line, format!("error: {}: HTTP 404 Not Found", mixed[3]));
}

#[test]
fn a_range_answer_announcing_64_mib_more_is_read_as_asked_and_the_rest_dropped() {
    let s = server();
    bounded(60, move || {
        let case = all_cases()
            .into_iter()
            .find(|c| c.name == "volvox")
            .unwrap();
        let opts = options(Layout::Aos, Format::Raw);
        let (want, _) = export_to_dir(&case.regions, &local(&case.sources), opts);
        let (got, t) = export_to_dir(&case.regions, &urls(&s, "overlong", &case.sources), opts);
        assert_eq!(got, want);
        // The connection is dropped, not drained: what was sent is what socket buffers
        // took, far from 64 MiB a request.
        let (t, sent) = (t.unwrap(), s.stats().bytes);
        assert!(
            sent < t.requests * (16 << 20),
            "{sent} bytes sent in {} requests",
            t.requests
        );
    });
}

#[test]
fn info_on_a_url_says_what_it_says_on_the_file() {
    let s = server();
    for name in ["volvox.bw", "cow.bw", "uncompressed.bw"] {
        let path = data().join("bigwig").join(name);
        let url = s.url("range", &rel(&path));
        let (code, want, err) = run(&["info", path.to_str().unwrap()], 20);
        assert_eq!(code, 0, "{err}");
        let (code, got, err) = run(&["info", &url], 20);
        assert_eq!(code, 0, "{err}");
        let file_line = |t: &str| t.lines().next().unwrap().to_string();
        assert_eq!(file_line(&got), format!("file: {url}"));
        // The same but the file line, and records (counting them would read every block).
        let rest = |t: &str| -> Vec<String> {
            t.lines()
                .skip(1)
                .filter(|l| !l.starts_with("records: "))
                .map(String::from)
                .collect()
        };
        assert_eq!(rest(&got), rest(&want), "{name}");
        assert!(got.contains("records: not counted"), "{got}");
        assert!(want
            .lines()
            .any(|l| l.starts_with("records: ") && l[9..].parse::<u64>().is_ok()));
    }
    let missing = s.url("range", "bigwig/nope.bw");
    let (code, out, err) = run(&["info", &missing], 20);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err.trim_end(),
        format!("error: {missing}: HTTP 404 Not Found")
    );
}

#[test]
fn dataset_with_url_tables_matches_local_tables() {
    let s = server();
    let seed = all_cases().into_iter().find(|c| c.name == "seed").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let table = |name: &str, paths: Vec<String>| {
        let mut text = "sample,path\n".to_string();
        for (i, p) in paths.iter().enumerate() {
            text.push_str(&format!("s{i},{p}\n"));
        }
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let local = table(
        "local.csv",
        seed.sources
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
    );
    let remote = table(
        "remote.csv",
        seed.sources
            .iter()
            .map(|p| s.url("range", &rel(p)))
            .collect(),
    );
    let dataset = |out: &Path, t: &Path, annot: &str, secs| {
        let track = format!("sig={}", t.display());
        let annot = format!("cons={annot}");
        let args = [
            "dataset",
            "--regions",
            seed.regions.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--track",
            &track,
            "--annot",
            &annot,
            "-q",
        ];
        run(&args, secs)
    };
    let write = |out: &Path, t: &Path, annot: &str| {
        let (code, _, err) = dataset(out, t, annot, 60);
        assert_eq!(code, 0, "{err}");
    };
    let (a, b) = (tmp.path().join("a.gvl"), tmp.path().join("b.gvl"));
    // The annotation track from a file, and from a URL.
    write(&a, &local, seed.sources[3].to_str().unwrap());
    write(&b, &remote, &s.url("range", &rel(&seed.sources[3])));
    assert!(a.join("annot_intervals/cons/values.npy").is_file());
    let (ta, tb) = (tree(&a), tree(&b));
    assert_eq!(
        ta.iter().map(|f| &f.0).collect::<Vec<_>>(),
        tb.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((f, x), (_, y)) in ta.iter().zip(&tb) {
        assert!(x == y, "{}: {} vs {} bytes", f.display(), x.len(), y.len());
    }
    // A bad row is named by its table line.
    let bad = table("bad.csv", vec![s.url("range", "seed/nope.bw")]);
    let out = tmp.path().join("c.gvl");
    let (code, _, err) = dataset(&out, &bad, seed.sources[3].to_str().unwrap(), 20);
    assert_eq!(code, 1);
    assert_eq!(
        err.trim_end(),
        format!(
            "error: {} line 2 (sample 's0'): {}: HTTP 404 Not Found",
            bad.display(),
            s.url("range", "seed/nope.bw")
        )
    );
    assert!(!out.exists());
}

/// Every file under `dir` (relative path, bytes), sorted.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
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

#[test]
fn headers_go_with_every_request_and_authorization_through_same_host_redirects() {
    let s = server();
    let tmp = tempfile::tempdir().unwrap();
    let bed = data().join("seed/regions.bed");
    let files: Vec<PathBuf> = (0..8)
        .map(|i| data().join(format!("seed/sample_{i}.bw")))
        .collect();
    let local = tmp.path().join("local");
    let paths: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    let mut args = vec!["export", "-q", "--regions", bed.to_str().unwrap()];
    args.extend(["--out", local.to_str().unwrap()]);
    args.extend(&paths);
    assert_eq!(run(&args, 60).0, 0);
    let auth = [
        "-H",
        "Authorization: Bearer s3cret",
        "--header",
        "X-Trace:1",
    ];
    for mode in ["auth", "authredirect"] {
        let out = tmp.path().join(mode);
        let urls: Vec<String> = files.iter().map(|p| s.url(mode, &rel(p))).collect();
        let mut args = vec!["export", "-q", "--regions", bed.to_str().unwrap()];
        args.extend(["--out", out.to_str().unwrap()]);
        args.extend(auth);
        args.extend(urls.iter().map(String::as_str));
        let before = s.stats().by_mode.get("auth").copied().unwrap_or(0);
        let (code, _, err) = run(&args, 60);
        // A request without the token gets a 401, which fails the export at once.
        assert_eq!(code, 0, "{mode}: {err}");
        assert_eq!(read_dir(&out), read_dir(&local), "{mode}");
        let asked = s.stats().by_mode["auth"] - before;
        assert!(
            asked > 16,
            "{mode}: headers, indexes and data blocks: {asked}"
        );
    }
    // A presigned URL is asked for exactly as given, query and escapes and all.
    let out = tmp.path().join("signed");
    let signed: Vec<String> = files
        .iter()
        .map(|p| format!("{}?{}", s.url("signed", &rel(p)), server::SIGNED))
        .collect();
    let mut args = vec!["export", "-q", "--regions", bed.to_str().unwrap()];
    args.extend(["--out", out.to_str().unwrap()]);
    args.extend(signed.iter().map(String::as_str));
    let (code, _, err) = run(&args, 60);
    assert_eq!(code, 0, "{err}");
    assert_eq!(read_dir(&out), read_dir(&local), "presigned");
    // Without the header: the server's answer, naming the URL; `info` sends it too.
    let url = s.url("auth", &rel(&files[0]));
    let err = export_fails(&bed, std::slice::from_ref(&url), &[], 20);
    assert_eq!(err, format!("error: {url}: HTTP 401 Unauthorized"));
    let (code, out, err) = run(&["info", "-H", "Authorization: Bearer s3cret", &url], 20);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(&format!("file: {url}\n")), "{out}");
    // Headers the rules own, and malformed ones, are refused before any request.
    let n = s.stats().requests;
    for (h, why) in [
        (
            "Range: bytes=0-10",
            "--header: header Range: set by bigwig-npy itself",
        ),
        ("Bearer s3cret", "--header: a header without ':'"),
        (
            "X Y: 1",
            "--header: header name 'X Y': not an HTTP header name",
        ),
    ] {
        let err = export_fails(&bed, std::slice::from_ref(&url), &["-H", h], 20);
        assert!(err.starts_with(&format!("error: {why}")), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }
    assert_eq!(s.stats().requests, n, "no request for a refused header");
}
