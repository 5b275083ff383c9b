//! Inflating ahead (`Stepper::inflate_ahead`, run natively on the rayon threads of a URL
//! export): the blocks a host inflates, in any order, late or never, change no output byte
//! and no error, and the step waits for a batch before its first region (the harness
//! asserts no batch is left out at the end).
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod craft;
use bigwig_npy::bigwig::BigWig;
use bigwig_npy::native::read_regions;
use bigwig_npy::{IndexPolicy, MemSource, Regions};
use common::stepper::{drive_with, Inflate};
use common::*;

#[test]
fn blocks_inflated_ahead_late_or_never_change_no_byte() {
    let mut ran = 0;
    for case in all_cases() {
        let sources: Vec<Vec<u8>> = case
            .sources
            .iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        // 16 MiB: every block fits, input order; 2 MiB: genome order for the larger cases.
        for cache in [16 << 20, 2 << 20] {
            for host in [Inflate::Late, Inflate::Drops] {
                let regions = read_regions(&case.regions).unwrap();
                let run = drive_with(&sources, regions, cache, 8, IndexPolicy::Auto, host).unwrap();
                let what = format!("{} cache {cache} {host:?}", case.name);
                assert_eq!(sha256(&run.intervals), case.intervals_sha256, "{what}");
                assert_eq!(sha256(&run.offsets), case.offsets_sha256, "{what}");
                ran += run.jobs_run;
            }
        }
    }
    assert!(
        ran > 100,
        "{ran} jobs: the inflate-ahead path was not taken"
    );
}

#[test]
fn a_corrupt_block_inflated_ahead_fails_as_it_always_did() {
    let blocks: Vec<Vec<(u32, u32, f32)>> = (0..10u32)
        .map(|b| {
            (0..1000u32)
                .map(|i| (b * 10_000 + i * 10, b * 10_000 + i * 10 + 10, i as f32))
                .collect()
        })
        .collect();
    let good = craft::valid(&blocks);
    let leaf = BigWig::open(&MemSource::new(good.clone())).unwrap().leaves[6];
    let mut bad = good.clone();
    bad[leaf.offset as usize..(leaf.offset + leaf.size) as usize].fill(0xff);
    let bed: String = (0..200u32)
        .map(|i| format!("chr1\t{}\t{}\n", i * 450, i * 450 + 300))
        .collect();
    let regions = Regions::from_bed("r.bed", bed.as_bytes()).unwrap();
    let sources = [good, bad];
    let run = |host| {
        drive_with(
            &sources,
            regions.clone(),
            16 << 20,
            8,
            IndexPolicy::Auto,
            host,
        )
    };
    let Err(want) = run(Inflate::Off) else {
        panic!("a corrupt block was read")
    };
    let want = want.to_string();
    assert!(want.contains("corrupt compressed data block"), "{want}");
    for host in [Inflate::Late, Inflate::Drops] {
        let Err(got) = run(host) else {
            panic!("{host:?}: a corrupt block was read")
        };
        let got = got.to_string();
        assert_eq!(got, want, "{host:?}");
    }
}
