//! Shared by the Rust wasm tests of the Session (`tests/wasm.rs`, `tests/wasm_stepping.rs`):
//! the fixtures compiled in, and a Session driven to the end as the JS wrapper drives it.
#![allow(dead_code)]

use bigwig_npy::wasm::Session;
use sha2::{Digest, Sha256};
use wasm_bindgen::JsCast;

pub fn bigwig(name: &str) -> &'static [u8] {
    match name {
        "cow.bw" => include_bytes!("../../data/bigwig/cow.bw"),
        "fixedStep.bw" => include_bytes!("../../data/bigwig/fixedStep.bw"),
        "gvl_sample_0.bw" => include_bytes!("../../data/bigwig/gvl_sample_0.bw"),
        "gvl_sample_1.bw" => include_bytes!("../../data/bigwig/gvl_sample_1.bw"),
        "uncompressed.bw" => include_bytes!("../../data/bigwig/uncompressed.bw"),
        "variable_step.bw" => include_bytes!("../../data/bigwig/variable_step.bw"),
        "volvox.bw" => include_bytes!("../../data/bigwig/volvox.bw"),
        "volvox_microarray.bw" => include_bytes!("../../data/bigwig/volvox_microarray.bw"),
        _ => panic!("no fixture {name}"),
    }
}

pub fn regions(case: &str) -> &'static str {
    match case {
        "cow" => include_str!("../../data/cases/cow/regions.bed"),
        "fixedStep" => include_str!("../../data/cases/fixedStep/regions.bed"),
        "gvl_sample_0" => include_str!("../../data/cases/gvl_sample_0/regions.bed"),
        "gvl_sample_1" => include_str!("../../data/cases/gvl_sample_1/regions.bed"),
        "multi_gvl_sample_0_2" => include_str!("../../data/cases/multi_gvl_sample_0_2/regions.bed"),
        "multi_uncompressed_3" => include_str!("../../data/cases/multi_uncompressed_3/regions.bed"),
        "uncompressed" => include_str!("../../data/cases/uncompressed/regions.bed"),
        "variable_step" => include_str!("../../data/cases/variable_step/regions.bed"),
        "volvox" => include_str!("../../data/cases/volvox/regions.bed"),
        "volvox_microarray" => include_str!("../../data/cases/volvox_microarray/regions.bed"),
        _ => panic!("no case {case}"),
    }
}

pub fn feed(s: &mut Session, sources: &[&[u8]], missing: &[f64]) {
    for t in missing.chunks(3) {
        let (i, o, n) = (t[0] as usize, t[1] as usize, t[2] as usize);
        let src = sources[i];
        s.add_range(i, o as f64, src[o..(o + n).min(src.len())].to_vec());
    }
}

/// Drive a session to the end as the JS wrapper does; returns the files' bytes.
pub fn run(
    sources: &[&[u8]],
    bed: &str,
    format: &str,
    layout: &str,
) -> Result<Vec<Vec<u8>>, String> {
    run_with(sources, bed, format, layout, 16e6)
}

/// With a tiny `cache` shuffled regions go through genome order: JS's part,
/// putting them back in input order, is done here by sorting the encoded regions.
pub fn run_with(
    sources: &[&[u8]],
    bed: &str,
    format: &str,
    layout: &str,
    cache: f64,
) -> Result<Vec<Vec<u8>>, String> {
    let err = |e: wasm_bindgen::JsValue| {
        e.dyn_into::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_default()
    };
    let names = (0..sources.len()).map(|i| format!("source {i}")).collect();
    let mut s =
        Session::new(names, format, layout, 4.0 * (1u64 << 30) as f64, cache).map_err(err)?;
    s.set_regions_bed("regions.bed", bed.as_bytes())
        .map_err(err)?;
    for (i, src) in sources.iter().enumerate() {
        s.set_size(i, src.len() as f64);
    }
    loop {
        let missing = s.open().map_err(err)?;
        if missing.is_empty() {
            break;
        }
        feed(&mut s, sources, &missing);
    }
    while !s.plan_order(1 << 20).map_err(err)? {}
    let mut files = vec![Vec::new(); s.file_names().len()];
    let mut collect = |s: &mut Session| {
        let out = s.take_output();
        for k in (0..out.length()).step_by(2) {
            let i = out.get(k).as_f64().unwrap() as usize;
            files[i].extend(
                out.get(k + 1)
                    .dyn_into::<js_sys::Uint8Array>()
                    .unwrap()
                    .to_vec(),
            );
        }
    };
    let mut unordered = Vec::new();
    let mut asked = std::collections::HashSet::new();
    loop {
        let missing = s.step(1 << 16, 4).map_err(err)?;
        if s.genome_order() {
            unordered.extend(take_unordered(&mut s));
        } else {
            collect(&mut s);
        }
        if missing.is_empty() && s.regions_done() == s.n_regions() {
            break;
        }
        assert!(
            s.stalled() || s.regions_done() < s.n_regions(),
            "read-ahead only while regions remain"
        );
        // Blocks are asked for once: read-ahead covers each region once, and with every
        // block fitting the decoded cache nothing fetched is dropped before its use.
        for t in missing.chunks(3) {
            assert!(
                asked.insert((t[0] as usize, t[1] as u64)) || cache < 16e6,
                "source {} bytes at {} asked twice",
                t[0],
                t[1]
            );
        }
        feed(&mut s, sources, &missing);
    }
    if s.genome_order() {
        s.push_encoded(&in_input_order(&unordered, sources.len()))
            .map_err(err)?;
        collect(&mut s);
    }
    let headers = s.headers();
    Ok(files
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            [
                headers
                    .get(i as u32)
                    .dyn_into::<js_sys::Uint8Array>()
                    .unwrap()
                    .to_vec(),
                body,
            ]
            .concat()
        })
        .collect())
}

/// The JS driver's part of genome order, here by sorting: encoded regions back in input order.
/// Genome order: the encoded regions decoded since the last call, as bytes.
pub fn take_unordered(s: &mut Session) -> Vec<u8> {
    s.take_unordered()
        .get(0)
        .dyn_into::<js_sys::Uint8Array>()
        .unwrap()
        .to_vec()
}

pub fn in_input_order(unordered: &[u8], n_samples: usize) -> Vec<u8> {
    let spans = bigwig_npy::encoded::spans(unordered, n_samples);
    let mut regions: Vec<(u32, &[u8])> = Vec::new();
    let mut at = 0;
    for s in spans.chunks(2) {
        regions.push((s[0], &unordered[at..at + s[1] as usize]));
        at += s[1] as usize;
    }
    regions.sort_by_key(|r| r.0);
    regions.iter().flat_map(|r| r.1.iter().copied()).collect()
}

pub fn hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}
