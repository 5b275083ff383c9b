//! Every kind of bad server (`tests/server`) and bad URL: the CLI's export ends in one
//! `error:` line naming the URL, leaves nothing in the output directory, and is bounded in
//! time (retries and continuations, not loops).
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod server;
mod urls;

use common::*;
use urls::*;

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
