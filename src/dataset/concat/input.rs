//! One input dataset of a concat: its files read and checked against each other.

use crate::dataset::arrow::{int_column, str_column};
use crate::dataset::format::GvlFormat;
use crate::dataset::metadata::Metadata;
use crate::dataset::npy::{parse_regions_npy, RegionRow};
use crate::error::{shown, Error, Result};
use arrow_array::RecordBatch;
use std::collections::HashMap;

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
        let batch = crate::dataset::arrow::read_file(&at, arrow)?;
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
    pub(super) fn keys(&self) -> Vec<(u32, i64, i64)> {
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
pub(super) fn split_r_idx_map(at: &str, batch: RecordBatch) -> Result<(RecordBatch, Vec<i64>)> {
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
