//! The parallel driver. Regions arrive in any order, but decoding wants locality: a block
//! that many regions touch should be inflated once. So regions are decoded in genome order
//! (sorted by contig and start) in parallel tasks, and their encoded records are put back
//! in input order through buckets of consecutive regions: each bucket's bytes stay in
//! memory while they fit a budget and go to an unlinked scratch file past it. Output is
//! then written bucket by bucket, in region order. Memory is bounded by the budget plus
//! one bucket, not by the number of regions.

use super::OutputDir;
use crate::bigwig::block::BlockReader;
use crate::error::{Error, Result};
use crate::export::{BlockCache, Export};
use crate::interval::Interval;
use crate::layout::encode_aos;
use crate::source::Source;
use rayon::prelude::*;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::sync::mpsc;

/// Encoded records held in memory before buckets spill to the scratch file.
const STAGING_BUDGET: usize = 32 << 20;
/// Regions per chunk a task hands to the reorder stage.
const CHUNK_REGIONS: usize = 128;
/// Decoded blocks a task keeps: tasks walk the genome in order, so a few per sample do.
const TASK_CACHE: usize = 16 << 20;

/// Called with the number of regions decoded so far.
pub type Progress<'a> = dyn Fn(u64) + Sync + 'a;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub regions: usize,
    pub samples: usize,
    pub intervals: u64,
    pub bytes: u64,
}

/// Decode every region of `export` on `pool` and write the groups, in region order, to
/// `out`'s track writer (which the caller commits).
pub fn export_parallel<S: Source + Sync>(
    export: &Export<S>,
    pool: &rayon::ThreadPool,
    out: &mut OutputDir,
    progress: Option<&Progress<'_>>,
) -> Result<Summary> {
    export_parallel_with_budget(export, pool, out, progress, STAGING_BUDGET)
}

/// [`export_parallel`] with a chosen staging budget (tests use a tiny one to exercise the
/// scratch-file path).
#[doc(hidden)]
pub fn export_parallel_with_budget<S: Source + Sync>(
    export: &Export<S>,
    pool: &rayon::ThreadPool,
    out: &mut OutputDir,
    progress: Option<&Progress<'_>>,
    staging_budget: usize,
) -> Result<Summary> {
    let n_regions = export.n_regions();
    let n_samples = export.n_samples();
    let threads = pool.current_num_threads().max(1);

    // Genome order for decoding.
    let mut order: Vec<u32> = (0..n_regions as u32).collect();
    let key = |r: u32| {
        let q = export.query(r as usize, 0);
        (q.chrom, q.start, q.end)
    };
    order.sort_by_key(|&r| (export.regions.list[r as usize].contig.as_str(), key(r)));
    // Few long tasks (a block at a task boundary is inflated twice), each streaming its
    // output in small chunks so memory in flight stays small.
    let task_len = n_regions.div_ceil(threads * 4).max(64);
    let tasks: Vec<&[u32]> = order.chunks(task_len).collect();

    let mut reorder = Reorder::new(n_regions, n_samples, out.scratch_file()?, staging_budget);
    let (tx, rx) = mpsc::sync_channel::<TaskOut>(threads * 2);
    let mut done = 0u64;
    std::thread::scope(|scope| -> Result<()> {
        let producer = scope.spawn(move || {
            pool.install(|| {
                tasks.par_iter().try_for_each_init(
                    || (BlockReader::new(), Vec::new(), vec![0usize; n_samples]),
                    |(reader, recs, counts), task| {
                        let mut cache = BlockCache::new(TASK_CACHE);
                        for chunk in task.chunks(CHUNK_REGIONS) {
                            let out =
                                decode_chunk(export, chunk, reader, &mut cache, recs, counts)?;
                            tx.send(out).map_err(|_| Error::Cancelled)?;
                        }
                        Ok(())
                    },
                )
            })
        });
        let consumed = (|| {
            for t in rx {
                done += t.regions as u64;
                reorder.add(&t)?;
                if let Some(p) = progress {
                    p(done);
                }
            }
            Ok(())
        })();
        // The producer's own error explains a failure better than our hang-up.
        let produced = producer.join().unwrap_or_else(|_| {
            Err(Error::Output(
                "internal error: a decoding thread panicked".into(),
            ))
        });
        produced.and(consumed)
    })?;

    reorder.write(out)?;
    let intervals = out.writer.n_intervals();
    Ok(Summary {
        regions: n_regions,
        samples: n_samples,
        intervals,
        bytes: intervals * 12 + (n_regions * n_samples + 1) as u64 * 8,
    })
}

/// A chunk of a task's regions, encoded: per region `[region u32][count u32 x S][records x 12 bytes]`.
struct TaskOut {
    regions: usize,
    bytes: Vec<u8>,
}

fn decode_chunk<S: Source>(
    export: &Export<S>,
    task: &[u32],
    reader: &mut BlockReader,
    cache: &mut BlockCache,
    recs: &mut Vec<Interval>,
    counts: &mut [usize],
) -> Result<TaskOut> {
    let mut bytes = Vec::new();
    for &r in task {
        export.decode_region(r as usize, reader, cache, recs, counts)?;
        bytes.reserve(4 + counts.len() * 4 + recs.len() * 12);
        bytes.extend_from_slice(&r.to_le_bytes());
        for &c in counts.iter() {
            bytes.extend_from_slice(&(c as u32).to_le_bytes());
        }
        encode_aos(recs, &mut bytes);
    }
    Ok(TaskOut {
        regions: task.len(),
        bytes,
    })
}

struct Bucket {
    mem: Vec<u8>,
    /// Pieces already in the scratch file: (offset, len).
    spilled: Vec<(u64, usize)>,
}

struct Reorder {
    n_samples: usize,
    bucket_regions: usize,
    buckets: Vec<Bucket>,
    staged: usize,
    budget: usize,
    scratch: File,
    scratch_len: u64,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn scratch_error(e: std::io::Error) -> Error {
    Error::Output(format!(
        "cannot use scratch file in the output directory: {}",
        super::io_reason(&e)
    ))
}

impl Reorder {
    fn new(n_regions: usize, n_samples: usize, scratch: File, budget: usize) -> Self {
        let n_buckets = (n_regions / 16).clamp(1, 1024);
        let bucket_regions = n_regions.div_ceil(n_buckets);
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

    fn add(&mut self, t: &TaskOut) -> Result<()> {
        let mut at = 0;
        while at < t.bytes.len() {
            let r = u32_at(&t.bytes, at) as usize;
            let n: usize = (0..self.n_samples)
                .map(|s| u32_at(&t.bytes, at + 4 + 4 * s) as usize)
                .sum();
            let len = 4 + 4 * self.n_samples + n * 12;
            self.buckets[r / self.bucket_regions]
                .mem
                .extend_from_slice(&t.bytes[at..at + len]);
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
    fn write(mut self, out: &mut OutputDir) -> Result<()> {
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
                let r = u32_at(&data, at) as usize;
                at_of[r - first] = at;
                let n: usize = (0..s).map(|i| u32_at(&data, at + 4 + 4 * i) as usize).sum();
                at += 4 + 4 * s + n * 12;
            }
            for &at in at_of.iter().filter(|&&a| a != usize::MAX) {
                let mut rec = at + 4 + 4 * s;
                for i in 0..s {
                    let n = u32_at(&data, at + 4 + 4 * i) as usize;
                    out.writer.push_group_encoded(&data[rec..rec + n * 12]);
                    rec += n * 12;
                }
                if out.writer.pending() > 4 << 20 {
                    out.drain()?;
                }
            }
        }
        out.drain()
    }
}
