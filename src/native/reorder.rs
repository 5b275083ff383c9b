//! Genome-order output put back in input order, natively: the core's [`Buckets`] say
//! which bucket each encoded region waits in, which bucket goes to the scratch file when,
//! and which is written out when; this keeps the bytes (in memory, and in an unlinked
//! scratch file) and writes each bucket's groups in region order.

use super::OutputDir;
use crate::encoded::EncodedRegions;
use crate::error::{Bug, Error, Result};
use crate::reorder::Buckets;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;

#[derive(Default)]
struct Bucket {
    mem: Vec<u8>,
    /// Pieces already in the scratch file: (offset, len).
    spilled: Vec<(u64, usize)>,
}

pub(super) struct Reorder {
    n_samples: usize,
    buckets: Buckets,
    held: Vec<Bucket>,
    scratch: File,
    scratch_len: u64,
    /// A bucket's bytes read back, reused.
    data: Vec<u8>,
}

fn scratch_error(e: std::io::Error) -> Error {
    Error::Output(format!(
        "cannot use scratch file in the output directory: {}",
        super::io_reason(&e)
    ))
}

impl Reorder {
    pub(super) fn new(n_regions: usize, n_samples: usize, scratch: File, budget: usize) -> Self {
        let buckets = Buckets::new(n_regions, Some(budget));
        Reorder {
            n_samples,
            held: (0..buckets.len()).map(|_| Bucket::default()).collect(),
            buckets,
            scratch,
            scratch_len: 0,
            data: Vec::new(),
        }
    }

    /// Take encoded regions decoded out of order; write out the buckets that are ready.
    pub(super) fn add(&mut self, bytes: &[u8], out: &mut OutputDir) -> Result<()> {
        for e in EncodedRegions::new(bytes, self.n_samples) {
            let b = self.buckets.add(e.region, e.bytes.len());
            self.held[b].mem.extend_from_slice(e.bytes);
        }
        while let Some(b) = self.buckets.ready() {
            self.write_bucket(b, out)?;
        }
        while let Some(b) = self.buckets.spill() {
            let b = &mut self.held[b];
            self.scratch.write_all(&b.mem).map_err(scratch_error)?;
            b.spilled.push((self.scratch_len, b.mem.len()));
            self.scratch_len += b.mem.len() as u64;
            b.mem = Vec::new();
        }
        Ok(())
    }

    /// Every region came: what is left is written out.
    pub(super) fn finish(mut self, out: &mut OutputDir) -> Result<()> {
        while let Some(b) = self.buckets.ready() {
            self.write_bucket(b, out)?;
        }
        if !self.buckets.all_written() {
            return Err(Bug::DecodeStopped.into());
        }
        out.drain()
    }

    /// Bucket `bi`'s groups, from memory and the scratch file, in region order.
    fn write_bucket(&mut self, bi: usize, out: &mut OutputDir) -> Result<()> {
        let b = std::mem::take(&mut self.held[bi]);
        let data = if b.spilled.is_empty() {
            &b.mem
        } else {
            let data = &mut self.data;
            data.clear();
            for &(off, len) in &b.spilled {
                let start = data.len();
                data.resize(start + len, 0);
                self.scratch
                    .read_exact_at(&mut data[start..], off)
                    .map_err(scratch_error)?;
            }
            data.extend_from_slice(&b.mem);
            &self.data
        };
        // Each region of the bucket at its place.
        let first = self.buckets.first(bi);
        let mut at_of = vec![None; self.buckets.per()];
        for e in EncodedRegions::new(data, self.n_samples) {
            at_of[e.region - first] = Some(e);
        }
        for e in at_of.into_iter().flatten() {
            e.push_into(&mut out.writer);
            if out.writer.pending() > 4 << 20 {
                out.drain()?;
            }
        }
        Ok(())
    }
}
