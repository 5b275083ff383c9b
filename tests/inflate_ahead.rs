//! Inflating ahead (`Stepper::inflate_ahead`, run natively on the rayon threads of a URL
//! export): the blocks a host inflates, in any order, late or never, change no output byte
//! and no error, and the step waits for a batch before its first region.
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod craft;
use bigwig_npy::bigwig::block::BlockReader;
use bigwig_npy::bigwig::BigWig;
use bigwig_npy::native::read_regions;
use bigwig_npy::stepper::{InflateJob, Step, Stepper};
use bigwig_npy::{ByteRange, Format, Layout, MemSource, Options, Regions};
use common::*;

/// What the host does with each batch of jobs.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Host {
    /// Never asks for jobs (the wasm module, one thread).
    Off,
    /// Runs each batch in reverse order, and gives it back only when the step waits.
    Late,
    /// Gives every other batch back empty, as a host whose threads failed would.
    Drops,
}

fn feed(s: &mut Stepper, sources: &[Vec<u8>], ranges: &[ByteRange]) {
    for r in ranges {
        let end = ((r.offset + r.len) as usize).min(sources[r.source].len());
        s.add_range(
            r.source,
            r.offset,
            sources[r.source][r.offset as usize..end].to_vec(),
        );
    }
}

/// Export `regions` from `sources` through a stepper whose host treats inflate jobs as
/// `host` says; the raw intervals and offsets, and how many jobs ran.
fn run(
    sources: &[Vec<u8>],
    regions: Regions,
    cache: usize,
    host: Host,
) -> Result<(Vec<u8>, Vec<u8>, usize), bigwig_npy::Error> {
    let names = (0..sources.len()).map(|i| format!("source {i}")).collect();
    let opts = Options {
        format: Format::Raw,
        layout: Layout::Aos,
        ..Options::default()
    };
    let mut s = Stepper::new(names, opts, cache);
    s.set_regions(regions);
    for (i, b) in sources.iter().enumerate() {
        s.set_size(i, b.len() as u64);
    }
    loop {
        let missing = s.open()?;
        if missing.is_empty() {
            break;
        }
        feed(&mut s, sources, &missing);
    }
    while !s.plan_order(1000)? {}
    let (mut files, mut unordered) = ([Vec::new(), Vec::new()], Vec::new());
    let mut out: Option<Vec<InflateJob>> = None;
    let (mut reader, mut batches, mut jobs_run) = (BlockReader::new(), 0, 0);
    loop {
        if host != Host::Off {
            if out.is_some() && s.awaits_inflated() {
                let mut jobs = out.take().unwrap();
                batches += 1;
                if host == Host::Drops && batches % 2 == 0 {
                    jobs.clear();
                }
                jobs.reverse();
                jobs_run += jobs.len();
                s.add_inflated(jobs.into_iter().map(|j| j.run(&mut reader)).collect());
            }
            if out.is_none() {
                let jobs = s.inflate_ahead(64 << 10);
                if !jobs.is_empty() {
                    out = Some(jobs);
                }
            }
        }
        let step = s.step(1 << 16, 8)?;
        unordered.extend(s.take_unordered().0);
        s.writer
            .drain(|i, b| -> Result<(), ()> {
                files[i].extend_from_slice(b);
                Ok(())
            })
            .unwrap();
        match step {
            Step::Done => break,
            Step::Stalled(r) | Step::ReadAhead(r) => feed(&mut s, sources, &r),
        }
    }
    assert!(out.is_none(), "a batch left out at the end");
    if s.genome_order() {
        let spans = bigwig_npy::encoded::spans(&unordered, sources.len());
        let (mut regions, mut at) = (Vec::new(), 0);
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
    Ok((intervals, offsets, jobs_run))
}

#[test]
fn blocks_inflated_ahead_late_or_never_change_no_byte() {
    let mut ran = 0;
    for case in all_cases() {
        let sources: Vec<Vec<u8>> = case
            .sources
            .iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        // 16 MiB: every block fits, input order; 2 MiB: genome order for most cases.
        for cache in [16 << 20, 2 << 20] {
            for host in [Host::Off, Host::Late, Host::Drops] {
                let regions = read_regions(&case.regions).unwrap();
                let (intervals, offsets, jobs) = run(&sources, regions, cache, host).unwrap();
                let what = format!("{} cache {cache} {host:?}", case.name);
                assert_eq!(sha256(&intervals), case.intervals_sha256, "{what}");
                assert_eq!(sha256(&offsets), case.offsets_sha256, "{what}");
                ran += jobs;
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
    let want = run(&sources, regions.clone(), 16 << 20, Host::Off).expect_err("refused");
    assert!(
        want.to_string().contains("corrupt compressed data block"),
        "{want}"
    );
    for host in [Host::Late, Host::Drops] {
        let got = run(&sources, regions.clone(), 16 << 20, host).expect_err("refused");
        assert_eq!(got.to_string(), want.to_string(), "{host:?}");
    }
}
