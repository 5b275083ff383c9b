//! Genome-order output put back in input order: encoded regions wait in buckets of
//! consecutive regions (sized by [`bucket_regions`], the core's policy), in memory while
//! they fit a budget and in an unlinked scratch file past it; then every group is written
//! in region order.

use super::OutputDir;
use crate::encoded::{bucket_regions, push_region_encoded, region_len, u32_at};
use crate::error::{Error, Result};
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;

struct Bucket {
    mem: Vec<u8>,
    /// Pieces already in the scratch file: (offset, len).
    spilled: Vec<(u64, usize)>,
}

pub(super) struct Reorder {
    n_samples: usize,
    bucket_regions: usize,
    buckets: Vec<Bucket>,
    staged: usize,
    budget: usize,
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
        let bucket_regions = bucket_regions(n_regions);
        let buckets = (0..n_regions.div_ceil(bucket_regions))
            .map(|_| Bucket {
                mem: Vec::new(),
                spilled: Vec::new(),
            })
            .collect();
        Reorder {
            n_samples,
            bucket_regions,
            buckets,
            staged: 0,
            budget,
            scratch,
            scratch_len: 0,
        }
    }

    pub(super) fn add(&mut self, bytes: &[u8]) -> Result<()> {
        let mut at = 0;
        while at < bytes.len() {
            let r = u32_at(bytes, at) as usize;
            let len = region_len(bytes, at, self.n_samples);
            self.buckets[r / self.bucket_regions]
                .mem
                .extend_from_slice(&bytes[at..at + len]);
            self.staged += len;
            at += len;
        }
        while self.staged > self.budget {
            let big = (0..self.buckets.len())
                .max_by_key(|&b| self.buckets[b].mem.len())
                .unwrap();
            let b = &mut self.buckets[big];
            self.scratch.write_all(&b.mem).map_err(scratch_error)?;
            b.spilled.push((self.scratch_len, b.mem.len()));
            self.scratch_len += b.mem.len() as u64;
            self.staged -= b.mem.len();
            b.mem = Vec::new();
        }
        Ok(())
    }

    /// Write every group in region order.
    pub(super) fn write(mut self, out: &mut OutputDir) -> Result<()> {
        let s = self.n_samples;
        let mut data = Vec::new();
        for (bi, b) in std::mem::take(&mut self.buckets).into_iter().enumerate() {
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
            // Where each region of the bucket starts in `data`.
            let first = bi * self.bucket_regions;
            let mut at_of = vec![usize::MAX; self.bucket_regions];
            let mut at = 0;
            while at < data.len() {
                at_of[u32_at(&data, at) as usize - first] = at;
                at += region_len(&data, at, s);
            }
            for &at in at_of.iter().filter(|&&a| a != usize::MAX) {
                push_region_encoded(&mut out.writer, &data, at, s);
                if out.writer.pending() > 4 << 20 {
                    out.drain()?;
                }
            }
        }
        out.drain()
    }
}
