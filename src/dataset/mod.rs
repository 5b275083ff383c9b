//! GenVarLoader datasets: what `gvl.write(path, bed, tracks=[gvl.BigWigs(...)],
//! annot_tracks={...}, max_jitter=j)` writes (GenVarLoader 0.43.1 in format 2.0, 0.35 in
//! format 1.0: [`GvlFormat`]), minus the track arrays themselves, which the export
//! machinery writes from [`DatasetRegions::sorted`]; what `gvl.update` adds
//! ([`stored`]) and what `gvl.concat` merges ([`concat`]). No files or threads here: the
//! native layer writes the directory, the wasm layer hands out the same bytes.
//!
//! ```text
//! metadata.json                 samples (code point order), contigs (natural order), ...
//! input_regions.arrow           the BED in input order + r_idx_map (its sorted position)
//! regions.npy                   (R, 4) <i4: contig index, start - j, end + j, strand
//! intervals/<track>/            per sample: offsets (R*S + 1), regions sorted, jitter applied
//!     format 2: starts.npy ends.npy values.npy offsets.npy   format 1: intervals.npy offsets.npy
//! annot_intervals/<name>/       one bigWig for all samples: offsets (R + 1), same files
//! ```
//!
//! Sorted order is GenVarLoader's: contigs in natural order, then start, then end. Ties keep
//! input order. GenVarLoader's own sort is not stable, and `Dataset.open` sorts again to
//! find each row's strand, so identical regions on opposite strands could come back
//! swapped: they are an error here (same-strand duplicates are fine, their data is equal).

#[cfg(feature = "dataset")]
pub mod arrow;
#[cfg(feature = "dataset")]
pub mod concat;
pub mod format;
pub mod metadata;
pub mod natural;
pub mod npy;
pub mod samples;
pub mod shard;
pub mod stored;
pub mod table;

pub use format::GvlFormat;
pub use metadata::Metadata;
pub use npy::RegionRow;
pub use samples::{dataset_samples, SampleRow, SampleTable};
pub use table::BedTable;

use crate::error::{shown, Error, Result};
use crate::region::Regions;

/// A dataset's regions: as given, and sorted with the jitter applied.
#[derive(Debug)]
pub struct DatasetRegions {
    /// As given, in input order.
    input: Regions,
    table: BedTable,
    /// Distinct contig names in natural order (metadata `contigs`).
    contigs: Vec<String>,
    /// A region contig id's index in `contigs`.
    contig_index: Vec<u32>,
    /// `order[k]`: the input index of the `k`-th sorted region.
    order: Vec<u32>,
    /// Sorted, each widened by the jitter: what every track exports.
    sorted: Regions,
    max_jitter: u32,
}

impl DatasetRegions {
    /// `input` and `table` as parsed together (see [`crate::bed::BedParser::with_fields`]).
    pub fn new(input: Regions, mut table: BedTable, max_jitter: u32) -> Result<Self> {
        table.infer_extra_columns();
        natural::check_names(input.contigs())
            .map_err(|m| Error::input(format!("{}: {m}", input.name)))?;
        let (contigs, contig_index) = natural_contigs(input.contigs());
        let order = sorted_order(input.len(), |i| {
            let r = input.get(i);
            (
                contig_index[r.contig as usize],
                i64::from(r.start),
                i64::from(r.end),
            )
        });
        check_opposite_strands(&input, &table, &order)?;
        let sorted = input.reordered(&order, max_jitter)?;
        Ok(DatasetRegions {
            input,
            table,
            contigs,
            contig_index,
            order,
            sorted,
            max_jitter,
        })
    }

    pub fn len(&self) -> usize {
        self.input.len()
    }
    pub fn is_empty(&self) -> bool {
        self.input.is_empty()
    }
    /// Contig names in natural order.
    pub fn contigs(&self) -> &[String] {
        &self.contigs
    }
    /// Sorted and widened by the jitter: the regions of every track, in this order.
    pub fn sorted(&self) -> &Regions {
        &self.sorted
    }
    /// The input index of each sorted region.
    pub fn order(&self) -> &[u32] {
        &self.order
    }

