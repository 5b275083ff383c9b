//! The one-region-at-a-time driver (`Stepper`, what the wasm module runs) natively: every
//! fixture case through the missing-range protocol, in input and in genome order, and
//! its read-ahead policy: nothing asked twice, raw bytes dropped behind the window. Its
//! lazily read index: `tests/stepper_index.rs`.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use bigwig_npy::IndexPolicy;
use common::stepper::*;
use common::*;

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

#[test]
fn every_case_with_a_lazy_index_matches_genvarloader() {
    for case in all_cases() {
        for cache in [16 << 20, 0] {
            let run = drive_policy(&case, cache, 4, IndexPolicy::Lazy);
            assert_eq!(
                sha256(&run.intervals),
                case.intervals_sha256,
                "{}",
                case.name
            );
            assert_eq!(sha256(&run.offsets), case.offsets_sha256, "{}", case.name);
        }
    }
}
