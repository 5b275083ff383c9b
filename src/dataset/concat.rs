//! `gvl.concat`: merging datasets along the region or the sample axis, as GenVarLoader
//! 0.43.1 does it, for datasets of tracks (no genotypes). Every check GenVarLoader makes
//! runs here, before a byte moves, plus the ones that keep a lying input from turning
//! into wrong data (each input's files must agree with each other and with this tool's
//! sort). The plan says which cells of which input go where; the host copies the bytes.
//!
//! Along regions the merged regions are sorted as one BED of all the inputs' rows (input
//! order, then GenVarLoader's sort); every input is sorted already, so each one's cells
//! are taken in its own order. Along samples the merged samples are sorted and, region by
//! region, each input gives its samples' cells in its own order. Either way every input's
//! track files are read once, front to back, and the output is written front to back.

use super::arrow::{int_column, str_column, write_batch};
use super::format::GvlFormat;
use super::metadata::{written_by, Metadata};
use super::npy::{parse_regions_npy, regions_npy, RegionRow};
use super::{natural_contigs, sorted_order};
use crate::error::{shown, Error, Result};
use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch};
use arrow_schema::{Field, Schema};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// Same samples, regions merged (sorted).
    Regions,
    /// Same regions, disjoint samples merged (sorted).
    Samples,
}

impl std::str::FromStr for Axis {
    type Err = Error;
    fn from_str(s: &str) -> Result<Axis> {
        match s {
            "regions" => Ok(Axis::Regions),
            "samples" => Ok(Axis::Samples),
            _ => Err(Error::input(format!(
                "axis: expected 'regions' or 'samples', got '{}'",
                shown(s)
            ))),
        }
    }
}

/// One input dataset: what its files say, checked against each other.
#[derive(Debug)]
pub struct ConcatInput {
    /// How messages name it (its path).
    pub name: String,
    pub metadata: Metadata,
    pub format: GvlFormat,
    /// `regions.npy`.
    pub rows: Vec<RegionRow>,
    /// `input_regions.arrow` without `r_idx_map`, in input order.
    pub bed: RecordBatch,
    /// Each input row's position in `rows`.
    pub r_idx_map: Vec<i64>,
    /// Per-sample track names (`intervals/*`), sorted.
    pub tracks: Vec<String>,
    /// Annotation track names (`annot_intervals/*`), sorted.
    pub annot: Vec<String>,
}

impl ConcatInput {
    /// From the dataset's files: `metadata.json`, `regions.npy`, `input_regions.arrow`,
    /// the directories under `intervals/` and `annot_intervals/`, and whether it has a
    /// `genotypes/` directory.
    pub fn new(
        name: &str,
        metadata_json: &[u8],
        regions: &[u8],
        arrow: &[u8],
        mut tracks: Vec<String>,
        mut annot: Vec<String>,
        has_genotypes: bool,
    ) -> Result<ConcatInput> {
        let metadata = Metadata::parse(&format!("{name}/metadata.json"), metadata_json)?;
        let format = metadata.format()?;
        if has_genotypes || metadata.has_variants() {
            return Err(Error::input(format!(
                "{name}: has genotypes; this tool merges datasets of tracks only (use gvl.concat)"
            )));
        }
        let rows = parse_regions_npy(&format!("{name}/regions.npy"), regions)?;
        let at = format!("{name}/input_regions.arrow");
        let batch = super::arrow::read_file(&at, arrow)?;
        let (bed, r_idx_map) = split_r_idx_map(&at, batch)?;
        let n = metadata.n_regions;
        if rows.len() != n || bed.num_rows() != n {
            return Err(Error::input(format!(
                "{name}: metadata.json says {n} regions, regions.npy holds {} and input_regions.arrow {}",
                rows.len(),
                bed.num_rows()
            )));
        }
        tracks.sort();
        annot.sort();
        if let Some(t) = tracks.iter().find(|t| annot.contains(t)) {
            return Err(Error::input(format!(
                "{name}: '{}' is both a track and an annotation track (GenVarLoader cannot open it)",
                shown(t)
            )));
        }
        let input = ConcatInput {
            name: name.to_string(),
            metadata,
            format,
            rows,
            bed,
            r_idx_map,
            tracks,
            annot,
        };
        input.check_rows()?;
        Ok(input)
    }

    pub fn n_regions(&self) -> usize {
        self.rows.len()
    }
    pub fn n_samples(&self) -> usize {
        self.metadata.samples.len()
    }

