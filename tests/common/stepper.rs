//! The stepper driven as a host drives it, natively (`tests/stepper.rs`,
//! `tests/stepper_index.rs`): the missing-range protocol with every read landing at once
//! (a fast source), and what it asked for.

use super::*;
use bigwig_npy::bigwig::block::BlockReader;
use bigwig_npy::native::read_regions;
use bigwig_npy::stepper::{InflateJob, Step, Stepper};
use bigwig_npy::{ByteRange, Format, IndexPolicy, Layout, Options, Regions};
use std::collections::HashSet;

pub struct Run {
    pub intervals: Vec<u8>,
    pub offsets: Vec<u8>,
    pub genome_order: bool,
    pub asked_twice: usize,
    pub stalls: usize,
    pub most_raw_held: usize,
    /// The rounds of reads open asked for, each a list of (source, offset, len).
    pub open_rounds: Vec<Vec<(usize, u64, u64)>>,
    /// Bytes of every range handed out (open and steps).
    pub fetched: u64,
    /// Inflate jobs the host ran ([`Inflate`]).
    pub jobs_run: usize,
}

/// What the host does with the blocks the stepper hands out to inflate ahead
/// (`Stepper::inflate_ahead`; natively, a URL export's rayon threads run them).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Inflate {
    /// Never asks for them (the wasm module, one thread).
    Off,
    /// Runs each batch in reverse order, and gives it back only when the step waits.
    Late,
    /// Gives every other batch back empty, as a host whose threads failed would.
    Drops,
}

pub fn feed(s: &mut Stepper, sources: &[Vec<u8>], ranges: &[ByteRange]) {
    for r in ranges {
        let src = &sources[r.source];
        let end = ((r.offset + r.len) as usize).min(src.len());
        s.add_range(r.source, r.offset, src[r.offset as usize..end].to_vec());
    }
}

/// Drive a stepper as a host does: all reads land at once (a fast source).
pub fn drive(case: &Case, cache: usize, lookahead: usize) -> Run {
    drive_policy(case, cache, lookahead, IndexPolicy::Auto)
}

pub fn drive_policy(case: &Case, cache: usize, lookahead: usize, policy: IndexPolicy) -> Run {
    let sources: Vec<Vec<u8>> = case
        .sources
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    drive_bytes(
        &sources,
        read_regions(&case.regions).unwrap(),
        cache,
        lookahead,
        policy,
    )
    .unwrap()
}

pub fn drive_bytes(
    sources: &[Vec<u8>],
    regions: Regions,
    cache: usize,
    lookahead: usize,
    policy: IndexPolicy,
) -> Result<Run, bigwig_npy::Error> {
    drive_with(sources, regions, cache, lookahead, policy, Inflate::Off)
}

/// [`drive_bytes`] with a host that inflates blocks ahead as `inflate` says.
pub fn drive_with(
    sources: &[Vec<u8>],
    regions: Regions,
    cache: usize,
    lookahead: usize,
    policy: IndexPolicy,
    inflate: Inflate,
) -> Result<Run, bigwig_npy::Error> {
    let names = (0..sources.len()).map(|i| format!("source {i}")).collect();
    let opts = Options {
        format: Format::Raw,
        layout: Layout::Aos,
        ..Options::default()
    };
    let mut s = Stepper::new(names, opts, cache);
    s.set_index_policy(policy);
    s.set_regions(regions);
    for (i, b) in sources.iter().enumerate() {
        s.set_size(i, b.len() as u64);
    }
    let (mut open_rounds, mut fetched) = (Vec::new(), 0u64);
    loop {
        let missing = s.open()?;
        if missing.is_empty() {
            break;
        }
        assert!(open_rounds.len() < 100, "open does not converge");
        fetched += missing.iter().map(|r| r.len).sum::<u64>();
        open_rounds.push(
            missing
                .iter()
                .map(|r| (r.source, r.offset, r.len))
                .collect(),
        );
        feed(&mut s, sources, &missing);
    }
    while !s.plan_order(1000).unwrap() {}
    let genome_order = s.genome_order();
    let (mut files, mut unordered) = ([Vec::new(), Vec::new()], Vec::new());
    let (mut asked, mut asked_twice, mut stalls, mut most) = (HashSet::new(), 0, 0, 0);
    let (mut out, mut reader, mut batches, mut jobs_run) = (None, BlockReader::new(), 0, 0);
    loop {
        if inflate != Inflate::Off {
            if out.is_some() && s.awaits_inflated() {
                let mut jobs: Vec<InflateJob> = out.take().unwrap();
                batches += 1;
                if inflate == Inflate::Drops && batches % 2 == 0 {
                    jobs.clear();
                }
                jobs.reverse();
                jobs_run += jobs.len();
                s.add_inflated(jobs.into_iter().map(|j| j.run(&mut reader)).collect());
            }
            if out.is_none() {
                let jobs = s.inflate_ahead(64 << 10);
                out = (!jobs.is_empty()).then_some(jobs);
            }
        }
        let step = s.step(1 << 16, lookahead)?;
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
        fetched += ranges.iter().map(|r| r.len).sum::<u64>();
        feed(&mut s, sources, &ranges);
        if s.regions_done() >= 100 {
            most = most.max(s.raw_bytes_held());
        }
    }
    assert!(
        out.is_none(),
        "a batch of blocks to inflate left out at the end"
    );
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
    Ok(Run {
        intervals,
        offsets,
        genome_order,
        asked_twice,
        stalls,
        most_raw_held: most,
        open_rounds,
        fetched,
        jobs_run,
    })
}
