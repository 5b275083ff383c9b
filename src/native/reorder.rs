//! Genome-order output put back in input order, natively: the core's [`Buckets`] say
//! which bucket each encoded region waits in, which bucket goes to the scratch file when,
//! and which is written out when; this keeps the bytes (in memory, and in an unlinked
//! scratch file) and writes each bucket's groups in region order.
//!
//! With shuffled regions every bucket waits for the end of the genome sweep, so nearly the
//! whole output is written at once, after decoding: then runs of buckets are written on
//! all threads, each at its place in the files ([`TrackWriter::resumed`]). On one thread
//! that tail took 0.13-0.3 s of a 0.8 s export of the medium corpus, the other core idle.

use super::OutputDir;
use crate::encoded::{Encoded, EncodedRegions};
use crate::error::{Bug, Error, Result};
use crate::layout::TrackWriter;
use crate::reorder::Buckets;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;

/// Bytes of buckets ready at once past which they are written on several threads (or the
/// staging budget, when lower: tests set it low to spill, and so write in parallel too).
const PARALLEL_MIN: usize = 8 << 20;
/// Bytes a thread's track writer buffers before they go to the files.
const DRAIN_AT: usize = 4 << 20;

#[derive(Default)]
struct Bucket {
    mem: Vec<u8>,
    /// Pieces already in the scratch file: (offset, len).
    spilled: Vec<(u64, usize)>,
}

impl Bucket {
    fn bytes(&self) -> usize {
        self.mem.len() + self.spilled.iter().map(|&(_, len)| len).sum::<usize>()
    }
}

pub(super) struct Reorder {
    n_samples: usize,
    threads: usize,
    /// Ready bytes past which runs of buckets are written on all threads.
    parallel_min: usize,
    buckets: Buckets,
    held: Vec<Bucket>,
    /// Records each bucket holds (in memory and spilled): where a later bucket's go.
    records: Vec<u64>,
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
    pub(super) fn new(
        n_regions: usize,
        n_samples: usize,
        scratch: File,
        budget: usize,
        threads: usize,
    ) -> Self {
        let buckets = Buckets::new(n_regions, Some(budget));
        Reorder {
            n_samples,
            threads: threads.max(1),
            parallel_min: budget.min(PARALLEL_MIN),
            held: (0..buckets.len()).map(|_| Bucket::default()).collect(),
            records: vec![0; buckets.len()],
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
            self.records[b] += e.n_records() as u64;
        }
        self.write_ready(out)?;
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
        self.write_ready(out)?;
        if !self.buckets.all_written() {
            return Err(Bug::DecodeStopped.into());
        }
        out.drain()
    }

