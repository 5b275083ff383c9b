//! The core's step loop (`Drive`, what `native/remote.rs` and the wasm `Session` run) as a
//! host runs it: every fixture case, under both hosts' read policies, with and without a
//! block cache, exports what GenVarLoader wrote.
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod craft;
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

/// Reads landed at a wait or a poll: every one under way.
fn land(d: &mut Drive, sources: &[Vec<u8>], under_way: &mut Vec<ByteRange>) {
    for r in under_way.drain(..) {
        feed(&mut d.stepper, sources, &[r]);
        d.read_done(r);
    }
}

/// A Drive under `policy` over in-memory `sources` and `regions`, opened (reads landing at
/// the next wait or poll) and its order planned; the reads still under way.
fn opened(
    sources: &[Vec<u8>],
    regions: bigwig_npy::Regions,
    cache: usize,
    policy: ReadPolicy,
) -> (Drive, Vec<ByteRange>) {
    let names = (0..sources.len()).map(|i| format!("source {i}")).collect();
    let opts = Options {
        format: Format::Raw,
        layout: Layout::Aos,
        ..Options::default()
    };
    let mut stepper = Stepper::new(names, opts, cache);
    stepper.set_regions(regions);
    let mut d = Drive::new(stepper, policy);
    let mut under_way = Vec::new();
    loop {
        match d.open(|_| SourceInfo::default()).unwrap() {
            Next::Done => break,
            Next::Read(reads) => under_way.extend(reads),
            _ => land(&mut d, sources, &mut under_way),
        }
    }
    while !d.stepper.plan_order(1000).unwrap() {}
    (d, under_way)
}

/// The core's step loop ([`Drive`]) as a host runs it, every read landing at the next
/// wait or poll: every case exports what GenVarLoader wrote, in input and genome order.
fn run_drive(case: &Case, cache: usize, policy: ReadPolicy) -> ([Vec<u8>; 2], bool) {
    let sources: Vec<Vec<u8>> = case
        .sources
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let (mut d, mut under_way) = opened(
        &sources,
        read_regions(&case.regions).unwrap(),
        cache,
        policy,
    );
    let genome = d.stepper.genome_order();
    let (mut files, unordered) = step_all(&mut d, &sources, &mut under_way);
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

/// Step `d` to the end as a host does: the files written and the encoded regions handed
/// out.
fn step_all(
    d: &mut Drive,
    sources: &[Vec<u8>],
    under_way: &mut Vec<ByteRange>,
) -> ([Vec<u8>; 2], Vec<u8>) {
    let info = |_| SourceInfo::default();
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
            Next::Wait | Next::Poll => land(d, sources, under_way),
        }
    }
    (files, unordered)
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

/// Decoding pooled by genome slice (Node's workers on a shuffled BED): the whole export's
/// stepper plans the genome order and cuts it; each slice's stepper keeps its regions,
/// decodes them and hands every one out under its index in the whole export, never
/// writing; the whole export's stepper takes them back in input order: every case's bytes,
/// in 1 to 4 slices, whatever the cache (a small export is still cut in genome order).
#[test]
fn slices_of_the_genome_order_decoded_apart_make_the_whole_export() {
    for case in all_cases() {
        let sources: Vec<Vec<u8>> = case
            .sources
            .iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        let regions = read_regions(&case.regions).unwrap();
        let n = regions.len();
        for (count, cache) in [(1, 0), (2, 16 << 20), (3, 0), (4, 1 << 30)] {
            let names: Vec<String> = (0..sources.len()).map(|i| format!("source {i}")).collect();
            let opts = Options {
                format: Format::Raw,
                layout: Layout::Aos,
                ..Options::default()
            };
            let what = format!("{} in {count} slices, cache {cache}", case.name);
            // The whole export: opened and planned (forced to genome order), never stepped.
            let mut whole = Stepper::new(names.clone(), opts, cache);
            whole.force_genome_order();
            whole.set_regions(regions.clone());
            let mut d = Drive::new(whole, ReadPolicy::NPM);
            let mut under_way = Vec::new();
            loop {
                match d.open(|_| SourceInfo::default()).unwrap() {
                    Next::Done => break,
                    Next::Read(reads) => under_way.extend(reads),
                    _ => land(&mut d, &sources, &mut under_way),
                }
            }
            while !d.stepper.plan_order(1000).unwrap() {}
            let slices = d.stepper.genome_slices(count, 0.5).unwrap();
            assert_eq!(slices.len(), count.min(n), "{what}");
            assert!(slices.iter().all(|s| !s.is_empty()), "{what}");
            let mut all: Vec<u32> = slices.concat();
            all.sort_unstable();
            assert_eq!(
                all,
                (0..n as u32).collect::<Vec<_>>(),
                "{what}: each region once"
            );
            let mut encoded = Vec::new();
            for slice in &slices {
                let mut s = Stepper::new(names.clone(), opts, cache);
                s.set_regions(regions.clone());
                assert_eq!(s.keep_region_list(slice).unwrap(), slice.len());
                let (mut sd, mut under_way) = (Drive::new(s, ReadPolicy::NPM), Vec::new());
                loop {
                    match sd.open(|_| SourceInfo::default()).unwrap() {
                        Next::Done => break,
                        Next::Read(reads) => under_way.extend(reads),
                        _ => land(&mut sd, &sources, &mut under_way),
                    }
                }
                while !sd.stepper.plan_order(1000).unwrap() {}
                assert!(
                    sd.stepper.genome_order(),
                    "{what}: a slice always hands out"
                );
                let (files, unordered) = step_all(&mut sd, &sources, &mut under_way);
                // (The writer's offsets start with a 0 of their own; no region goes in.)
                assert!(
                    files[0].is_empty() && files[1].len() <= 8,
                    "{what}: a slice writes nothing"
                );
                let got: Vec<u32> =
                    bigwig_npy::encoded::EncodedRegions::new(&unordered, sources.len())
                        .map(|e| e.region as u32)
                        .collect();
                assert_eq!(
                    &got, slice,
                    "{what}: in the slice's (genome) order, global indices"
                );
                encoded.push(unordered);
            }
            let encoded = encoded.concat();
            let mut by_region: Vec<_> =
                bigwig_npy::encoded::EncodedRegions::new(&encoded, sources.len()).collect();
            by_region.sort_by_key(|e| e.region);
            let in_order: Vec<u8> = by_region
                .iter()
                .flat_map(|e| e.bytes.iter().copied())
                .collect();
            d.stepper.push_encoded(&in_order).unwrap();
            let mut files = [Vec::new(), Vec::new()];
            d.stepper
                .writer
                .drain(|i, b| -> Result<(), ()> {
                    files[i].extend_from_slice(b);
                    Ok(())
                })
                .unwrap();
            assert_eq!(sha256(&files[0]), case.intervals_sha256, "{what}");
            assert_eq!(sha256(&files[1]), case.offsets_sha256, "{what}");
        }
    }
}

