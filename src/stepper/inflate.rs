//! Inflating ahead: the blocks the next regions in decode order need, whose raw bytes are
//! held, handed to the host as jobs it may run on any thread (natively, on all of
//! `--threads`); their decoded blocks go into the decoded-block cache before the regions
//! are cut, so the one thread that cuts finds them there. One batch is out at a time, and
//! the step stops before its first region until the host gives its blocks back. Which blocks, and how many, is
//! decided here; the host only runs the jobs. A job that fails is dropped: the region's own
//! decode then reads the block again and fails with the message it always had.

use super::{Decoding, Phase, Src, Stepper};
use crate::bigwig::block::{BlockFormat, BlockReader, DecodedBlock};
use crate::error::ByteRange;
use crate::source::Source;
use std::collections::HashSet;

/// Decoded bytes per raw byte assumed before any block is inflated (bedGraph sections
/// inflate about 3-6x, and records take what the section's items took).
const INITIAL_RATIO: u64 = 8;

/// One block to inflate and decode: owned bytes, no reference into the stepper.
#[derive(Debug)]
pub struct InflateJob {
    sample: usize,
    offset: u64,
    format: BlockFormat,
    raw: Vec<u8>,
}

/// A job's result, for [`super::Stepper::add_inflated`].
#[derive(Debug)]
pub struct Inflated {
    sample: usize,
    offset: u64,
    raw: usize,
    block: Result<DecodedBlock, String>,
}

impl InflateJob {
    /// Inflate and decode, with `reader`'s decompressor and buffers (one reader per
    /// thread).
    pub fn run(self, reader: &mut BlockReader) -> Inflated {
        Inflated {
            sample: self.sample,
            offset: self.offset,
            raw: self.raw.len(),
            block: reader.decode(&self.raw, self.format, self.offset),
        }
    }
}

impl Stepper {
    /// Blocks the next regions need, whose raw bytes are held, to inflate on any thread
    /// (about `max_raw` raw bytes; see this module); none before decoding starts, nor
    /// while a batch is out. Steps go on meanwhile up to the batch's first region
    /// ([`Stepper::awaits_inflated`]); give the results back with [`Stepper::add_inflated`].
    pub fn inflate_ahead(&mut self, max_raw: usize) -> Vec<InflateJob> {
        match &mut self.phase {
            Phase::Decoding(d) => d.inflate_ahead(&self.caches, max_raw),
            _ => Vec::new(),
        }
    }

    /// True when the step cannot go on until the blocks out to inflate are back.
    pub fn awaits_inflated(&self) -> bool {
        matches!(&self.phase, Phase::Decoding(d) if d.awaits_inflated())
    }

    /// Decoded blocks of [`Stepper::inflate_ahead`]'s jobs into the decoded-block cache.
    pub fn add_inflated(&mut self, done: Vec<Inflated>) {
        if let Phase::Decoding(d) = &mut self.phase {
            d.add_inflated(done);
        }
    }
}

impl Decoding {
    /// Jobs for the blocks of the regions after those handed out already, up to about
    /// `max_raw` raw bytes, and never more than a quarter of the decoded-block budget once
    /// decoded (they must fit beside the blocks the current regions use, or they would be
    /// evicted before their use and inflated twice), at the ratio of decoded to raw bytes
    /// seen so far. Stops at the first region with a block not held: its bytes are still
    /// on their way. None while a batch is out: the step stops at its first region until
    /// its blocks are back ([`Decoding::awaits_inflated`]).
    pub(super) fn inflate_ahead(&mut self, caches: &[Src], max_raw: usize) -> Vec<InflateJob> {
        if self.awaiting.is_some() {
            return Vec::new();
        }
        let ratio = match self.inflated_bytes {
            (0, _) => INITIAL_RATIO,
            (raw, decoded) => decoded.div_ceil(raw).max(1),
        };
        let budget = max_raw.min(self.decoder.cache.budget() / 4 / ratio as usize);
        let start = self.inflated.max(self.next);
        let mut from = start;
        let mut jobs = Vec::new();
        let mut seen = HashSet::new();
        let mut raw = 0;
        while from < self.export.n_regions() && raw < budget {
            let ranges = self.export.region_ranges(self.order.region(from));
            let cached = |b: &ByteRange| self.decoder.cache.contains(b.source, b.offset);
            if ranges
                .iter()
                .any(|b| !cached(b) && !caches[b.source].has(b.offset, b.len))
            {
                break;
            }
            for b in ranges {
                if cached(&b) || !seen.insert((b.source, b.offset)) {
                    continue;
                }
                let mut bytes = vec![0; b.len as usize];
                if caches[b.source].read_at(b.offset, &mut bytes).is_err() {
                    continue;
                }
                raw += bytes.len();
                jobs.push(InflateJob {
                    sample: b.source,
                    offset: b.offset,
                    format: self.export.inputs[b.source].bigwig.block_format(),
                    raw: bytes,
                });
            }
            from += 1;
        }
        self.inflated = from;
        if !jobs.is_empty() {
            self.awaiting = Some(start);
        }
        jobs
    }

    /// True when the next region to cut is in the batch out: the host waits for it.
    pub(super) fn awaits_inflated(&self) -> bool {
        self.awaiting.is_some_and(|a| self.next >= a)
    }

    /// The batch out is back: `done` holds its blocks (all, some or, when the host could
    /// not run it, none: the regions then inflate their own).
    pub(super) fn add_inflated(&mut self, done: Vec<Inflated>) {
        self.awaiting = None;
        for d in done {
            if let Ok(block) = d.block {
                self.inflated_bytes.0 += d.raw as u64;
                self.inflated_bytes.1 += block.bytes() as u64;
                self.decoder.cache.insert(d.sample, d.offset, block);
            }
        }
    }
}