    /// `r_idx_map` is a permutation, and the region it sends each BED row to is that row
    /// (contig, start and end with the jitter): `regions.npy` and `input_regions.arrow`
    /// describe the same regions.
    fn check_rows(&self) -> Result<()> {
        let at = format!("{}/input_regions.arrow", self.name);
        let n = self.rows.len();
        let chrom = str_column(&at, &self.bed, "chrom")?;
        let start = int_column(&at, &self.bed, "chromStart")?;
        let end = int_column(&at, &self.bed, "chromEnd")?;
        let contig_index: HashMap<&str, i32> = self
            .metadata
            .contigs
            .iter()
            .enumerate()
            .map(|(k, c)| (c.as_str(), k as i32))
            .collect();
        let j = i64::from(self.metadata.max_jitter);
        let mut seen = vec![false; n];
        for (i, &k) in self.r_idx_map.iter().enumerate() {
            let bad = |why: String| {
                Error::input(format!(
                    "{at} row {i}: {why}; the dataset's files disagree (regions.npy, input_regions.arrow, metadata.json)"
                ))
            };
            if k < 0 || k as usize >= n || std::mem::replace(&mut seen[k as usize], true) {
                return Err(bad(format!("r_idx_map {k} is not a permutation of 0..{n}")));
            }
            let r = self.rows[k as usize];
            let (c, s, e) = (chrom[i].as_deref(), start[i], end[i]);
            let want_contig = c.and_then(|c| contig_index.get(c)).copied();
            if want_contig != Some(r.contig)
                || s.map(|s| s - j) != Some(i64::from(r.start))
                || e.map(|e| e + j) != Some(i64::from(r.end))
            {
                return Err(bad(format!(
                    "{}:{}-{} is stored as region {k} (contig {} start {} end {}, max_jitter {j})",
                    shown(c.unwrap_or("null")),
                    s.map_or("null".into(), |v| v.to_string()),
                    e.map_or("null".into(), |v| v.to_string()),
                    r.contig,
                    r.start,
                    r.end
                )));
            }
        }
        Ok(())
    }

    /// The (contig index, start, end) of every BED row, for sorting.
    fn keys(&self) -> Vec<(u32, i64, i64)> {
        self.r_idx_map
            .iter()
            .map(|&k| {
                let r = self.rows[k as usize];
                (r.contig as u32, i64::from(r.start), i64::from(r.end))
            })
            .collect()
    }
}

