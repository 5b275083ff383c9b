//! URL sources in the native library, against the 127.0.0.1 test server (`tests/server`):
//! every case byte-identical to the local-file export (npy/raw, aos/soa, shuffled regions
//! in genome order, mixed local and URL sources, redirects, whole files, short bodies,
//! retries, an overlong answer). Bad servers: `tests/http_errors.rs`; the CLI's `info`,
//! `dataset` and headers over URLs: `tests/http_cli.rs`.
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod server;
mod urls;

use bigwig_npy::native::{read_regions, HttpOptions, Location, OutputDir, Parallel, RemoteExport};
use bigwig_npy::{Format, Layout};
use common::*;
use urls::*;

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
            // On 3 threads the buckets ready at the end are written in runs, in parallel.
            for threads in [1, 3] {
                let out = tempfile::tempdir().unwrap();
                let parallel = Parallel {
                    block_budget: 0,
                    staging_budget: 4096,
                    ..Parallel::threads(threads)
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
                let got = read_dir(out.path());
                assert_eq!(got, want, "{} shuffled on {threads} threads", case.name);
            }
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
