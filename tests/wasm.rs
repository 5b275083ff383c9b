//! The wasm Session in Node and in headless Chrome (`wasm-pack test --node`, and
//! `WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome`): every fixture case
//! driven through the missing-range protocol with the fixtures compiled in.
#![cfg(target_arch = "wasm32")]

use bigwig_npy::wasm::Session;
use sha2::{Digest, Sha256};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

fn bigwig(name: &str) -> &'static [u8] {
    match name {
        "cow.bw" => include_bytes!("../data/bigwig/cow.bw"),
        "fixedStep.bw" => include_bytes!("../data/bigwig/fixedStep.bw"),
        "gvl_sample_0.bw" => include_bytes!("../data/bigwig/gvl_sample_0.bw"),
        "gvl_sample_1.bw" => include_bytes!("../data/bigwig/gvl_sample_1.bw"),
        "uncompressed.bw" => include_bytes!("../data/bigwig/uncompressed.bw"),
        "variable_step.bw" => include_bytes!("../data/bigwig/variable_step.bw"),
        "volvox.bw" => include_bytes!("../data/bigwig/volvox.bw"),
        "volvox_microarray.bw" => include_bytes!("../data/bigwig/volvox_microarray.bw"),
        _ => panic!("no fixture {name}"),
    }
}

fn regions(case: &str) -> &'static str {
    match case {
        "cow" => include_str!("../data/cases/cow/regions.bed"),
        "fixedStep" => include_str!("../data/cases/fixedStep/regions.bed"),
        "gvl_sample_0" => include_str!("../data/cases/gvl_sample_0/regions.bed"),
        "gvl_sample_1" => include_str!("../data/cases/gvl_sample_1/regions.bed"),
        "multi_gvl_sample_0_2" => include_str!("../data/cases/multi_gvl_sample_0_2/regions.bed"),
        "multi_uncompressed_3" => include_str!("../data/cases/multi_uncompressed_3/regions.bed"),
        "uncompressed" => include_str!("../data/cases/uncompressed/regions.bed"),
        "variable_step" => include_str!("../data/cases/variable_step/regions.bed"),
        "volvox" => include_str!("../data/cases/volvox/regions.bed"),
        "volvox_microarray" => include_str!("../data/cases/volvox_microarray/regions.bed"),
        _ => panic!("no case {case}"),
    }
}

fn feed(s: &mut Session, sources: &[&[u8]], missing: &[f64]) {
    for t in missing.chunks(3) {
        let (i, o, n) = (t[0] as usize, t[1] as usize, t[2] as usize);
        let src = sources[i];
        s.add_range(i, o as f64, src[o..(o + n).min(src.len())].to_vec());
    }
}

/// Drive a session to the end as the JS wrapper does; returns the files' bytes.
fn run(sources: &[&[u8]], bed: &str, format: &str, layout: &str) -> Result<Vec<Vec<u8>>, String> {
    run_with(sources, bed, format, layout, 16e6)
}