/// The BED columns and `r_idx_map` (Int64, as GenVarLoader writes it).
fn split_r_idx_map(at: &str, batch: RecordBatch) -> Result<(RecordBatch, Vec<i64>)> {
    let Some(k) = batch.schema().index_of("r_idx_map").ok() else {
        return Err(Error::input(format!("{at}: no r_idx_map column")));
    };
    let map = int_column(at, &batch, "r_idx_map")?;
    let map = map
        .into_iter()
        .collect::<Option<Vec<i64>>>()
        .ok_or_else(|| Error::input(format!("{at}: r_idx_map has nulls")))?;
    let mut bed = batch;
    bed.remove_column(k);
    Ok((bed, map))
}

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
    region_src: Vec<u32>,
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
fn push_run(runs: &mut Vec<Run>, r: Run) {
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
fn inverse(map: &[i64]) -> Vec<u32> {
    let mut order = vec![0u32; map.len()];
    for (i, &k) in map.iter().enumerate() {
        order[k as usize] = i as u32;
    }
    order
}

/// Regions axis: the merged BED (the inputs' rows one after another), its sorted order,
/// and the input each sorted region comes from. Each input must come out in its own stored
/// order, or its cells would be taken for the wrong regions.
fn merge_regions(inputs: &[ConcatInput]) -> Result<(Vec<u32>, Vec<u32>, RecordBatch)> {
    let first = &inputs[0];
    let mut keys = Vec::new();
    let mut src = Vec::new();
    for (d, i) in inputs.iter().enumerate() {
        keys.extend(i.keys());
        src.extend(std::iter::repeat_n(d as u32, i.n_regions()));
    }
    // Contig indices are into the inputs' (equal) contig lists, in natural order; sort by
    // name again, so an input whose list is not in this tool's natural order is caught.
    let (_, rank) = natural_contigs(&first.metadata.contigs);
    let order = sorted_order(keys.len(), |i| {
        let (c, s, e) = keys[i];
        (rank[c as usize], s, e)
    });
    let mut next = vec![0i64; inputs.len()];
    let mut starts = vec![0usize; inputs.len()];
    for d in 1..inputs.len() {
        starts[d] = starts[d - 1] + inputs[d - 1].n_regions();
    }
    let mut region_src = Vec::with_capacity(order.len());
    for &m in &order {
        let d = src[m as usize] as usize;
        let row = m as usize - starts[d];
        if inputs[d].r_idx_map[row] != next[d] {
            let i = &inputs[d];
            return Err(Error::input(format!(
                "{}: its regions are not stored in the order this tool sorts them (BED row {row} \
                 is region {} of regions.npy, expected {}); its contigs ({}) may sort differently \
                 here than in the tool that wrote it",
                i.name,
                i.r_idx_map[row],
                next[d],
                i.metadata
                    .contigs
                    .iter()
                    .map(|c| shown(c).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        next[d] += 1;
        region_src.push(d as u32);
    }
    let schema = first.bed.schema();
    let beds: Vec<RecordBatch> = inputs
        .iter()
        .map(|i| in_columns_of(&i.bed, &schema, &i.name))
        .collect::<Result<_>>()?;
    let bed = arrow_select::concat::concat_batches(&schema, &beds).map_err(|e| {
        Error::input(format!(
            "{}: cannot merge the inputs' input_regions.arrow: {e}",
            first.name
        ))
    })?;
    Ok((order, region_src, bed))
}

/// `bed` with its columns in the order of `schema` (same names, same types).
fn in_columns_of(bed: &RecordBatch, schema: &Schema, name: &str) -> Result<RecordBatch> {
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| {
            let c = bed.column_by_name(f.name()).ok_or_else(|| {
                Error::input(format!(
                    "{name}/input_regions.arrow: no column '{}'",
                    f.name()
                ))
            })?;
            if c.data_type() != f.data_type() {
                return Err(Error::input(format!(
                    "{name}/input_regions.arrow: column '{}' is {}, but the first input's is {}",
                    f.name(),
                    c.data_type(),
                    f.data_type()
                )));
            }
            Ok(c.clone())
        })
        .collect::<Result<_>>()?;
    RecordBatch::try_new(Arc::new(schema.clone()), columns)
        .map_err(|e| Error::input(format!("{name}/input_regions.arrow: {e}")))
}

/// `input_regions.arrow`: `bed` plus `r_idx_map` (row `order[k]` is region `k`).
fn with_r_idx_map(bed: &RecordBatch, order: &[u32]) -> Result<Vec<u8>> {
    let mut map = vec![0i64; order.len()];
    for (k, &i) in order.iter().enumerate() {
        map[i as usize] = k as i64;
    }
    let mut fields: Vec<Field> = bed
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new("r_idx_map", arrow_schema::DataType::Int64, true));
    let mut columns = bed.columns().to_vec();
    columns.push(Arc::new(Int64Array::from(map)));
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| Error::Output(format!("input_regions.arrow: {e}")))?;
    write_batch(&batch)
}

/// The order to merge `inputs` in: parts of a sharded job (`dataset --shard`) by their
/// number, whatever order they were given in (a shell sorts `part10` before `part2`),
/// after checking they are all the parts of one job along `axis`; other inputs as given.
pub fn part_order(inputs: &[ConcatInput], axis: Axis) -> Result<Vec<usize>> {
    let given: Vec<usize> = (0..inputs.len()).collect();
    let Some(first) = inputs
        .iter()
        .find_map(|i| i.metadata.shard.as_ref().map(|s| (i, s)))
    else {
        return Ok(given);
    };
    let (named, info) = first;
    let mut slots: Vec<Option<usize>> = vec![None; info.n as usize];
    for (d, i) in inputs.iter().enumerate() {
        let Some(s) = &i.metadata.shard else {
            return Err(Error::input(format!(
                "{}: not a part of a sharded job, but {} is part {}/{} of job {}: merge the parts of one job",
                i.name, named.name, info.k, info.n, info.job
            )));
        };
        if s.job != info.job || s.n != info.n {
            return Err(Error::input(format!(
                "{}: part {}/{} of job {}, but {} is part {}/{} of job {}: parts of different jobs",
                i.name, s.k, s.n, s.job, named.name, info.k, info.n, info.job
            )));
        }
        let want = match axis {
            Axis::Regions => super::shard::ShardBy::Regions,
            Axis::Samples => super::shard::ShardBy::Samples,
        };
        if s.by != want {
            return Err(Error::input(format!(
                "{}: a part by {}, merged along {}: use --axis {}",
                i.name,
                s.by.as_str(),
                want.as_str(),
                s.by.as_str()
            )));
        }
        match slots.get_mut(s.k as usize - 1) {
            Some(slot @ None) => *slot = Some(d),
            Some(Some(other)) => {
                return Err(Error::input(format!(
                    "{} and {}: both are part {}/{} of job {}",
                    inputs[*other].name, i.name, s.k, s.n, s.job
                )))
            }
            None => {
                return Err(Error::input(format!(
                    "{}: part {}/{} is out of range",
                    i.name, s.k, s.n
                )))
            }
        }
    }
    let missing: Vec<String> = (1..=info.n)
        .filter(|k| slots[*k as usize - 1].is_none())
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(Error::input(format!(
            "part{} {} of {} of job {} missing: merge all the parts (each is written by `dataset --shard K/{}`)",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            info.n,
            info.job,
            info.n
        )));
    }
    Ok(slots.into_iter().flatten().collect())
}

/// GenVarLoader's preconditions (`_concat_validate.py`), each naming the input.
fn validate(inputs: &[ConcatInput], axis: Axis) -> Result<()> {
    let err = |m: String| Err(Error::input(m));
    if inputs.len() < 2 {
        return err(format!(
            "concat needs at least two datasets, got {}",
            inputs.len()
        ));
    }
    let first = &inputs[0];
    for (d, i) in inputs.iter().enumerate() {
        if inputs[..d].iter().any(|o| o.name == i.name) && axis == Axis::Samples {
            return err(format!("{}: given twice", i.name));
        }
    }
    for i in &inputs[1..] {
        let differs = |what: &str, a: String, b: String| {
            err(format!(
                "{}: {what} {a}, but {} has {b}; all inputs must agree",
                i.name, first.name
            ))
        };
        let list = |v: &[String]| {
            format!(
                "[{}]",
                v.iter()
                    .map(|s| format!("'{}'", shown(s)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        if i.format != first.format {
            return differs(
                "is in dataset format",
                i.format.format_version().into(),
                first.format.format_version().into(),
            );
        }
        if i.metadata.max_jitter != first.metadata.max_jitter {
            return differs(
                "has max_jitter",
                i.metadata.max_jitter.to_string(),
                first.metadata.max_jitter.to_string(),
            );
        }
        if i.metadata.contigs != first.metadata.contigs {
            return differs(
                "has contigs",
                list(&i.metadata.contigs),
                list(&first.metadata.contigs),
            );
        }
        if i.tracks != first.tracks {
            return differs("has tracks", list(&i.tracks), list(&first.tracks));
        }
        if i.annot != first.annot {
            return differs("has annotation tracks", list(&i.annot), list(&first.annot));
        }
    }
    match axis {
        Axis::Samples => {
            for i in &inputs[1..] {
                if i.n_regions() != first.n_regions()
                    || i.bed != first.bed
                    || i.r_idx_map != first.r_idx_map
                {
                    return err(format!(
                        "{}: its regions differ from {}'s; along samples, all inputs must have the same regions (the same BED)",
                        i.name, first.name
                    ));
                }
            }
            let mut seen: HashMap<&str, &str> = HashMap::new();
            for i in inputs {
                for s in &i.metadata.samples {
                    if let Some(other) = seen.insert(s, &i.name) {
                        return err(format!(
                            "sample '{}' is in both {other} and {}; along samples, the inputs' samples must not overlap",
                            shown(s),
                            i.name
                        ));
                    }
                }
            }
        }
        Axis::Regions => {
            for i in inputs {
                let keys = i.keys();
                let mut sorted: Vec<usize> = (0..keys.len()).collect();
                sorted.sort_unstable_by_key(|&k| keys[k]);
                if let Some(w) = sorted.windows(2).find(|w| keys[w[0]] == keys[w[1]]) {
                    let r = i.rows[i.r_idx_map[w[0]] as usize];
                    let j = i64::from(i.metadata.max_jitter);
                    return err(format!(
                        "{}: region {}:{}-{} is in it twice (BED rows {} and {}); along regions, \
                         the merged order of such rows is ambiguous (GenVarLoader refuses them too): \
                         remove the duplicate",
                        i.name,
                        shown(&i.metadata.contigs[r.contig as usize]),
                        i64::from(r.start) + j,
                        i64::from(r.end) - j,
                        w[0].min(w[1]),
                        w[0].max(w[1])
                    ));
                }
            }
            for i in &inputs[1..] {
                if i.metadata.samples != first.metadata.samples {
                    return err(format!(
                        "{}: its samples differ from {}'s; along regions, all inputs must have the same samples",
                        i.name, first.name
                    ));
                }
                let names = |b: &RecordBatch| {
                    let mut v: Vec<String> = b
                        .schema()
                        .fields()
                        .iter()
                        .map(|f| f.name().clone())
                        .collect();
                    v.sort();
                    v
                };
                if names(&i.bed) != names(&first.bed) {
                    return err(format!(
                        "{}: its BED columns {:?} differ from {}'s {:?}; all inputs must have the same BED columns",
                        i.name,
                        names(&i.bed),
                        first.name,
                        names(&first.bed)
                    ));
                }
            }
            let mut seen: HashMap<String, &str> = HashMap::new();
            for i in inputs {
                if i.bed.column_by_name("name").is_none() {
                    continue;
                }
                let at = format!("{}/input_regions.arrow", i.name);
                for name in str_column(&at, &i.bed, "name")?.into_iter().flatten() {
                    if let Some(other) = seen.insert(name.clone(), &i.name) {
                        let place = if other == i.name {
                            format!("twice in {other}")
                        } else {
                            format!("in both {other} and {}", i.name)
                        };
                        return err(format!(
                            "region name '{}' is {place}; region names must stay unique in the merged dataset",
                            shown(&name)
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
