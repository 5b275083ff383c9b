//! The concat plan: what the merged dataset holds and where each of its cells comes from
//! (runs of cells of one input, in output order).

use super::check::validate;
use super::input::ConcatInput;
use super::regions::{merge_regions, with_r_idx_map};
use super::Axis;
use crate::dataset::format::GvlFormat;
use crate::dataset::metadata::{written_by, Metadata};
use crate::dataset::npy::regions_npy;
use crate::error::Result;

/// `n` cells of input `src`, the next ones in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub src: usize,
    pub cells: u64,
}

/// What the merged dataset holds and where each of its cells comes from.
#[derive(Debug)]
pub struct ConcatPlan {
    pub axis: Axis,
    pub format: GvlFormat,
    pub metadata: Metadata,
    /// `regions.npy` (C order, as `gvl.concat` saves it).
    pub regions_npy: Vec<u8>,
    /// `input_regions.arrow`.
    pub input_regions_arrow: Vec<u8>,
    pub tracks: Vec<String>,
    pub annot: Vec<String>,
    /// Each input's (regions, samples).
    pub shapes: Vec<(u64, u64)>,
    /// Regions axis: the input of each merged region.
    pub(super) region_src: Vec<u32>,
    /// Samples axis: one region's runs (every region has the same).
    sample_runs: Vec<Run>,
}

impl ConcatPlan {
    pub fn new(inputs: &[ConcatInput], axis: Axis) -> Result<ConcatPlan> {
        validate(inputs, axis)?;
        let first = &inputs[0];
        let shapes = inputs
            .iter()
            .map(|i| (i.n_regions() as u64, i.n_samples() as u64))
            .collect();
        let mut metadata = Metadata {
            written_by: Some(written_by()),
            // The whole, not a part.
            shard: None,
            ..first.metadata.clone()
        };
        match axis {
            Axis::Regions => {
                let (order, region_src, bed) = merge_regions(inputs)?;
                let mut rows = Vec::with_capacity(order.len());
                let mut next = vec![0usize; inputs.len()];
                for &d in &region_src {
                    rows.push(inputs[d as usize].rows[next[d as usize]]);
                    next[d as usize] += 1;
                }
                metadata.n_regions = rows.len();
                Ok(ConcatPlan {
                    axis,
                    format: first.format,
                    regions_npy: regions_npy(&rows, false),
                    input_regions_arrow: with_r_idx_map(&bed, &order)?,
                    metadata,
                    tracks: first.tracks.clone(),
                    annot: first.annot.clone(),
                    shapes,
                    region_src,
                    sample_runs: Vec::new(),
                })
            }
            Axis::Samples => {
                let mut owner: Vec<(&str, usize)> = inputs
                    .iter()
                    .enumerate()
                    .flat_map(|(d, i)| i.metadata.samples.iter().map(move |s| (s.as_str(), d)))
                    .collect();
                owner.sort();
                let mut sample_runs: Vec<Run> = Vec::new();
                for &(_, d) in &owner {
                    push_run(&mut sample_runs, Run { src: d, cells: 1 });
                }
                // Ends may differ only where GenVarLoader extends regions to haplotype
                // lengths (genotypes, refused above); the merged end is their largest.
                let mut rows = first.rows.clone();
                for i in &inputs[1..] {
                    for (r, o) in rows.iter_mut().zip(&i.rows) {
                        r.end = r.end.max(o.end);
                    }
                }
                metadata.samples = owner.iter().map(|(s, _)| s.to_string()).collect();
                let order: Vec<u32> = inverse(&first.r_idx_map);
                Ok(ConcatPlan {
                    axis,
                    format: first.format,
                    regions_npy: regions_npy(&rows, false),
                    input_regions_arrow: with_r_idx_map(&first.bed, &order)?,
                    metadata,
                    tracks: first.tracks.clone(),
                    annot: first.annot.clone(),
                    shapes,
                    region_src: Vec::new(),
                    sample_runs,
                })
            }
        }
    }

    /// Merged regions.
    pub fn n_regions(&self) -> u64 {
        self.metadata.n_regions as u64
    }

    /// The cells of a per-sample track, in the merged order.
    pub fn track_runs(&self) -> Runs<'_> {
        Runs::new(self, true)
    }

    /// The cells of an annotation track (one a region), in the merged order. Along samples
    /// every input holds the same annotation data (checked by the host), so it is input 0's.
    pub fn annot_runs(&self) -> Runs<'_> {
        Runs::new(self, false)
    }
}

/// Append `r`, merged into the last run when it continues it.
pub(super) fn push_run(runs: &mut Vec<Run>, r: Run) {
    match runs.last_mut() {
        Some(last) if last.src == r.src => last.cells += r.cells,
        _ => runs.push(r),
    }
}

/// Destination-ordered runs, made as they are asked for (none are stored: a merge of
/// millions of regions x samples stays small).
pub struct Runs<'a> {
    plan: &'a ConcatPlan,
    per_sample: bool,
    /// The merged region the next run starts in.
    region: u64,
    /// Samples axis: the next run of `plan.sample_runs` (within `region`).
    k: usize,
}

impl<'a> Runs<'a> {
    fn new(plan: &'a ConcatPlan, per_sample: bool) -> Self {
        Runs {
            plan,
            per_sample,
            region: 0,
            k: 0,
        }
    }

    fn step(&mut self) -> Option<Run> {
        let p = self.plan;
        if self.region >= p.n_regions() {
            return None;
        }
        match (p.axis, self.per_sample) {
            (Axis::Regions, _) => {
                let d = p.region_src[self.region as usize] as usize;
                self.region += 1;
                let cells = if self.per_sample { p.shapes[d].1 } else { 1 };
                Some(Run { src: d, cells })
            }
            (Axis::Samples, true) => {
                let r = p.sample_runs[self.k];
                self.k += 1;
                if self.k == p.sample_runs.len() {
                    self.k = 0;
                    self.region += 1;
                }
                Some(r)
            }
            (Axis::Samples, false) => {
                // All of input 0's annotation, one region at a time is pointless: one run.
                let n = p.n_regions() - self.region;
                self.region = p.n_regions();
                Some(Run { src: 0, cells: n })
            }
        }
    }
}

impl Iterator for Runs<'_> {
    type Item = Run;
    fn next(&mut self) -> Option<Run> {
        let mut run = self.step()?;
        // Coalesce: a run continues while the next one is of the same input.
        loop {
            let save = (self.region, self.k);
            match self.step() {
                Some(r) if r.src == run.src => run.cells += r.cells,
                Some(_) => {
                    (self.region, self.k) = save;
                    return Some(run);
                }
                None => return Some(run),
            }
        }
    }
}

/// `order[k]` = the row whose `map` value is `k`.
pub(super) fn inverse(map: &[i64]) -> Vec<u32> {
    let mut order = vec![0u32; map.len()];
    for (i, &k) in map.iter().enumerate() {
        order[k as usize] = i as u32;
    }
    order
}