/// With a tiny `cache` shuffled regions go through genome order: JS's part,
/// putting them back in input order, is done here by sorting the encoded regions.
fn run_with(
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
            unordered.extend(
                s.take_unordered()
                    .get(0)
                    .dyn_into::<js_sys::Uint8Array>()
                    .unwrap()
                    .to_vec(),
            );
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
fn in_input_order(unordered: &[u8], n_samples: usize) -> Vec<u8> {
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

fn hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

#[wasm_bindgen_test]
fn every_fixture_case_matches_genvarloader() {
    let cases: serde_json::Value =
        serde_json::from_str(include_str!("../data/cases/cases.json")).unwrap();
    for (name, c) in cases.as_object().unwrap() {
        let sources: Vec<&[u8]> = c["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| bigwig(s.as_str().unwrap()))
            .collect();
        let files = run(&sources, regions(name), "raw", "aos").unwrap();
        assert_eq!(
            hex(&files[0]),
            c["intervals_sha256"].as_str().unwrap(),
            "{name} intervals"
        );
        assert_eq!(
            hex(&files[1]),
            c["offsets_sha256"].as_str().unwrap(),
            "{name} offsets"
        );
    }
}

#[wasm_bindgen_test]
fn genome_order_sweep_gives_the_same_bytes() {
    let cases: serde_json::Value =
        serde_json::from_str(include_str!("../data/cases/cases.json")).unwrap();
    for name in ["cow", "multi_uncompressed_3", "fixedStep"] {
        let c = &cases[name];
        let sources: Vec<&[u8]> = c["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| bigwig(s.as_str().unwrap()))
            .collect();
        // Shuffle the regions so genome order differs from input order.
        let mut lines: Vec<&str> = regions(name).lines().collect();
        lines.reverse();
        let bed = lines.join("\n");
        let unordered = run_with(&sources, &bed, "npy", "soa", 0.0).unwrap();
        let plain = run_with(&sources, &bed, "npy", "soa", 64e6).unwrap();
        assert_eq!(unordered, plain, "{name}");
        // Sorted regions stay in input order even with no decoded cache at all, and every
        // region completes.
        let mut sorted: Vec<&str> = regions(name).lines().collect();
        sorted.sort_by_key(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].to_string(),
                f[1].parse::<u64>().unwrap(),
                f[2].parse::<u64>().unwrap(),
            )
        });
        let tiny = run_with(&sources, &sorted.join("\n"), "npy", "soa", 0.0).unwrap();
        let roomy = run_with(&sources, &sorted.join("\n"), "npy", "soa", 64e6).unwrap();
        assert_eq!(tiny, roomy, "{name} sorted");
    }
}

#[wasm_bindgen_test]
fn npy_and_soa_carry_the_same_payload() {
    let src = [bigwig("volvox.bw")];
    let bed = regions("volvox");
    let raw = run(&src, bed, "raw", "aos").unwrap();
    let npy = run(&src, bed, "npy", "aos").unwrap();
    assert_eq!(&npy[0][..6], b"\x93NUMPY");
    assert!(npy[0].ends_with(&raw[0]) && npy[1].ends_with(&raw[1]));
    let soa = run(&src, bed, "raw", "soa").unwrap();
    let starts: Vec<u8> = raw[0].chunks(12).flat_map(|r| r[..4].to_vec()).collect();
    assert_eq!(soa[0], starts);
    assert_eq!(soa[3], raw[1]);
}

#[wasm_bindgen_test]
fn errors_are_messages_not_traps() {
    let vol = bigwig("volvox.bw");
    let e = run(&[vol], "chrZ\t0\t10\n", "raw", "aos").unwrap_err();
    assert!(e.contains("contig 'chrZ' not found in source 0"), "{e}");
    let e = run(&[&vol[..1000]], "ctgA\t0\t10\n", "raw", "aos").unwrap_err();
    assert!(e.contains("source 0: truncated or corrupt file"), "{e}");
    let e = run(&[&[0u8; 100]], "ctgA\t0\t10\n", "raw", "aos").unwrap_err();
    assert!(e.contains("source 0: not a bigWig file"), "{e}");
    let e = run(&[vol], "ctgA\t9\t1\n", "raw", "aos").unwrap_err();
    assert_eq!(e, "regions.bed line 1: start 9 is greater than end 1");
    let e = run(&[vol], "ctgA\t0\t50000\n", "raw", "bad").unwrap_err();
    assert!(e.contains("layout: expected 'aos' or 'soa'"), "{e}");
    // The module still works after all of that.
    assert!(run(&[vol], "ctgA\t0\t100\n", "raw", "aos").is_ok());
}

#[wasm_bindgen_test]
fn raw_bytes_are_dropped_behind_the_read_ahead() {
    // The seed: 2000 regions over 8 files. Reads land at once (as a fast source's
    // do), so the core never stalls after the first window; what it has decoded must still
    // leave the range caches, or a long export would end up holding every file.
    let sources: [&[u8]; 8] = [
        include_bytes!("../data/seed/sample_0.bw"),
        include_bytes!("../data/seed/sample_1.bw"),
        include_bytes!("../data/seed/sample_2.bw"),
        include_bytes!("../data/seed/sample_3.bw"),
        include_bytes!("../data/seed/sample_4.bw"),
        include_bytes!("../data/seed/sample_5.bw"),
        include_bytes!("../data/seed/sample_6.bw"),
        include_bytes!("../data/seed/sample_7.bw"),
    ];
    let total: usize = sources.iter().map(|s| s.len()).sum();
    let names = (0..8).map(|i| format!("sample_{i}")).collect();
    // No decoded-block budget, so no spare raw bytes either: only the window stays.
    let mut s = Session::new(names, "raw", "aos", 4e9, 0.0).unwrap();
    s.set_regions_bed("regions.bed", include_bytes!("../data/seed/regions.bed"))
        .unwrap();
    for (i, src) in sources.iter().enumerate() {
        s.set_size(i, src.len() as f64);
    }
    loop {
        let missing = s.open().unwrap();
        if missing.is_empty() {
            break;
        }
        feed(&mut s, &sources, &missing);
    }
    while !s.plan_order(1 << 20).unwrap() {}
    // The regions are shuffled and nothing fits a zero budget: genome order.
    assert!(s.genome_order());
    let (mut most, mut stalls) = (0, 0);
    loop {
        let missing = s.step(1 << 16, 8).unwrap();
        s.take_unordered();
        stalls += s.stalled() as usize;
        if missing.is_empty() && s.regions_done() == s.n_regions() {
            break;
        }
        feed(&mut s, &sources, &missing);
        // Blocks here are large next to regions (about 6 per file), so a window holds whole
        // blocks of every file; dropping nothing would end up holding all of them.
        if s.regions_done() >= 100 {
            most = most.max(s.raw_bytes_held());
        }
    }
    assert_eq!(s.regions_done(), 2000);
    assert!(stalls <= 2, "{stalls} stalls");
    assert!(
        most * 5 < total * 3,
        "{most} of {total} source bytes held at once"
    );
}

#[path = "craft/mod.rs"]
mod craft;

/// Open `file` for an export of one region through the missing-range protocol (a large
/// index is read only once regions are known); the error and the rounds of reads used.
fn open_rounds(file: &[u8]) -> (Option<String>, usize) {
    let mut s = Session::new(vec!["crafted.bw".into()], "raw", "aos", 1e9, 16e6).unwrap();
    s.feed_regions_bed("r.bed", b"chr1\t0\t1000\n").unwrap();
    s.finish_regions().unwrap();
    s.set_size(0, file.len() as f64);
    for round in 1..=200 {
        match s.open() {
            Ok(m) if m.is_empty() => return (None, round),
            Ok(m) => feed(&mut s, &[file], &m),
            Err(e) => {
                let e: js_sys::Error = e.dyn_into().unwrap();
                return (Some(String::from(e.message())), round);
            }
        }
    }
    panic!("open did not finish in 200 rounds");
}

#[wasm_bindgen_test]
fn crafted_bombs_are_errors_not_traps_and_opening_takes_few_rounds() {
    let (e, rounds) = open_rounds(&craft::rtree_bomb());
    assert!(e
        .unwrap()
        .contains("crafted.bw: corrupt R-tree index (its nodes add up"));
    // Head, R-tree header and root, then a level too wide to walk: the index whole.
    assert!(rounds <= 5, "{rounds} rounds");
    // The chrom tree is read in one go, then walked: not a round per node.
    let (e, rounds) = open_rounds(&craft::chrom_tree_bomb());
    assert!(e
        .unwrap()
        .contains("corrupt chromosome tree (its nodes add up"));
    assert!(rounds <= 4, "{rounds} rounds");
    let (e, _) = open_rounds(&craft::deep_rtree(100));
    assert!(e.unwrap().contains("deeper than 64 levels"));
    let (e, rounds) = open_rounds(&craft::small_valid());
    assert_eq!((e, rounds <= 4), (None, true), "{rounds} rounds");
    // The module still works after all of that.
    assert!(run(&[bigwig("volvox.bw")], "ctgA\t0\t100\n", "raw", "aos").is_ok());
}

#[wasm_bindgen_test]
fn regions_fed_in_pieces_and_order_planned_in_slices_give_the_same_bytes() {
    let vol = bigwig("volvox.bw");
    let bed = regions("volvox");
    let whole = run_with(&[vol], bed, "raw", "aos", 0.0).unwrap();
    let mut s = Session::new(vec!["volvox.bw".into()], "raw", "aos", 1e9, 0.0).unwrap();
    for piece in bed.as_bytes().chunks(5) {
        s.feed_regions_bed("regions.bed", piece).unwrap();
    }
    s.finish_regions().unwrap();
    s.set_size(0, vol.len() as f64);
    loop {
        let m = s.open().unwrap();
        if m.is_empty() {
            break;
        }
        feed(&mut s, &[vol], &m);
    }
    let mut slices = 0;
    while !s.plan_order(3).unwrap() {
        slices += 1;
    }
    assert!(slices > 0);
    // The rest as `run_with` drives it, from here: compare the order and output.
    assert!(
        s.genome_order(),
        "shuffled regions past a zero cache decode in genome order"
    );
    let mut unordered = Vec::new();
    loop {
        let missing = s.step(1 << 16, 4).unwrap();
        unordered.extend(
            s.take_unordered()
                .get(0)
                .dyn_into::<js_sys::Uint8Array>()
                .unwrap()
                .to_vec(),
        );
        if missing.is_empty() && s.regions_done() == s.n_regions() {
            break;
        }
        feed(&mut s, &[vol], &missing);
    }
    s.push_encoded(&in_input_order(&unordered, 1)).unwrap();
    let out = s.take_output();
    let intervals = out
        .get(1)
        .dyn_into::<js_sys::Uint8Array>()
        .unwrap()
        .to_vec();
    assert_eq!(hex(&intervals), hex(&whole[0]));
}
