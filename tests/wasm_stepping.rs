//! The wasm Session's stepping in Node and in headless Chrome: raw bytes dropped behind
//! the read-ahead, crafted bombs refused (errors, not traps) within few rounds of reads,
//! regions fed in pieces and the decode order planned in slices.
#![cfg(target_arch = "wasm32")]

#[path = "craft/mod.rs"]
mod craft;
mod wasm_session;
use bigwig_npy::wasm::Session;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wasm_session::*;

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
        unordered.extend(take_unordered(&mut s));
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
