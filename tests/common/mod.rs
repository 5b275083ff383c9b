//! Shared helpers: the bundled fixtures in `data/` and exports into temp dirs.
#![allow(dead_code)]
#![cfg(not(target_arch = "wasm32"))]

pub mod atomic;
pub mod dataset;
pub mod gvl;
pub mod stepper;
pub mod update_concat;

use bigwig_npy::native::{export_files, open_files, read_regions, OutputDir, Parallel};
use bigwig_npy::{Export, Format, Layout, Options};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `bigwig-npy` binary. The test server is on 127.0.0.1: never through a proxy the
/// environment names.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bigwig-npy"));
    c.env("NO_PROXY", "127.0.0.1").env("no_proxy", "127.0.0.1");
    c
}

pub fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One parity case: sources, regions and the expected hashes of GenVarLoader's raw output.
pub struct Case {
    pub name: String,
    pub sources: Vec<PathBuf>,
    pub regions: PathBuf,
    pub n_regions: usize,
    pub n_intervals: u64,
    pub intervals_sha256: String,
    pub offsets_sha256: String,
}

fn case_from(name: &str, j: &serde_json::Value, dir: &Path, regions: PathBuf) -> Case {
    Case {
        name: name.to_string(),
        sources: j["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| dir.join(s.as_str().unwrap()))
            .collect(),
        regions,
        n_regions: j["n_regions"].as_u64().unwrap() as usize,
        n_intervals: j["n_intervals"].as_u64().unwrap(),
        intervals_sha256: j["intervals_sha256"].as_str().unwrap().to_string(),
        offsets_sha256: j["offsets_sha256"].as_str().unwrap().to_string(),
    }
}

/// Every case of `data/cases/cases.json` plus the seed corpus.
pub fn all_cases() -> Vec<Case> {
    let d = data();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("cases/cases.json")).unwrap()).unwrap();
    let mut cases: Vec<Case> = json
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, j)| {
            case_from(
                name,
                j,
                &d.join("bigwig"),
                d.join("cases").join(name).join("regions.bed"),
            )
        })
        .collect();
    assert_eq!(cases.len(), 10, "cases.json lists 10 cases");
    let seed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("seed/expected.json")).unwrap()).unwrap();
    cases.push(case_from(
        "seed",
        &seed,
        &d.join("seed"),
        d.join("seed/regions.bed"),
    ));
    cases
}

/// Export with the native driver; returns the files' bytes by name.
pub fn export(
    case: &Case,
    layout: Layout,
    format: Format,
    threads: usize,
) -> Vec<(String, Vec<u8>)> {
    let out = tempfile::tempdir().unwrap();
    let opts = Options {
        layout,
        format,
        ..Options::default()
    };
    let regions = read_regions(&case.regions).unwrap();
    let summary = export_files(
        regions,
        &case.sources,
        out.path(),
        opts,
        Parallel::threads(threads),
        None,
    )
    .unwrap();
    assert_eq!(summary.regions, case.n_regions, "{}", case.name);
    assert_eq!(summary.intervals, case.n_intervals, "{}", case.name);
    read_dir(out.path())
}

/// Like [`export`] with a tiny staging budget so the reorder spills to its scratch file.
pub fn export_spilling(case: &Case, threads: usize) -> Vec<(String, Vec<u8>)> {
    export_spilling_as(case, &case.regions, Layout::Aos, Format::Raw, threads)
}

/// [`export_spilling`] of the regions in `regions`, in `layout` and `format`.
pub fn export_spilling_as(
    case: &Case,
    regions: &Path,
    layout: Layout,
    format: Format,
    threads: usize,
) -> Vec<(String, Vec<u8>)> {
    let out = tempfile::tempdir().unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let opts = Options {
        layout,
        format,
        ..Options::default()
    };
    let export = Export::new(
        open_files(&case.sources, &pool).unwrap(),
        read_regions(regions).unwrap(),
        opts,
    )
    .unwrap();
    let mut dir = OutputDir::create(out.path(), opts.layout, opts.format).unwrap();
    // No block decoded up front, so shuffled regions go in genome order; a tiny staging
    // budget makes the reorder spill.
    let parallel = Parallel {
        block_budget: 0,
        staging_budget: 4096,
        ..Parallel::threads(threads)
    };
    bigwig_npy::native::export_parallel(&export, &pool, &mut dir, None, &parallel).unwrap();
    dir.commit().unwrap();
    read_dir(out.path())
}

/// All files in `dir`, sorted by name (hidden temp files included, so tests see leftovers).
pub fn read_dir(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().into_string().unwrap(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

pub fn file<'a>(files: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &files
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| {
            panic!(
                "no {name} in {:?}",
                files.iter().map(|f| &f.0).collect::<Vec<_>>()
            )
        })
        .1
}

/// Parse an NPY 1.0 header: returns (descr/dict text, shape length, payload).
pub fn parse_npy(bytes: &[u8]) -> (String, u64, &[u8]) {
    assert_eq!(
        &bytes[..8],
        b"\x93NUMPY\x01\x00",
        "NPY magic and version 1.0"
    );
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert_eq!((10 + hlen) % 64, 0, "header is 64-byte aligned");
    let dict = std::str::from_utf8(&bytes[10..10 + hlen]).unwrap();
    assert!(dict.ends_with('\n'));
    assert!(dict.contains("'fortran_order': False"));
    let shape = dict
        .split("'shape': (")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let descr = dict
        .split("'descr': ")
        .nth(1)
        .unwrap()
        .split(", 'fortran_order'")
        .next()
        .unwrap()
        .to_string();
    (descr, shape, &bytes[10 + hlen..])
}
