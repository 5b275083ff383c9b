//! The core's step loop (`Drive`, what `native/remote.rs` and the wasm `Session` run) as a
//! host runs it: every fixture case, under both hosts' read policies, with and without a
//! block cache, exports what GenVarLoader wrote.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use bigwig_npy::drive::{Drive, Next};
use bigwig_npy::native::read_regions;
use bigwig_npy::reads::{ReadPolicy, SourceInfo};
use bigwig_npy::stepper::Stepper;
use bigwig_npy::{ByteRange, Format, Layout, Options};
use common::*;

fn feed(s: &mut Stepper, sources: &[Vec<u8>], ranges: &[ByteRange]) {
    for r in ranges {
        let src = &sources[r.source];
        let end = ((r.offset + r.len) as usize).min(src.len());
        s.add_range(r.source, r.offset, src[r.offset as usize..end].to_vec());
    }
}

/// The core's step loop ([`Drive`]) as a host runs it, every read landing at the next
/// wait or poll: every case exports what GenVarLoader wrote, in input and genome order.
fn run_drive(case: &Case, cache: usize, policy: ReadPolicy) -> ([Vec<u8>; 2], bool) {
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
    let mut stepper = Stepper::new(names, opts, cache);
    stepper.set_regions(read_regions(&case.regions).unwrap());
    let mut d = Drive::new(stepper, policy);
    let info = |_| SourceInfo::default();
    let mut under_way: Vec<ByteRange> = Vec::new();
    let land = |d: &mut Drive, under_way: &mut Vec<ByteRange>| {
        for r in under_way.drain(..) {
            feed(&mut d.stepper, &sources, &[r]);
            d.read_done(r);
        }
    };
    loop {
        match d.open(info).unwrap() {
            Next::Done => break,
            Next::Read(reads) => under_way.extend(reads),
            _ => land(&mut d, &mut under_way),
        }
    }
    while !d.stepper.plan_order(1000).unwrap() {}
    let genome = d.stepper.genome_order();
    let (mut files, mut unordered) = ([Vec::new(), Vec::new()], Vec::new());
    loop {
        match d.next(1 << 16, info).unwrap() {
            Next::Done => break,
            Next::Read(reads) => under_way.extend(reads),
            Next::Output => {
                unordered.extend(d.stepper.take_unordered().0);
                d.stepper
                    .writer
                    .drain(|i, b| -> Result<(), ()> {
                        files[i].extend_from_slice(b);
                        Ok(())
                    })
                    .unwrap();
            }
            Next::Wait | Next::Poll => land(&mut d, &mut under_way),
        }
    }
    if genome {
        let mut regions: Vec<_> =
            bigwig_npy::encoded::EncodedRegions::new(&unordered, sources.len()).collect();
        regions.sort_by_key(|e| e.region);
        for e in regions {
            e.push_into(&mut d.stepper.writer);
        }
        d.stepper
            .writer
            .drain(|i, b| -> Result<(), ()> {
                files[i].extend_from_slice(b);
                Ok(())
            })
            .unwrap();
    }
    (files, genome)
}

#[test]
fn the_core_step_loop_exports_every_case_for_both_hosts_policies() {
    for case in all_cases() {
        for policy in [ReadPolicy::NATIVE, ReadPolicy::NPM] {
            for cache in [16 << 20, 0] {
                let ([intervals, offsets], _) = run_drive(&case, cache, policy);
                assert_eq!(sha256(&intervals), case.intervals_sha256, "{}", case.name);
                assert_eq!(sha256(&offsets), case.offsets_sha256, "{}", case.name);
            }
        }
    }
    let seed = all_cases().into_iter().find(|c| c.name == "seed").unwrap();
    assert!(
        run_drive(&seed, 0, ReadPolicy::NATIVE).1,
        "shuffled: genome order"
    );
}