    /// Each input row's sorted position.
    pub fn r_idx_map(&self) -> Vec<i64> {
        let mut map = vec![0i64; self.order.len()];
        for (k, &i) in self.order.iter().enumerate() {
            map[i as usize] = k as i64;
        }
        map
    }

    /// The rows of `regions.npy`, sorted.
    pub fn rows(&self) -> Vec<RegionRow> {
        (0..self.sorted.len())
            .map(|k| {
                let i = self.order[k] as usize;
                let r = self.sorted.get(k);
                RegionRow {
                    contig: self.contig_index[self.input.get(i).contig as usize] as i32,
                    start: r.start,
                    end: r.end,
                    strand: i32::from(self.table.strand(i)),
                }
            })
            .collect()
    }

    /// `regions.npy` as `np.save` writes `gvl.write`'s array: `<i4`, shape (R, 4),
    /// Fortran order (polars' `to_numpy` builds it column by column).
    pub fn regions_npy(&self) -> Vec<u8> {
        npy::regions_npy(&self.rows(), true)
    }

    /// `input_regions.arrow`.
    #[cfg(feature = "dataset")]
    pub fn input_regions_arrow(&self) -> Result<Vec<u8>> {
        arrow::input_regions(&self.input, &self.table, &self.r_idx_map())
    }

    /// The part of these regions made of input rows `rows` (a shard by regions): its own
    /// sorted order, the jitter applied, and every contig of the whole in `contigs` (so
    /// parts merge: GenVarLoader's concat requires equal contig lists).
    pub fn part(&self, rows: std::ops::Range<usize>) -> Result<DatasetRegions> {
        let picked: Vec<u32> = (rows.start as u32..rows.end as u32).collect();
        let input = self.input.reordered(&picked, 0)?;
        let at: std::collections::HashMap<&str, u32> = self
            .contigs
            .iter()
            .enumerate()
            .map(|(k, c)| (c.as_str(), k as u32))
            .collect();
        let contig_index = input.contigs().iter().map(|c| at[c.as_str()]).collect();
        let kept: Vec<u32> = (0..self.order.len() as u32)
            .filter(|&k| rows.contains(&(self.order[k as usize] as usize)))
            .collect();
        let order = kept
            .iter()
            .map(|&k| self.order[k as usize] - rows.start as u32)
            .collect();
        Ok(DatasetRegions {
            sorted: self.sorted.reordered(&kept, 0)?,
            table: self.table.slice(rows),
            input,
            contigs: self.contigs.clone(),
            contig_index,
            order,
            max_jitter: self.max_jitter,
        })
    }

    /// Whether these regions can be split into `n` parts by regions that merge back: as
    /// many regions as parts, and no region twice (GenVarLoader's concat refuses a region
    /// twice in a part).
    pub fn check_parts(&self, n: u32) -> Result<()> {
        shard::Shard {
            k: 1,
            n,
            by: shard::ShardBy::Regions,
        }
        .check(self.len(), "regions")?;
        if let (true, Some((a, b))) = (n > 1, self.duplicate()) {
            return Err(Error::input(format!(
                "{} lines {a} and {b}: the same region twice; parts by regions could not be \
                 merged if both fell in one (GenVarLoader's concat refuses a region twice in a \
                 part): remove the duplicate",
                self.name()
            )));
        }
        Ok(())
    }

    /// The first two input rows with the same region (contig, start, end), if any.
    pub fn duplicate(&self) -> Option<(u32, u32)> {
        let key = |i: u32| {
            let r = self.input.get(i as usize);
            (r.contig, r.start, r.end)
        };
        self.order
            .windows(2)
            .find(|w| key(w[0]) == key(w[1]))
            .map(|w| {
                (
                    self.input.get(w[0] as usize).line,
                    self.input.get(w[1] as usize).line,
                )
            })
    }

    /// The BED's name (for messages).
    pub fn name(&self) -> &str {
        &self.input.name
    }