#[test]
fn a_slice_keeps_each_region_once_before_opening() {
    let regions = bigwig_npy::Regions::from_bed("r.bed", b"chr1\t0\t9\nchr1\t5\t9\n").unwrap();
    let opts = Options::default();
    let mut s = Stepper::new(vec!["a".into()], opts, 0);
    assert!(s.keep_region_list(&[0]).is_err(), "no regions yet");
    s.set_regions(regions);
    for bad in [&[0, 0][..], &[2]] {
        let e = s.keep_region_list(bad).unwrap_err().to_string();
        assert!(
            e.contains("out of range") && e.contains("given twice"),
            "{e}"
        );
    }
    assert_eq!(s.keep_region_list(&[1]).unwrap(), 1);
    assert_eq!(s.n_regions(), 1);
    assert!(s.genome_slices(2, 1.0).is_err(), "not planned");
}

/// A Drive under `policy` over in-memory `sources` and a BED, every read landing at the
/// next wait or poll: the reads made while decoding, and the lookahead it decoded with.
fn decode_reads(
    sources: &[Vec<u8>],
    bed: &str,
    cache: usize,
    policy: ReadPolicy,
) -> (usize, usize) {
    let regions = bigwig_npy::Regions::from_bed("loci.bed", bed.as_bytes()).unwrap();
    let (mut d, mut under_way) = opened(sources, regions, cache, policy);
    let info = |_| SourceInfo::default();
    let lookahead = d.lookahead();
    let mut reads = 0;
    loop {
        match d.next(1 << 16, info).unwrap() {
            Next::Done => break,
            Next::Read(r) => {
                reads += r.len();
                under_way.extend(r);
            }
            Next::Output => {
                d.stepper.take_unordered();
                d.stepper
                    .writer
                    .drain(|_, _| -> Result<(), ()> { Ok(()) })
                    .unwrap();
            }
            Next::Wait | Next::Poll => land(&mut d, sources, &mut under_way),
        }
    }
    (reads, lookahead)
}

/// Regions given sorted are decoded in input order, which is genome order: their blocks
/// are neighbours in the file, so they are read ahead over the sweep window, as regions
/// the core reorders are (a short window splits runs of neighbouring blocks between
/// requests); regions whose blocks all fit the cache keep the short window.
#[test]
fn sorted_regions_are_read_ahead_over_the_sweep_window() {
    let file = craft::genome_wide(6000, 32, 16, false);
    let mut rng = fastrand::Rng::with_seed(5);
    let mut loci: Vec<(usize, u32)> = (0..3000)
        .map(|_| (rng.usize(..3), rng.u32(..29_000_000)))
        .collect();
    let bed = |loci: &[(usize, u32)]| -> String {
        loci.iter()
            .map(|&(c, s)| format!("chr{}\t{s}\t{}\n", c + 1, s + 1000))
            .collect()
    };
    let sources = [file];
    let policy = ReadPolicy::NPM;
    let (short, sweep) = (policy.lookahead(false), policy.lookahead(true));
    let shuffled = decode_reads(&sources, &bed(&loci), 0, policy);
    assert_eq!(shuffled.1, sweep, "reordered into genome order");
    let fits = decode_reads(&sources, &bed(&loci), 1 << 30, policy);
    assert_eq!(fits.1, short, "unsorted, every block cached: input order");
    loci.sort_unstable();
    let sorted = decode_reads(&sources, &bed(&loci), 0, policy);
    assert_eq!(sorted.1, sweep);
    assert!(
        sorted.0 <= shuffled.0,
        "{} reads sorted, {} shuffled",
        sorted.0,
        shuffled.0
    );
}
