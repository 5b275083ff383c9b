//! The wasm Session in Node and in headless Chrome (`wasm-pack test --node`, and
//! `WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome`): every fixture case
//! driven through the missing-range protocol with the fixtures compiled in. Read-ahead,
//! crafted files and regions fed in pieces: `tests/wasm_stepping.rs`.
#![cfg(target_arch = "wasm32")]

mod wasm_session;
use wasm_bindgen_test::*;
use wasm_session::*;

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
