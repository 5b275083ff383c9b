//! The CLI over URLs (`tests/server`): `info URL` says what it says on the file, `dataset`
//! with URL tables writes what local tables write, and request headers go with every
//! request (and only where the rules let them).
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod server;
mod urls;

use common::*;
use std::path::{Path, PathBuf};
use urls::*;

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
