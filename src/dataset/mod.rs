//! GenVarLoader datasets: what `gvl.write(path, bed, tracks=[gvl.BigWigs(...)],
//! max_jitter=j)` (GenVarLoader 0.35) writes, minus the track arrays themselves, which the
//! export machinery writes from [`DatasetRegions::sorted`]. No files or threads here: the
//! native layer writes the directory, a wasm layer could hand out the same bytes.
//!
//! ```text
//! metadata.json                 samples (code point order), contigs (natural order), ...
//! input_regions.arrow           the BED in input order + r_idx_map (its sorted position)
//! regions.npy                   (R, 4) <i4: contig index, start - j, end + j, strand
//! intervals/<track>/intervals.npy, offsets.npy    raw, regions sorted, jitter applied
//! ```
//!
//! Sorted order is GenVarLoader's: contigs in natural order, then start, then end. Ties keep
//! input order. GenVarLoader's own sort is not stable, and `Dataset.open` sorts again to
//! find each row's strand, so identical regions on opposite strands could come back
//! swapped: they are an error here (same-strand duplicates are fine, their data is equal).

pub mod arrow;
pub mod metadata;
pub mod natural;
pub mod samples;
pub mod table;

pub use metadata::Metadata;
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
    /// `input` and `table` as parsed together (see [`crate::region::BedParser::with_fields`]).
    pub fn new(input: Regions, table: BedTable, max_jitter: u32) -> Result<Self> {
        let names = input.contigs();
        let mut by_name: Vec<u32> = (0..names.len() as u32).collect();
        by_name.sort_by(|&a, &b| natural::natural_cmp(&names[a as usize], &names[b as usize]));
        let contigs: Vec<String> = by_name.iter().map(|&c| names[c as usize].clone()).collect();
        let mut contig_index = vec![0u32; names.len()];
        for (k, &c) in by_name.iter().enumerate() {
            contig_index[c as usize] = k as u32;
        }
        let mut order: Vec<u32> = (0..input.len() as u32).collect();
        // The index last makes ties keep input order (and the sort deterministic).
        order.sort_unstable_by_key(|&i| {
            let r = input.get(i as usize);
            (contig_index[r.contig as usize], r.start, r.end, i)
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

    /// `regions.npy` as `np.save` writes GenVarLoader's array: `<i4`, shape (R, 4),
    /// Fortran order (polars' `to_numpy` builds it column by column).
    pub fn regions_npy(&self) -> Vec<u8> {
        let n = self.sorted.len();
        let mut out = npy_header_2d("'<i4'", n, 4, true);
        out.reserve(n * 16);
        let mut column = |f: &dyn Fn(usize) -> i32| {
            for k in 0..n {
                out.extend_from_slice(&f(k).to_le_bytes());
            }
        };
        column(&|k| {
            let r = self.input.get(self.order[k] as usize);
            self.contig_index[r.contig as usize] as i32
        });
        column(&|k| self.sorted.get(k).start);
        column(&|k| self.sorted.get(k).end);
        column(&|k| i32::from(self.table.strand(self.order[k] as usize)));
        out
    }

    /// `input_regions.arrow`.
    pub fn input_regions_arrow(&self) -> Result<Vec<u8>> {
        arrow::input_regions(&self.input, &self.table, &self.r_idx_map())
    }

    /// `metadata.json` for a dataset of these regions and `samples` (sorted).
    pub fn metadata(&self, samples: Vec<String>) -> Metadata {
        Metadata::new(samples, self.contigs.clone(), self.len(), self.max_jitter)
    }
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

/// A track name is a directory name under `intervals/`.
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
    Ok(())
}

/// NPY 1.0 header for a 2-d array, byte for byte as numpy 2 writes it (with the spare
/// room numpy leaves for the growth axis).
fn npy_header_2d(descr: &str, rows: usize, cols: usize, fortran: bool) -> Vec<u8> {
    let growth = if fortran { cols } else { rows };
    let mut dict = format!(
        "{{'descr': {descr}, 'fortran_order': {}, 'shape': ({rows}, {cols}), }}",
        if fortran { "True" } else { "False" }
    );
    dict.push_str(&" ".repeat(21usize.saturating_sub(growth.to_string().len())));
    let hlen = dict.len() + 1;
    let pad = 64 - (10 + hlen) % 64;
    let mut h = Vec::with_capacity(10 + hlen + pad);
    h.extend_from_slice(b"\x93NUMPY\x01\x00");
    h.extend_from_slice(&((hlen + pad) as u16).to_le_bytes());
    h.extend_from_slice(dict.as_bytes());
    h.resize(h.len() + pad, b' ');
    h.push(b'\n');
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::BedParser;

    fn regions(bed: &str, jitter: u32) -> Result<DatasetRegions> {
        let mut p = BedParser::with_fields("r.bed", BedTable::new());
        p.feed(bed.as_bytes())?;
        let (r, t) = p.finish_with_fields()?;
        DatasetRegions::new(r, t, jitter)
    }

    #[test]
    fn natural_contig_order_then_start_end_with_jitter() {
        let d = regions(
            "chr10\t5\t9\nchr2\t7\t8\nchrX\t0\t1\nchr2\t3\t20\nchr2\t3\t10\nchr1\t4\t6\n",
            2,
        )
        .unwrap();
        assert_eq!(d.contigs(), ["chr1", "chr2", "chr10", "chrX"]);
        assert_eq!(d.order(), [5, 4, 3, 1, 0, 2]);
        assert_eq!(d.r_idx_map(), [4, 3, 5, 2, 1, 0]);
        let s: Vec<_> = d
            .sorted()
            .iter()
            .map(|r| (r.start, r.end, r.line))
            .collect();
        assert_eq!(
            s,
            [
                (2, 8, 6),
                (1, 12, 5),
                (1, 22, 4),
                (5, 10, 2),
                (3, 11, 1),
                (-2, 3, 3)
            ]
        );
        let npy = d.regions_npy();
        let body: Vec<i32> = npy[128..]
            .chunks(4)
            .map(|b| i32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        #[rustfmt::skip]
        assert_eq!(body, [
            0, 1, 1, 1, 2, 3,
            2, 1, 1, 5, 3, -2,
            8, 12, 22, 10, 11, 3,
            1, 1, 1, 1, 1, 1,
        ]);
    }

    #[test]
    fn npy_header_as_numpy_writes_it() {
        // data/gvl/alias_chrM/dataset.gvl/regions.npy
        let want = b"\x93NUMPY\x01\x00v\x00{'descr': '<i4', 'fortran_order': True, 'shape': (3, 4), }                                                           \n";
        assert_eq!(npy_header_2d("'<i4'", 3, 4, true), want.to_vec());
        assert_eq!(npy_header_2d("'<i4'", 123456, 4, true).len() % 64, 0);
    }

    #[test]
    fn ties_keep_input_order_and_opposite_strands_are_refused() {
        let d = regions("c\t1\t5\ta\t0\t+\nc\t1\t5\tb\t0\t.\nc\t0\t5\tc\t0\t-\n", 0).unwrap();
        assert_eq!(d.order(), [2, 0, 1]);
        let e = regions("c\t1\t5\ta\t0\t+\nc\t0\t9\tb\t0\t-\nc\t1\t5\tc\t0\t-\n", 0)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("r.bed lines 1 and 3: the same region (c:1-5) on both strands;"),
            "{e}"
        );
    }

    #[test]
    fn jitter_past_int32_names_the_line() {
        let e = regions("c\t0\t10\nc\t5\t2147483640\n", 10)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "r.bed line 2 (c:5-2147483640): with max jitter 10, end 2147483650 is outside the 32-bit range of GenVarLoader's coordinates"
        );
    }

    #[test]
    fn track_names_are_directory_names() {
        assert!(check_track_name("signal-1.v2").is_ok());
        for bad in ["", ".", "..", "a/b", "a\\b", "a\nb"] {
            assert!(check_track_name(bad).is_err(), "{bad:?}");
        }
    }
}
