//! Genome-order output put back in input order, natively: the core's [`Buckets`] say
//! which bucket each encoded region waits in and which bucket goes to the scratch file
//! when; this keeps the bytes (in memory, and in an unlinked scratch file) and writes
//! every group in region order at the end.

use super::OutputDir;
use crate::encoded::EncodedRegions;
use crate::error::{Error, Result};
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
        }
    }

    /// Take encoded regions decoded out of order.
    pub(super) fn add(&mut self, bytes: &[u8]) -> Result<()> {
        for e in EncodedRegions::new(bytes, self.n_samples) {
            let b = self.buckets.add(e.region, e.bytes.len());
            self.held[b].mem.extend_from_slice(e.bytes);
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

    /// Write every group in region order.
    pub(super) fn write(mut self, out: &mut OutputDir) -> Result<()> {
        let per = self.buckets.per();
        let mut data = Vec::new();
        for (bi, b) in std::mem::take(&mut self.held).into_iter().enumerate() {
            data.clear();
            for &(off, len) in &b.spilled {
                let start = data.len();
                data.resize(start + len, 0);
                self.scratch
                    .read_exact_at(&mut data[start..], off)
                    .map_err(scratch_error)?;
            }
            data.extend_from_slice(&b.mem);
            drop(b);
            // Each region of the bucket at its place.
            let first = self.buckets.first(bi);
            let mut at_of = vec![None; per];
            for e in EncodedRegions::new(&data, self.n_samples) {
                at_of[e.region - first] = Some(e);
            }
            for e in at_of.into_iter().flatten() {
                e.push_into(&mut out.writer);
                if out.writer.pending() > 4 << 20 {
                    out.drain()?;
                }
            }
        }
        out.drain()
    }
}