    /// The buckets ready now, in order: on this thread, or, when they hold more than
    /// `parallel_min` bytes, in runs of about equal bytes on all threads, the first here.
    fn write_ready(&mut self, out: &mut OutputDir) -> Result<()> {
        let ready: Vec<usize> = std::iter::from_fn(|| self.buckets.ready()).collect();
        let bytes: usize = ready.iter().map(|&b| self.held[b].bytes()).sum();
        // Runs of about equal bytes: each bucket in the run its first byte falls in.
        let parts = self.threads.min(ready.len());
        let mut runs: Vec<Vec<usize>> = vec![Vec::new(); parts];
        let mut before = 0;
        for &b in &ready {
            runs[(before * parts / bytes.max(1)).min(parts - 1)].push(b);
            before += self.held[b].bytes();
        }
        runs.retain(|r| !r.is_empty());
        if runs.len() < 2 || bytes < self.parallel_min {
            for b in ready {
                let bucket = std::mem::take(&mut self.held[b]);
                self.write_bucket(b, bucket, out)?;
            }
            return Ok(());
        }
        let files = out.positioned()?;
        // Where each run after the first starts: after the writer's groups and the runs
        // before it.
        let (mut records, mut groups) = (out.writer.n_intervals(), out.writer.n_groups());
        let mut starts = Vec::new();
        for run in &runs {
            starts.push((records, groups));
            records += run.iter().map(|&b| self.records[b]).sum::<u64>();
            groups += run
                .iter()
                .map(|&b| (self.buckets.regions_in(b) * self.n_samples) as u64)
                .sum::<u64>();
        }
        let (layout, format) = out.writer.layout_format();
        let first: Vec<(usize, Bucket)> = runs[0]
            .iter()
            .map(|&b| (b, std::mem::take(&mut self.held[b])))
            .collect();
        let later: Vec<Vec<(usize, Bucket)>> = runs[1..]
            .iter()
            .map(|run| {
                run.iter()
                    .map(|&b| (b, std::mem::take(&mut self.held[b])))
                    .collect()
            })
            .collect();
        let mut data = std::mem::take(&mut self.data);
        let this = &*self;
        let (mine, theirs) = std::thread::scope(|scope| {
            let files = &files;
            let handles: Vec<_> = later
                .into_iter()
                .zip(&starts[1..])
                .map(|(run, &(records, groups))| {
                    scope.spawn(move || -> Result<Vec<u64>> {
                        let mut w = TrackWriter::resumed(layout, format, records, groups);
                        let mut at: Vec<u64> = (0..w.files().len())
                            .map(|i| w.position(i, records, groups))
                            .collect();
                        let mut drain = |w: &mut TrackWriter| {
                            w.drain(|i, bytes| {
                                files.write_at(i, bytes, at[i])?;
                                at[i] += bytes.len() as u64;
                                Ok::<(), Error>(())
                            })
                        };
                        let mut data = Vec::new();
                        for (b, bucket) in run {
                            this.in_order(b, &bucket, &mut data, |e| {
                                e.push_into(&mut w);
                                if w.pending() > DRAIN_AT {
                                    drain(&mut w)?;
                                }
                                Ok(())
                            })?;
                        }
                        drain(&mut w)?;
                        Ok(at)
                    })
                })
                .collect();
            // The first run here, into the export's own writer, while the others are written.
            let mine = first.iter().try_for_each(|(b, bucket)| {
                this.in_order(*b, bucket, &mut data, |e| {
                    e.push_into(&mut out.writer);
                    if out.writer.pending() > DRAIN_AT {
                        out.drain()?;
                    }
                    Ok(())
                })
            });
            let theirs: Vec<Result<Vec<u64>>> = handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(Bug::DecodePanicked.into())))
                .collect();
            (mine, theirs)
        });
        self.data = data;
        // Every thread was waited for; the first failure in file order explains it.
        mine?;
        let mut ends = Vec::new();
        for r in theirs {
            ends = r?;
        }
        out.drain()?;
        out.writer.skip(records - starts[1].0, groups - starts[1].1);
        out.continue_at(&ends)
    }

    /// Bucket `bi`'s groups, from memory and the scratch file, in region order.
    fn write_bucket(&mut self, bi: usize, bucket: Bucket, out: &mut OutputDir) -> Result<()> {
        let mut data = std::mem::take(&mut self.data);
        let res = self.in_order(bi, &bucket, &mut data, |e| {
            e.push_into(&mut out.writer);
            if out.writer.pending() > DRAIN_AT {
                out.drain()?;
            }
            Ok(())
        });
        self.data = data;
        res
    }

    /// Bucket `bi`'s regions (`bucket`, its spilled parts read back into `data`) in region
    /// order, each to `f`.
    fn in_order(
        &self,
        bi: usize,
        bucket: &Bucket,
        data: &mut Vec<u8>,
        mut f: impl FnMut(Encoded<'_>) -> Result<()>,
    ) -> Result<()> {
        let from: &[u8] = if bucket.spilled.is_empty() {
            &bucket.mem
        } else {
            data.clear();
            for &(off, len) in &bucket.spilled {
                let start = data.len();
                data.resize(start + len, 0);
                self.scratch
                    .read_exact_at(&mut data[start..], off)
                    .map_err(scratch_error)?;
            }
            data.extend_from_slice(&bucket.mem);
            data
        };
        // Each region of the bucket at its place.
        let first = self.buckets.first(bi);
        let mut at_of = vec![None; self.buckets.per()];
        for e in EncodedRegions::new(from, self.n_samples) {
            at_of[e.region - first] = Some(e);
        }
        at_of.into_iter().flatten().try_for_each(&mut f)
    }
}
