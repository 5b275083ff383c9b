//! `plan`: what a dataset job (or each of its N shards) will read and write, from the BED,
//! the sample tables and the sources' headers and indexes only (no data block is read):
//! to choose N and the resources of each shard job before submitting them.

use super::dataset::trackset::TrackSet;
use super::dataset::{AnnotSpec, TrackSpec};
use super::fetch::Location;
use super::read_through::with_read_through_head;
use super::{is_url, read_bed, HttpOptions};
use crate::dataset::shard::{Shard, ShardBy};
use crate::dataset::{BedTable, DatasetRegions};
use crate::error::{Error, Result, Stop};
use crate::export::{Export, IndexPolicy, Options};
use crate::layout::{Format, Layout};
use crate::source::Source;
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;

/// Bytes of output a byte of compressed data block is reckoned to give (records are 12
/// bytes, as bedGraph items; zlib shrinks signal about 2-4x). Measured on the corpora in
/// docs/BENCHMARKS.md; an estimate, not a bound.
const EXPANSION: f64 = 3.0;

#[derive(Debug, Default, Clone, Serialize)]
pub struct Bytes {
    pub local: u64,
    pub remote: u64,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct ShardPlan {
    pub k: u32,
    pub regions: usize,
    pub samples: usize,
    /// Data blocks it reads (each once per source).
    pub blocks: u64,
    /// Compressed bytes of those blocks.
    pub bytes_to_read: Bytes,
    /// Estimated bytes of the part's dataset.
    pub output_bytes: u64,
    /// Suggested memory for its job.
    pub mem_bytes: u64,
    /// Suggested threads for its job.
    pub threads: usize,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct OneJob {
    pub blocks: u64,
    pub bytes_to_read: Bytes,
}

#[derive(Debug, Serialize)]
pub struct Plan {
    pub regions: usize,
    pub samples: usize,
    pub tracks: usize,
    pub annotation_tracks: usize,
    pub sources: Bytes,
    pub blocks: u64,
    pub bytes_to_read: Bytes,
    pub output_bytes: u64,
    /// What one unsharded job reads: parts read a block again where regions of two parts
    /// share it (by regions, a BED whose rows are not in genome order).
    pub one_job: OneJob,
    /// Compressed bytes all parts read over those one job reads (1.0: no block read twice).
    pub parts_read_over_one_job: f64,
    pub shard_by: ShardBy,
    pub shards: Vec<ShardPlan>,
    /// How `output_bytes` was estimated.
    pub estimate: String,
}

/// One source, as the plan needs it.
struct SourceJob<'a> {
    /// Its sample's index (None: an annotation track, in every part).
    sample: Option<usize>,
    path: &'a str,
}

/// Per shard: (blocks, bytes, estimated records) of one source; and (blocks, bytes) of
/// the whole job.
type Counts = (Vec<(u64, u64, f64)>, (u64, u64));

#[allow(clippy::too_many_arguments)]
pub fn plan(
    bed: &Path,
    tracks: &[TrackSpec],
    annot: &[AnnotSpec],
    max_jitter: u32,
    n: u32,
    by: ShardBy,
    http: HttpOptions,
    pool: &rayon::ThreadPool,
) -> Result<Plan> {
    if tracks.is_empty() {
        return Err(Error::input("no tracks given: pass --track NAME=TABLE"));
    }
    let set = TrackSet::read(tracks, annot)?;
    let samples = set.samples()?;
    let (input, table) = read_bed(bed, BedTable::new())?;
    let regions = DatasetRegions::new(input, table, max_jitter)?;
    let shard = |k| Shard { k, n, by };
    match by {
        ShardBy::Regions => regions.check_parts(n)?,
        ShardBy::Samples => shard(1).check(samples.len(), "samples")?,
    }
    // Each sorted region's part (by regions: the part of its input row).
    let part_of_row = |row: usize| -> usize {
        (1..=n)
            .find(|&k| shard(k).range(regions.len()).contains(&row))
            .unwrap_or(n) as usize
            - 1
    };
    let region_part: Vec<usize> = regions
        .order()
        .iter()
        .map(|&i| part_of_row(i as usize))
        .collect();
    let sample_part: Vec<usize> = (0..samples.len())
        .map(|s| {
            (1..=n)
                .find(|&k| shard(k).range(samples.len()).contains(&s))
                .unwrap_or(n) as usize
                - 1
        })
        .collect();
    let jobs: Vec<SourceJob<'_>> = set
        .sources(&samples)
        .into_iter()
        .map(|(sample, path)| SourceJob { sample, path })
        .collect();
    let sorted = regions.sorted();
    let parts = n as usize;
    let per_source: Vec<Result<Counts>> = pool.install(|| {
        jobs.par_iter()
            .map(|job| {
                let at = Location::new(Path::new(job.path));
                with_read_through_head(&at, http.clone(), |input| {
                    let mut export = Export::new(
                        vec![input],
                        sorted.clone(),
                        Options {
                            format: Format::Raw,
                            layout: Layout::Soa,
                            max_mem: u64::MAX,
                        },
                    )?;
                    export
                        .read_indexes(IndexPolicy::Auto)
                        .map_err(Stop::complete)?;
                    Ok(counts(
                        &export,
                        |r| match (by, job.sample) {
                            (ShardBy::Regions, _) => vec![region_part[r]],
                            (ShardBy::Samples, Some(s)) => vec![sample_part[s]],
                            // An annotation track is in every part by samples.
                            (ShardBy::Samples, None) => (0..parts).collect(),
                        },
                        parts,
                    ))
                })
            })
            .collect()
    });
    let mut shards: Vec<ShardPlan> = (1..=n)
        .map(|k| {
            let range = match by {
                ShardBy::Regions => shard(k).range(regions.len()),
                ShardBy::Samples => shard(k).range(samples.len()),
            };
            ShardPlan {
                k,
                regions: if by == ShardBy::Regions {
                    range.len()
                } else {
                    regions.len()
                },
                samples: if by == ShardBy::Samples {
                    range.len()
                } else {
                    samples.len()
                },
                ..Default::default()
            }
        })
        .collect();
    let mut records = vec![0f64; parts];
    let mut sources = Bytes::default();
    let mut one_job = OneJob::default();
    for (job, counts) in jobs.iter().zip(per_source) {
        let (counts, (blocks, bytes)) = counts?;
        let remote = is_url(job.path);
        one_job.blocks += blocks;
        if remote {
            sources.remote += 1;
            one_job.bytes_to_read.remote += bytes;
        } else {
            sources.local += 1;
            one_job.bytes_to_read.local += bytes;
        }
        for (k, (blocks, bytes, recs)) in counts.into_iter().enumerate() {
            let p = &mut shards[k];
            p.blocks += blocks;
            if remote {
                p.bytes_to_read.remote += bytes;
            } else {
                p.bytes_to_read.local += bytes;
            }
            records[k] += recs;
        }
    }
    let track_files = (tracks.len() + annot.len()) as u64;
    for (p, recs) in shards.iter_mut().zip(&records) {
        let cells = (p.regions * p.samples) as u64;
        p.output_bytes = (*recs * 12.0) as u64
            + (cells + 1) * 8 * tracks.len() as u64
            + (p.regions as u64 + 1) * 8 * annot.len() as u64
            + p.regions as u64 * (16 + 48)
            + 4096 * (2 + track_files);
        // Measured peak RSS: ~40 MB at rest, regions (input, sorted, Arrow) ~100 bytes
        // each, read-ahead and write buffers per thread; with URL sources the fetch
        // threads' windows.
        let remote = p.bytes_to_read.remote > 0;
        p.threads = if remote { 2 } else { 4 };
        p.mem_bytes = (64 << 20)
            + 256 * regions.len() as u64
            + (p.threads as u64) * (16 << 20)
            + if remote { 64 << 20 } else { 0 };
    }
    let sum = |f: &dyn Fn(&ShardPlan) -> u64| shards.iter().map(f).sum::<u64>();
    let parts_bytes = sum(&|p| p.bytes_to_read.local + p.bytes_to_read.remote);
    let one_bytes = one_job.bytes_to_read.local + one_job.bytes_to_read.remote;
    Ok(Plan {
        regions: regions.len(),
        samples: samples.len(),
        tracks: tracks.len(),
        annotation_tracks: annot.len(),
        sources,
        blocks: sum(&|p| p.blocks),
        bytes_to_read: Bytes {
            local: sum(&|p| p.bytes_to_read.local),
            remote: sum(&|p| p.bytes_to_read.remote),
        },
        output_bytes: sum(&|p| p.output_bytes),
        parts_read_over_one_job: if one_bytes == 0 {
            1.0
        } else {
            (parts_bytes as f64 / one_bytes as f64 * 1000.0).round() / 1000.0
        },
        one_job,
        shard_by: by,
        shards,
        estimate: format!(
            "output_bytes: {EXPANSION}x the compressed bytes of the blocks each region overlaps, \
             in proportion to the overlap, plus offsets, regions.npy and the Arrow table; \
             blocks and bytes_to_read are exact (from the indexes)"
        ),
    })
}

/// Per part: the blocks one source reads (once each), their bytes, and the records the
/// regions are estimated to take from them.
fn counts<S: Source>(
    export: &Export<S>,
    parts_of: impl Fn(usize) -> Vec<usize>,
    parts: usize,
) -> Counts {
    let mut seen = vec![std::collections::HashSet::new(); parts];
    let mut out = vec![(0u64, 0u64, 0f64); parts];
    let mut all = std::collections::HashSet::new();
    let mut whole = (0u64, 0u64);
    for r in 0..export.n_regions() {
        let q = export.query(r, 0);
        let ks = parts_of(r);
        for leaf in export.leaves(r, 0) {
            if all.insert(leaf.offset) {
                whole.0 += 1;
                whole.1 += leaf.size;
            }
            let share = if leaf.start_chrom == leaf.end_chrom && leaf.end_base > leaf.start_base {
                let overlap = q
                    .end
                    .min(leaf.end_base)
                    .saturating_sub(q.start.max(leaf.start_base));
                f64::from(overlap) / f64::from(leaf.end_base - leaf.start_base)
            } else {
                1.0
            };
            for &k in &ks {
                if seen[k].insert(leaf.offset) {
                    out[k].0 += 1;
                    out[k].1 += leaf.size;
                }
                out[k].2 += share * leaf.size as f64 * EXPANSION / 12.0;
            }
        }
    }
    (out, whole)
}