    /// `metadata.json` for a dataset of these regions and `samples` (sorted).
    pub fn metadata(&self, format: GvlFormat, samples: Vec<String>) -> Metadata {
        Metadata::new(
            format,
            samples,
            self.contigs.clone(),
            self.len(),
            self.max_jitter,
        )
    }
}

/// Distinct contig names in natural order, and each name's index in that order.
pub fn natural_contigs(names: &[String]) -> (Vec<String>, Vec<u32>) {
    let mut by_name: Vec<u32> = (0..names.len() as u32).collect();
    by_name.sort_by(|&a, &b| natural::natural_cmp(&names[a as usize], &names[b as usize]));
    let contigs = by_name.iter().map(|&c| names[c as usize].clone()).collect();
    let mut index = vec![0u32; names.len()];
    for (k, &c) in by_name.iter().enumerate() {
        index[c as usize] = k as u32;
    }
    (contigs, index)
}

/// GenVarLoader's sorted order of `n` rows given each row's (contig rank, start, end):
/// `order[k]` is the row sorted `k`-th. Ties keep input order, so the order never depends
/// on the sort algorithm (GenVarLoader's is not stable; see the module notes).
pub fn sorted_order(n: usize, key: impl Fn(usize) -> (u32, i64, i64)) -> Vec<u32> {
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_unstable_by_key(|&i| {
        let (c, s, e) = key(i as usize);
        (c, s, e, i)
    });
    order
}

/// Identical regions on opposite strands: an error naming two of their lines.
fn check_opposite_strands(input: &Regions, table: &BedTable, order: &[u32]) -> Result<()> {
    if !table.has_strand() {
        return Ok(());
    }
    let key = |i: u32| {
        let r = input.get(i as usize);
        (r.contig, r.start, r.end)
    };
    for group in order.chunk_by(|&a, &b| key(a) == key(b)) {
        let first = group[0];
        if let Some(&other) = group
            .iter()
            .find(|&&i| table.strand(i as usize) != table.strand(first as usize))
        {
            let (a, b) = (input.get(first as usize), input.get(other as usize));
            return Err(Error::input(format!(
                "{} lines {} and {}: the same region ({}:{}-{}) on both strands; \
                 GenVarLoader's Dataset.open cannot tell such rows apart (its sort is not \
                 stable), so one of them could come back with the other's strand",
                input.name,
                a.line,
                b.line,
                shown(input.contig(first as usize)),
                a.start,
                a.end
            )));
        }
    }
    Ok(())
}

/// A track name is a directory name under `intervals/` (or `annot_intervals/`). Names
/// GenVarLoader's `Dataset.open` skips (`*.tmp.*`, `*.old.*`, `*.lock`: its own
/// temporaries, and ours) are refused too.
pub fn check_track_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if bad {
        return Err(Error::input(format!(
            "track name '{}' cannot be a directory name (intervals/<name>/)",
            shown(name)
        )));
    }
    if name.contains(".tmp.") || name.contains(".old.") || name.ends_with(".lock") {
        return Err(Error::input(format!(
            "track name '{}' would be hidden: GenVarLoader's Dataset.open skips names with \
             '.tmp.' or '.old.' or ending in '.lock' (its temporaries)",
            shown(name)
        )));
    }
    Ok(())
}

/// Track names differ from each other, per-sample (`kind` "track") and annotation
/// ("annotation track") alike: one directory name space for `Dataset.open`.
pub fn check_names<'a>(names: impl Iterator<Item = (&'a str, &'static str)>) -> Result<()> {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for (name, kind) in names {
        if let Some((_, other)) = seen.iter().find(|(n, _)| *n == name) {
            return Err(Error::input(if *other == kind {
                format!(
                    "{kind} '{}' is given twice: track names are directory names, they must differ",
                    shown(name)
                )
            } else {
                format!(
                    "'{}' is both a track and an annotation track: GenVarLoader's Dataset.open refuses that",
                    shown(name)
                )
            }));
        }
        seen.push((name, kind));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
