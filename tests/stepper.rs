//! The one-region-at-a-time driver (`Stepper`, what the wasm module runs) natively: every
//! fixture case through the missing-range protocol, in input and in genome order, and
//! its read-ahead policy: nothing asked twice, raw bytes dropped behind the window.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use bigwig_npy::native::read_regions;
use bigwig_npy::stepper::{Step, Stepper};
use bigwig_npy::{ByteRange, Format, Layout, Options};
use common::*;
use std::collections::HashSet;

struct Run {
    intervals: Vec<u8>,
    offsets: Vec<u8>,
    genome_order: bool,
    asked_twice: usize,
    stalls: usize,
    most_raw_held: usize,
}

fn feed(s: &mut Stepper, sources: &[Vec<u8>], ranges: &[ByteRange]) {
    for r in ranges {
        let src = &sources[r.source];
        let end = ((r.offset + r.len) as usize).min(src.len());
        s.add_range(r.source, r.offset, src[r.offset as usize..end].to_vec());
    }
}

/// Drive a stepper as a host does: all reads land at once (a fast source).
fn drive(case: &Case, cache: usize, lookahead: usize) -> Run {
    let sources: Vec<Vec<u8>> = case
        .sources
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let names = (0..sources.len()).map(|i| format!("source {i}")).collect();
    let opts = Options {
        format: Format::Raw,
        layout: Layout::Aos,
        ..Options::default()
    };
    let mut s = Stepper::new(names, opts, cache);
    s.set_regions(read_regions(&case.regions).unwrap());
    for (i, b) in sources.iter().enumerate() {
        s.set_size(i, b.len() as u64);
    }
    loop {
        let missing = s.open().unwrap();
        if missing.is_empty() {
            break;
        }
        feed(&mut s, &sources, &missing);
    }
    while !s.plan_order(1000).unwrap() {}
    let genome_order = s.genome_order();
    let (mut files, mut unordered) = ([Vec::new(), Vec::new()], Vec::new());
    let (mut asked, mut asked_twice, mut stalls, mut most) = (HashSet::new(), 0, 0, 0);
    loop {
        let step = s.step(1 << 16, lookahead).unwrap();
        unordered.extend(s.take_unordered().0);
        s.writer
            .drain(|i, b| -> Result<(), ()> {
                files[i].extend_from_slice(b);
                Ok(())
            })
            .unwrap();
        let ranges = match step {
            Step::Done => break,
            Step::Stalled(r) => {
                stalls += 1;
                r
            }
            Step::ReadAhead(r) => r,
        };
        for r in &ranges {
            asked_twice += !asked.insert((r.source, r.offset)) as usize;
        }
        feed(&mut s, &sources, &ranges);
        if s.regions_done() >= 100 {
            most = most.max(s.raw_bytes_held());
        }
    }
    if genome_order {
        // The host's part: encoded regions back in input order, by the core's spans.
        let spans = bigwig_npy::encoded::spans(&unordered, sources.len());
        let mut regions = Vec::new();
        let mut at = 0;
        for sp in spans.chunks(2) {
            regions.push((sp[0], &unordered[at..at + sp[1] as usize]));
            at += sp[1] as usize;
        }
        regions.sort_by_key(|r| r.0);
        let in_order: Vec<u8> = regions.iter().flat_map(|r| r.1.iter().copied()).collect();
        s.push_encoded(&in_order).unwrap();
        s.writer
            .drain(|i, b| -> Result<(), ()> {
                files[i].extend_from_slice(b);
                Ok(())
            })
            .unwrap();
    }
    let [intervals, offsets] = files;
    Run {
        intervals,
        offsets,
        genome_order,
        asked_twice,
        stalls,
        most_raw_held: most,
    }
}

#[test]
fn every_case_in_input_and_genome_order_matches_genvarloader() {
    for case in all_cases() {
        for cache in [16 << 20, 0] {
            let run = drive(&case, cache, 4);
            assert_eq!(
                sha256(&run.intervals),
                case.intervals_sha256,
                "{} cache {cache}",
                case.name
            );
            assert_eq!(
                sha256(&run.offsets),
                case.offsets_sha256,
                "{} cache {cache}",
                case.name
            );
            if cache > 0 {
                // Every block fits the cache: each is asked for once.
                assert_eq!(run.asked_twice, 0, "{}", case.name);
            }
        }
    }
}

#[test]
fn raw_bytes_are_dropped_behind_the_read_ahead() {
    let seed = all_cases().into_iter().find(|c| c.name == "seed").unwrap();
    let total: usize = seed
        .sources
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len() as usize)
        .sum();
    // Shuffled regions, no decoded-block budget: genome order, and only the window stays.
    let run = drive(&seed, 0, 8);
    assert!(run.genome_order);
    assert!(run.stalls <= 2, "{} stalls", run.stalls);
    assert!(
        run.most_raw_held * 5 < total * 3,
        "{} of {total} bytes held",
        run.most_raw_held
    );
}
